"""Reading the archive's history: versions of an entity, any epoch, changes over time.

Every function takes the archive's repository path and reads the first-parent chain of
HEAD through the derived index in :mod:`archiver.history.index` (brought up to date on
each call). Epochs are the ``Sync-Epoch`` trailers, never commit dates. A removal and a
reappearance are versions like any other; the patch of a reappearance is taken against
the entity as it was before its removal, so what changed while it was gone shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonpatch
import orjson
import pygit2

from archiver import jsonvalue
from archiver.archive.zdr_ledger import LEDGER_PATH
from archiver.errors import StoreError, UnsafeKeyError
from archiver.history.classify import PriceChange, classify, render_path
from archiver.history.index import Entry, HistoryIndex
from archiver.history.partial_clone import blobs_needed, fetch_missing_blobs
from archiver.history.zdr_changes import ledger_changes
from archiver.paths import CATEGORIES, Category, category_dir, key_to_path, path_to_key

__all__ = [
    "Change",
    "SyncChanges",
    "Version",
    "category_at",
    "changes",
    "changes_after",
    "entity_at",
    "format_patch",
    "make_patch",
    "versions",
]

Entity = dict[str, Any]
Patch = list[dict[str, Any]]
KINDS = {"A": "added", "M": "changed", "D": "removed"}
VALUE_WIDTH = 120
_SORTED = orjson.OPT_SORT_KEYS


@dataclass(frozen=True)
class Version:
    """One version of one entity: when, which commit, what it became and how it changed."""

    epoch: datetime
    commit: str
    kind: str
    entity: Entity | None
    previous: Entity | None
    patch: Patch


@dataclass(frozen=True)
class Change:
    """One entity's change in one sync, classified (see archiver.history.classify)."""

    category: str
    key: str
    kinds: tuple[str, ...]
    epoch: datetime
    commit: str
    patch: Patch
    prices: tuple[PriceChange, ...]
    before: Entity | None
    after: Entity | None


@dataclass(frozen=True)
class SyncChanges:
    """The changes one sync (one commit) made."""

    epoch: datetime
    commit: str
    changes: list[Change]


def versions(repo_path: str | Path, category: Category, key: str) -> list[Version]:
    """Return every version of one entity, newest first."""
    path = key_to_path(category, key)
    with HistoryIndex(repo_path) as index:
        reader = _Reader(index.repo)
        found: list[Version] = []
        last: Entity | None = None
        for entry in index.entries_for(path):
            entity = reader.entity(entry.new_blob, entry)
            kind = "returned" if entry.status == "A" and found else KINDS[entry.status]
            found.append(_version(entry, kind, last, entity))
            last = entity if entity is not None else last
    found.reverse()
    return found


def entity_at(repo_path: str | Path, category: Category, key: str, at: datetime) -> Entity | None:
    """Return one entity as of the last sync whose epoch is <= at, or None if absent then."""
    path = key_to_path(category, key)
    with HistoryIndex(repo_path) as index:
        found = index.seq_at(at)
        entry = index.last_entry(path, found[0]) if found else None
        if entry is None or entry.new_blob is None:
            return None
        return _Reader(index.repo).entity(entry.new_blob, entry)


def category_at(
    repo_path: str | Path, category: Category, at: datetime, problems: list[str] | None = None
) -> dict[str, Entity]:
    """Return {key: entity} for a whole category as of the last sync whose epoch is <= at.

    problems: when given, a file that is not a JSON object is reported there and left out.
    """
    folder = category_dir(category)
    with HistoryIndex(repo_path) as index:
        found = index.seq_at(at)
        files = index.files_at(found[0], f"{folder}/") if found else {}
        reader = _Reader(index.repo)
        entities: dict[str, Entity] = {}
        for path, key, blob_id in _keyed(files):
            try:
                entities[key] = reader.blob_entity(blob_id, path)
            except StoreError as error:
                if problems is None:
                    raise
                problems.append(f"{error}; left out")
        return entities


def changes(
    repo_path: str | Path,
    since: datetime | None = None,
    until: datetime | None = None,
    category: Category | None = None,
    problems: list[str] | None = None,
) -> list[SyncChanges]:
    """Return the changes of syncs with since <= epoch <= until, a group per sync, newest first.

    problems: when given, a change whose file is not a JSON object (or cannot be compared)
    is reported there and left out, instead of raising StoreError.
    """
    prefix = f"{category_dir(category)}/" if category else "data/"
    with HistoryIndex(repo_path) as index:
        entries = index.entries_between(since, until, prefix)
        if category == "endpoint":  # The ZDR ledger's changes are told as endpoint changes.
            entries += index.entries_between(since, until, LEDGER_PATH)
            entries.sort(key=lambda entry: (-entry.seq, entry.path))
        return _classified(index, entries, problems)


def changes_after(
    repo_path: str | Path, base: str | None, problems: list[str] | None = None
) -> tuple[list[SyncChanges], str | None]:
    """Return the changes of the indexed commits after base (None: all), newest first, and the
    newest indexed commit (the next base); only their blobs are read (or fetched)."""
    with HistoryIndex(repo_path) as index:
        seq = index.seq_of(base) if base else 0
        if seq is None:
            raise StoreError(f"commit {base} is not on the first-parent chain of {repo_path}")
        return _classified(index, index.entries_after(seq), problems), index.newest_commit()


