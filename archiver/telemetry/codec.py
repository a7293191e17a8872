"""Cells and values: how one figure becomes the text of a cell and back again.

Owns the JSON text of a leaf (compact, keys sorted, numbers digit for digit, NaN and
infinities spelled as strings), the column name of a leaf (a path through nested objects,
segments escaped as in JSON Pointer and joined by ``/``), flattening figures into leaves and
nesting leaves back into figures, and array patches (``{"@": ops}``: an array written as the
changes from the previous one), and the key a key cell holds (`key_of`, refusing a cell no
stored key could be). It knows nothing of files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson

from archiver import jsonvalue

# A cell that says "this leaf is absent" (a gap, or a field no longer sent).
ABSENT = "-"
# How a patch cell starts: {"@": ops}.
PATCH = '{"@":'
# Arrays shorter than this are rewritten whole: a patch would not pay for itself.
MIN_PATCH_TEXT = 200
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}
# An epoch as its cell holds it (layout.epoch_cell), unquoted.
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", re.ASCII)

# {column: leaf JSON text}: one key's figures, flattened.
Leaves = dict[str, str]


def dump(value: Any) -> str:
    """Return the compact JSON text of a value, keys sorted, numbers digit for digit."""
    return jsonvalue.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def dump_scalars(values: list[Any]) -> list[str]:
    """Return the JSON texts of numbers, booleans and nulls, in one call to the encoder."""
    if not values:
        return []
    try:
        return orjson.dumps(values).decode()[1:-1].split(",")
    except orjson.JSONEncodeError:
        return [dump(value) for value in values]


def leaf_text(column: str, value: Any) -> str:
    """Return a leaf's JSON text; a value nested too deep is reported at its whole path."""
    try:
        return dump(value)
    except jsonvalue.NestingError as error:
        error.path[:0] = segments(column)
        raise


def escape(name: str) -> str:
    """Return one path segment escaped as in JSON Pointer (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")


def column_name(prefix: str, name: str) -> str:
    """Return the column of a member named name inside the object at prefix."""
    return prefix + (escape(name) if "~" in name or "/" in name else name)


@lru_cache(maxsize=65536)
def segments(column: str) -> tuple[str, ...]:
    """Return the object keys a column's path goes through."""
    return tuple(segment.replace("~1", "/").replace("~0", "~") for segment in column.split("/"))


def dotted(column: str) -> str:
    """Return the name a CSV gives a stored column (`stats.p50_latency`)."""
    return ".".join(segments(column))


def flatten(figures: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    """Add (column: leaf value) to out: nested non-empty objects become '/'-joined columns."""
    for key, value in figures.items():
        column = column_name(prefix, key if type(key) is str else str(key))
        if type(value) is dict and value:
            flatten(value, column + "/", out)
        else:
            out[column] = value


def nest(leaves: Mapping[str, str]) -> dict[str, Any]:
    """Return figures rebuilt from {column: leaf JSON text}."""
    figures: dict[str, Any] = {}
    for column, text in leaves.items():
        *parents, name = segments(column)
        holder = figures
        for parent in parents:
            holder = holder.setdefault(parent, {})
        holder[name] = jsonvalue.loads(text)
    return figures


def finite(value: Any) -> bool:
    """Tell whether a value holds no NaN or infinite number, however deep."""
    if type(value) is float:
        return math.isfinite(value)
    if isinstance(value, list):
        return all(finite(item) for item in value)
    if isinstance(value, dict):
        return all(finite(item) for item in value.values())
    return True


def spelled(value: Any) -> Any:
    """Return the value with NaN and infinities spelled as strings (JSON has no such numbers)."""
    if type(value) is float and not math.isfinite(value):
        return _NON_FINITE.get(value, "NaN")
    if isinstance(value, list):
        return [spelled(item) for item in value]
    if isinstance(value, dict):
        return {name: spelled(item) for name, item in value.items()}
    return value


def key_of(key_cell: str) -> str:
    """Return the key a key cell (its JSON string) holds; raise ValueError for any other cell.

    A cell that is no JSON string, or holds a key that reads as a time, is a damaged line:
    a key cell cut or edited, or an epoch cell pushed into the key's place by a tab.
    """
    key = orjson.loads(key_cell)
    if type(key) is not str:
        raise ValueError(f"key cell {key_cell[:60]!r} is not a JSON string")
    if reads_as_time(key):
        raise ValueError(f"key cell {key_cell!r} is a time: its line's cells moved one place")
    return key


def reads_as_time(key: str) -> bool:
    """Tell whether a key reads as an epoch (`2026-07-19T16:00:00Z`).

    No such key can be stored: the line of a sync that names its epoch, pushed one cell to
    the right by a stray tab, reads as that epoch's key, and only this tells it apart.
    """
    return len(key) == 20 and _TIME.fullmatch(key) is not None


# --- array patches ------------------------------------------------------------------------


def changed_cell(previous: str | None, text: str) -> str:
    """Return the cell for a changed leaf: a patch when it is an array mostly seen before."""
    if len(text) < MIN_PATCH_TEXT or previous is None or text[0] != "[" or previous[0] != "[":
        return text
    patch = f"{PATCH}{dump(_array_ops(jsonvalue.loads(previous), jsonvalue.loads(text)))}}}"
    return patch if len(patch) * 2 < len(text) else text


def patched(previous: str | None, cell: str) -> str:
    """Return the leaf text a patch cell makes of the previous array."""
    return dump(patch_array(jsonvalue.loads(previous) if previous else [], cell))


def patch_array(old: list[Any], cell: str) -> list[Any]:
    """Return the array a patch cell makes of the previous one (given parsed: a reader that
    replays many patches of one array keeps it parsed)."""
    new: list[Any] = []
    for op in jsonvalue.loads(cell)["@"]:
        if len(op) == 1:
            new.append(op[0])
        elif type(op[1]) is dict:
            new.append({**old[op[0]], **op[1]})
        else:
            new.extend(old[op[0] : op[0] + op[1]])
    return new


def _array_ops(old: list[Any], new: list[Any]) -> list[list[Any]]:
    """Return patch ops rebuilding new from old.

    ``[start, count]`` copies old elements, ``[value]`` inserts one, ``[index, {fields}]`` is
    the old object at index with these fields changed.
    """
    old_texts = [dump(item) for item in old]
    where: dict[str, int] = {}
    for index, text in enumerate(old_texts):
        where.setdefault(text, index)
    ops: list[list[Any]] = []
    for position, value in enumerate(new):
        text = dump(value)
        run = ops[-1] if ops and len(ops[-1]) == 2 and type(ops[-1][1]) is int else None
        if run is not None and run[0] + run[1] < len(old) and old_texts[run[0] + run[1]] == text:
            run[1] += 1
        elif text in where:
            ops.append([where[text], 1])
        else:
            ops.append(_changed_element(old, position, value))
    return ops


def _changed_element(old: list[Any], position: int, value: Any) -> list[Any]:
    """Return the op for a new element: its changed fields if it is an old object edited."""
    before = old[position] if position < len(old) else None
    if type(value) is dict and type(before) is dict and value.keys() == before.keys():
        # Compared as text: 1 and 1.0 (or true) are equal in Python, not in what was sent.
        changed = {k: v for k, v in value.items() if dump(before[k]) != dump(v)}
        return [position, changed]
    return [value]
