"""JSON Patches between two versions of an entity, and their lines as people read them.

:func:`make_patch` is the patch every change carries (`archiver diff`, the site's change
pages, the export's ``patch`` column); :func:`format_patch` reads one back as lines such as
``pricing.prompt: "0.000001" -> "0.0000008"``, resolving paths and old values against
the version before.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import jsonpatch
import orjson

from archiver import jsonvalue
from archiver.history.classify import Part, render_path
from archiver.textsafe import one_line

__all__ = ["VALUE_WIDTH", "Patch", "format_patch", "make_patch"]

Patch = list[dict[str, Any]]
VALUE_WIDTH = 120
_SORTED = orjson.OPT_SORT_KEYS
# How a line shows a value JSON cannot write (nested deeper than jsonvalue.MAX_LEVELS).
_TOO_DEEP = "(a value nested too deep to show)"


def make_patch(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    changed: Collection[tuple[Part, ...]] | None = None,
) -> Patch:
    """Return the JSON Patch from before to after (None: absent, patched as an empty object).

    changed: the paths of the leaves that differ (`classify.changed_leaves`), when the
    caller has them: a top-level field none of them passes through is equal on both sides,
    known without comparing it again. Only when both sides serialise: a value nested too
    deep must still raise here, as comparing it does, so no reader is handed a change it
    cannot write.
    """
    before, after = before or {}, after or {}
    if changed is None or not (_writable(before) and _writable(after)):
        return _diff(before, after, "")
    differing = {parts[0] for parts in changed if parts}
    patch: Patch = [{"op": "remove", "path": _token(key)} for key in before if key not in after]
    for key, value in after.items():
        if key not in before:
            patch.append({"op": "add", "path": _token(key), "value": value})
        elif key in differing:
            patch += _diff(before[key], value, _token(key))
    return patch


def format_patch(
    patch: Sequence[Mapping[str, Any]], before: Any, width: int = VALUE_WIDTH
) -> list[str]:
    """Return a JSON Patch as readable lines, resolving paths and old values against before;
    each line inert (`textsafe.one_line`)."""
    try:
        document = jsonvalue.loads(jsonvalue.dumps(before if before is not None else {}))
    except (jsonvalue.EncodeError, RecursionError):
        # A version nested deeper than JSON files hold (a file edited by hand, merged in
        # with a sync): no old value can be read from it, but each line still tells its
        # path and new value, rather than the error stopping the site or the command.
        document = None
    lines = []
    for operation in patch:
        # Field names are upstream's too: a control in one is shown, never sent to a terminal.
        lines.append(one_line(_describe(operation, document, width)))
        if document is None:
            continue
        try:
            document = jsonpatch.apply_patch(document, [dict(operation)])
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, RecursionError):
            break  # RecursionError: the value added nests too deep to copy (see above).
    return lines


def _diff(before: Any, after: Any, pointer: str) -> Patch:
    """Return the patch between two JSON values at pointer, skipping equal subtrees."""
    if isinstance(before, dict) and isinstance(after, dict):
        patch: Patch = [
            {"op": "remove", "path": pointer + _token(key)} for key in before if key not in after
        ]
        for key, value in after.items():
            if key not in before:
                patch.append({"op": "add", "path": pointer + _token(key), "value": value})
            elif not _same(before[key], value):
                patch += _diff(before[key], value, pointer + _token(key))
        return patch
    if isinstance(before, list) and isinstance(after, list):
        # jsonpatch finds insertions, removals and moves inside a list; prefix its paths.
        # (From 1.48 on it compares an object's members in document order; before, through
        # sets of names, whose order changed with each process's string hashing: the same
        # change got other bytes each run. pyproject asks for 1.48.)
        found = jsonpatch.make_patch(before, after).patch
        if _strings(before) and _strings(after):  # == between strings misses nothing
            return [_prefixed(op, pointer) for op in found]
        # Applied to a copy read back from its own JSON (equal to the byte, ExactNumber and
        # big integers too): several times cheaper than the deepcopy jsonpatch would make.
        copied = jsonvalue.loads(jsonvalue.dumps(before))
        if _same(jsonpatch.apply_patch(copied, found, in_place=True), after):
            return [_prefixed(op, pointer) for op in found]
        return _respelt(before, after, pointer)
    return [{"op": "replace", "path": pointer, "value": after}]


def _strings(items: list[Any]) -> bool:
    """Tell whether every item of a list is a string (supported_parameters and the like)."""
    return all(type(item) is str for item in items)


def _respelt(before: list[Any], after: list[Any], pointer: str) -> Patch:
    """Return the patch between two lists jsonpatch missed a change in: it compares items
    with ==, which holds between spellings of one number past a double (`1e400`, `1E400`),
    yet the file holds each as sent. Item by item where no item came or went, else whole."""
    if len(before) != len(after):
        return [{"op": "replace", "path": pointer, "value": after}]
    patch: Patch = []
    for index, (old, new) in enumerate(zip(before, after, strict=True)):
        if not _same(old, new):
            patch += _diff(old, new, f"{pointer}/{index}")
    return patch


def _prefixed(operation: dict[str, Any], pointer: str) -> dict[str, Any]:
    """Return a patch operation with pointer put in front of its paths."""
    moved = {"from": pointer + operation["from"]} if "from" in operation else {}
    return {**operation, "path": pointer + operation["path"], **moved}


def _token(key: str) -> str:
    """Return the JSON pointer step for a key."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _writable(value: Any) -> bool:
    """Tell whether orjson writes a JSON object as it is (then so it does every part of it)."""
    if not isinstance(value, dict):
        return False
    try:
        orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return False
    return True