def _classified(
    index: HistoryIndex, entries: list[Entry], problems: list[str] | None
) -> list[SyncChanges]:
    """Return the classified changes of index entries (newest first), a group per sync."""
    fetch_missing_blobs(index.repo, blobs_needed(index, entries))
    reader = _Reader(index.repo)
    groups: list[SyncChanges] = []
    for entry in entries:
        try:
            found = _changes(index, reader, entry)
        except (StoreError, jsonvalue.EncodeError, RecursionError, TypeError) as error:
            if problems is None:
                raise
            problems.append(_unreadable_change(entry, error))
            continue
        if not found:
            continue
        if not groups or groups[-1].commit != entry.commit:
            groups.append(SyncChanges(entry.epoch, entry.commit, []))
        groups[-1].changes.extend(found)
    for group in groups:
        group.changes.sort(key=lambda change: (CATEGORIES.index(change.category), change.key))
    return groups


def _unreadable_change(entry: Entry, error: Exception) -> str:
    """Return the one-line problem for a change that cannot be shown."""
    if isinstance(error, StoreError):
        return f"{error}; its change was left out"
    where = f"{entry.path} in commit {entry.commit[:12]}"
    return f"{where}: its change cannot be compared ({error}); left out: fix or revert that commit"


def format_patch(
    patch: Sequence[Mapping[str, Any]], before: Any, width: int = VALUE_WIDTH
) -> list[str]:
    """Return a JSON Patch as readable lines, resolving paths and old values against before."""
    document = jsonvalue.loads(jsonvalue.dumps(before if before is not None else {}))
    lines = []
    for operation in patch:
        lines.append(_describe(operation, document, width))
        try:
            document = jsonpatch.apply_patch(document, [dict(operation)])
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
            break
    return lines


def make_patch(before: Entity | None, after: Entity | None) -> Patch:
    """Return the JSON Patch from before to after (None: absent, patched as an empty object)."""
    return _diff(before or {}, after or {}, "")


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
        return [_prefixed(op, pointer) for op in jsonpatch.make_patch(before, after).patch]
    return [{"op": "replace", "path": pointer, "value": after}]


def _prefixed(operation: dict[str, Any], pointer: str) -> dict[str, Any]:
    """Return a patch operation with pointer put in front of its paths."""
    moved = {"from": pointer + operation["from"]} if "from" in operation else {}
    return {**operation, "path": pointer + operation["path"], **moved}


def _token(key: str) -> str:
    """Return the JSON pointer step for a key."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


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
    text = jsonvalue.dumps(value).decode()
    return text if len(text) <= width else text[: width - 3] + "..."


def _version(entry: Entry, kind: str, last: Entity | None, entity: Entity | None) -> Version:
    """Return a Version whose patch goes from the last existing version to this one."""
    previous = last if kind != "added" else None
    patch = make_patch(previous, entity)
    return Version(entry.epoch, entry.commit, kind, entity, previous, patch)


def _changes(index: HistoryIndex, reader: _Reader, entry: Entry) -> list[Change]:
    """Return the classified changes one index entry records (none: not an entity file)."""
    if entry.path == LEDGER_PATH:
        return [
            Change(
                "endpoint",
                key,
                kinds,
                entry.epoch,
                entry.commit,
                make_patch(before, after),
                (),
                before,
                after,
            )
            for key, before, after, kinds in ledger_changes(index, reader.blob_entity, entry)
        ]
    change = _change(index, reader, entry)
    return [change] if change is not None else []


def _change(index: HistoryIndex, reader: _Reader, entry: Entry) -> Change | None:
    """Return the classified change of an entity file (None: not an entity file)."""
    try:
        category, key = path_to_key(entry.path)
    except UnsafeKeyError:
        return None  # A stray file under data/ (not written by the archiver).
    returned = False
    before = reader.entity(entry.old_blob, entry)
    if entry.status == "A":
        earlier = index.last_entry(entry.path, entry.seq - 1)
        returned = earlier is not None
        before = reader.entity(earlier.old_blob, earlier) if earlier else None
    after = reader.entity(entry.new_blob, entry)
    found = classify(category, before, after, returned=returned)
    patch = make_patch(before, after)
    return Change(
        category, key, found.kinds, entry.epoch, entry.commit, patch, found.prices, before, after
    )


def _keyed(files: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Return (path, key, blob id) for every archive file among {path: blob id}."""
    found = []
    for path, blob_id in sorted(files.items()):
        try:
            found.append((path, path_to_key(path)[1], blob_id))
        except UnsafeKeyError:
            continue  # Not an entity file (a stray one under data/); leave it out.
    return found


class _Reader:
    """Entities read from blobs, each blob parsed once per call."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        self._cache: dict[str, Entity] = {}

    def entity(self, blob_id: str | None, entry: Entry) -> Entity | None:
        """Return the entity a blob holds (None for no blob), naming entry's commit on errors."""
        if blob_id is None:
            return None
        return self.blob_entity(blob_id, f"{entry.path} in commit {entry.commit[:12]}")

    def blob_entity(self, blob_id: str, where: str) -> Entity:
        """Return the JSON object a blob holds, or raise StoreError naming where it is."""
        if blob_id not in self._cache:
            self._cache[blob_id] = self._load(blob_id, where)
        return self._cache[blob_id]

    def _load(self, blob_id: str, where: str) -> Entity:
        if blob_id not in self.repo:
            # A partial clone: fetch what no batch foresaw (the ZDR ledger's lookups).
            fetch_missing_blobs(self.repo, [blob_id])
        blob = self.repo.get(blob_id)
        if not isinstance(blob, pygit2.Blob):
            raise StoreError(
                f"{where}: blob {blob_id[:12]} is missing from the repository; "
                "fetch the full history (git fetch --unshallow) and retry"
            )
        try:
            value = jsonvalue.loads(blob.data)
        except jsonvalue.DecodeError as error:
            raise StoreError(
                f"{where} is not valid JSON ({error}); fix or revert that commit"
            ) from None
        if not isinstance(value, dict):
            raise StoreError(f"{where} holds JSON that is not an object; fix or revert that commit")
        return value