def _same(before: Any, after: Any) -> bool:
    """Tell whether two JSON values are identical, types included (1, 1.0 and true differ)."""
    return bool(before == after) and jsonvalue.dumps(before, option=_SORTED) == jsonvalue.dumps(
        after, option=_SORTED
    )


def _describe(operation: Mapping[str, Any], document: Any, width: int) -> str:
    """Return one readable line for one patch operation, applied to document next."""
    op = operation.get("op")
    where = _readable(document, str(operation.get("path", "")))
    value = _shown(operation.get("value"), width)
    if op == "replace":
        return f"{where}: {_shown(_resolve(document, operation['path']), width)} -> {value}"
    if op == "add":
        return f"+ {where} {value}"
    if op == "remove":
        return f"- {where} {_shown(_resolve(document, operation['path']), width)}"
    source = str(operation.get("from", ""))
    moved = _shown(_resolve(document, source), width)
    return f"~ {where} {moved} ({op} from {_readable(document, source)})"


def _readable(document: Any, pointer: str) -> str:
    """Return a JSON pointer as a dotted path, with [n] where the container is a list."""
    parts: list[str | int] = []
    current = document
    for token in jsonpatch.JsonPointer(pointer).parts if pointer else []:
        if isinstance(current, list):
            index = int(token) if str(token).isdigit() else len(current)
            parts.append(index)
            current = current[index] if index < len(current) else None
        else:
            parts.append(str(token))
            current = current.get(token) if isinstance(current, dict) else None
    return render_path(parts)


def _resolve(document: Any, pointer: str) -> Any:
    """Return the value at a JSON pointer, or None when it is absent."""
    try:
        return jsonpatch.JsonPointer(pointer).resolve(document)
    except (jsonpatch.JsonPointerException, KeyError, IndexError, TypeError):
        return None


def _shown(value: Any, width: int) -> str:
    """Return a value as compact JSON, cut to width characters."""
    try:
        text = jsonvalue.dumps(value).decode()
    except jsonvalue.EncodeError:
        return _TOO_DEEP  # Nested deeper than JSON files hold: shown as what it is.
    return text if len(text) <= width else text[: width - 3] + "..."
