"""Reading the archive's history: versions of an entity, any epoch, changes over time.

Every function takes the archive's repository path and reads the first-parent chain of
HEAD through the derived index in :mod:`archiver.history.index` (brought up to date on
each call). Epochs are the ``Sync-Epoch`` trailers, never commit dates. A removal and a
reappearance are versions like any other; the patch of a reappearance is taken against
the entity as it was before its removal, so what changed while it was gone shows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pygit2

from archiver import jsonvalue
from archiver.archive.zdr_ledger import LEDGER_PATH
from archiver.errors import StoreError, UnsafeKeyError
from archiver.history.blob_stream import BlobStream
from archiver.history.classify import Part, PriceChange, changed_leaves, classify
from archiver.history.index import Entry, HistoryIndex
from archiver.history.partial_clone import BlobReader, blobs_needed
from archiver.history.patches import VALUE_WIDTH, Patch, format_patch, make_patch
from archiver.history.zdr_changes import ledger_changes
from archiver.paths import CATEGORIES, Category, category_dir, key_to_path, path_to_key

__all__ = [
    "VALUE_WIDTH",
    "Change",
    "EntityReader",
    "SyncChanges",
    "Version",
    "category_at",
    "changes",
    "changes_after",
    "entity_at",
    "entry_changes",
    "format_patch",
    "make_patch",
    "versions",
]

Entity = dict[str, Any]
KINDS = {"A": "added", "M": "changed", "D": "removed"}
# The errors that leave one change out (reported) instead of stopping a reader of many.
CHANGE_ERRORS = (StoreError, jsonvalue.EncodeError, RecursionError, TypeError)


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
    """One entity's change in one sync, classified (see archiver.history.classify).

    `kinds` are the classes (`price_down`...): `archiver changes --json` writes them as
    `classes`; its `kinds` (price, status...) are archiver.history.kinds.describe_change's.
    """

    category: str
    key: str
    kinds: tuple[str, ...]
    epoch: datetime
    commit: str
    patch: Patch
    prices: tuple[PriceChange, ...]
    before: Entity | None
    after: Entity | None
    # The paths of the leaves that differ (classify.changed_leaves), when the reader had them:
    # the summary reads them instead of comparing the two versions again.
    changed: tuple[tuple[Part, ...], ...] | None = field(default=None, compare=False, repr=False)


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
        reader = EntityReader(index.repo)
        found: list[Version] = []
        last: Entity | None = None
        for entry in index.entries_for(path):
            entity = reader.entity(entry.new_blob, entry)
            kind = "returned" if entry.status == "A" and found else KINDS[entry.status]
            found.append(_version(entry, kind, last, entity))
            last = entity if entity is not None else last
    found.reverse()
    return found


def entity_at(
    repo_path: str | Path, category: Category, key: str, at: datetime | None
) -> Entity | None:
    """Return one entity as of the last sync whose epoch is <= at (None: as HEAD holds it, a
    person's edits included), or None if absent then."""
    path = key_to_path(category, key)
    with HistoryIndex(repo_path) as index:
        found = index.seq_at(at)
        # The file as that commit's tree holds it, as category_at reads the whole category:
        # last_entry (a sync's last change) missed a person's edit the sync left in place.
        entry = index.file_entry(path, found[0]) if found else None
        if entry is None or entry.new_blob is None:
            return None
        return EntityReader(index.repo).entity(entry.new_blob, entry)


def category_at(
    repo_path: str | Path,
    category: Category,
    at: datetime | None,
    problems: list[str] | None = None,
) -> dict[str, Entity]:
    """Return {key: entity} for a whole category as of the last sync whose epoch is <= at
    (None: as HEAD holds it, a person's edits included).

    problems: when given, a file that is not a JSON object is reported there and left out.
    """
    folder = category_dir(category)
    with HistoryIndex(repo_path) as index:
        found = index.seq_at(at)
        files = index.files_at(found[0], f"{folder}/") if found else {}
        reader = EntityReader(index.repo)
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
    reader = EntityReader(index.repo)
    reader.prefetch(blobs_needed(index, entries))
    groups: list[SyncChanges] = []
    for entry in entries:
        found = entry_changes(index, reader, entry, problems)
        if not found:
            continue
        if not groups or groups[-1].commit != entry.commit:
            groups.append(SyncChanges(entry.epoch, entry.commit, []))
        groups[-1].changes.extend(found)
    for group in groups:
        group.changes.sort(key=lambda change: (CATEGORIES.index(change.category), change.key))
    return groups


def entry_changes(
    index: HistoryIndex, reader: EntityReader, entry: Entry, problems: list[str] | None
) -> list[Change]:
    """Return the classified changes one index entry records (none: not an entity file).

    problems: when given, a change that cannot be read or compared is reported there and
    left out (none returned) instead of raising.
    """
    try:
        if entry.path == LEDGER_PATH:
            return _ledger_changes(index, reader, entry)
        change = _change(index, reader, entry)
    except CHANGE_ERRORS as error:
        if problems is None:
            raise
        problems.append(_unreadable_change(entry, error))
        return []
    return [change] if change is not None else []


def _unreadable_change(entry: Entry, error: Exception) -> str:
    """Return the one-line problem for a change that cannot be shown."""
    if isinstance(error, StoreError):
        return f"{error}; its change was left out"
    where = f"{entry.path} in commit {entry.commit[:12]}"
    return f"{where}: its change cannot be compared ({error}); left out: fix or revert that commit"


def _version(entry: Entry, kind: str, last: Entity | None, entity: Entity | None) -> Version:
    """Return a Version whose patch goes from the last existing version to this one."""
    previous = last if kind != "added" else None
    patch = make_patch(previous, entity)
    return Version(entry.epoch, entry.commit, kind, entity, previous, patch)


def _ledger_changes(index: HistoryIndex, reader: EntityReader, entry: Entry) -> list[Change]:
    """Return the endpoint changes a change of the ZDR ledger tells."""
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


def _change(index: HistoryIndex, reader: EntityReader, entry: Entry) -> Change | None:
    """Return the classified change of an entity file (None: not an entity file)."""
    try:
        category, key = path_to_key(entry.path)
    except UnsafeKeyError:
        return None  # A stray file under data/ (not written by the archiver).
    returned = False
    before = _before(index, reader, entry)
    if entry.status == "A":
        earlier = index.last_entry(entry.path, entry.seq - 1)
        returned = earlier is not None
        before = reader.entity(earlier.old_blob, earlier) if earlier else None
    after = reader.entity(entry.new_blob, entry)
    # One comparison of the two versions, shared by the classes, the patch and the summary.
    changed = changed_leaves(before, after) if before is not None and after is not None else None
    found = classify(category, before, after, returned=returned, changed=changed)
    patch = make_patch(before, after, changed)
    return Change(
        category,
        key,
        found.kinds,
        entry.epoch,
        entry.commit,
        patch,
        found.prices,
        before,
        after,
        tuple(changed) if changed is not None else None,
    )


def _before(index: HistoryIndex, reader: EntityReader, entry: Entry) -> Entity | None:
    """Return the entity a change started from; an unreadable one names the commit that wrote
    it, never this one: reverting the sync that replaced it would bring it back."""
    try:
        return reader.entity(entry.old_blob, entry)
    except StoreError:
        writer = index.last_entry(entry.path, entry.seq - 1)
        if writer is None or writer.new_blob != entry.old_blob:
            raise
        return reader.entity(entry.old_blob, writer)


def _keyed(files: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Return (path, key, blob id) for every archive file among {path: blob id}."""
    found = []
    for path, blob_id in sorted(files.items()):
        try:
            found.append((path, path_to_key(path)[1], blob_id))
        except UnsafeKeyError:
            continue  # Not an entity file (a stray one under data/); leave it out.
    return found


@dataclass(frozen=True)
class Document:
    """One blob as read: its bytes and the JSON value they hold (any JSON, not only objects)."""

    data: bytes
    value: Any


class EntityReader:
    """Entities read from blobs, each parsed once while it is among the last `capacity` read
    (None: every one, for as long as the reader lives)."""

    def __init__(self, repo: pygit2.Repository, capacity: int | None = None) -> None:
        self.repo = repo
        self.capacity = capacity
        self.blobs = BlobReader(repo)
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._stream: BlobStream | None = None

    @contextmanager
    def planned(self, blob_ids: Iterable[str | None]) -> Iterator[None]:
        """Read these blobs, in this order, through one git process (see blob_stream)."""
        with BlobStream(self.repo.path, (blob for blob in blob_ids if blob)) as stream:
            self._stream = stream
            try:
                yield
            finally:
                self._stream = None

    def prefetch(self, blob_ids: Iterable[str | None]) -> None:
        """Fetch, in one request, the blobs among blob_ids a partial clone lacks."""
        self.blobs.prefetch(blob_ids)

    def entity(self, blob_id: str | None, entry: Entry) -> Entity | None:
        """Return the entity a blob holds (None for no blob), naming entry's commit on errors."""
        if blob_id is None:
            return None
        return self.blob_entity(blob_id, f"{entry.path} in commit {entry.commit[:12]}")

    def blob_entity(self, blob_id: str, where: str) -> Entity:
        """Return the JSON object a blob holds, or raise StoreError naming where it is."""
        if blob_id in self._cache:
            self._cache.move_to_end(blob_id)
            value = self._cache[blob_id]
        else:
            try:
                found = self.document(blob_id)
            except jsonvalue.DecodeError as error:
                raise StoreError(
                    f"{where} is not valid JSON ({error}); fix or revert that commit"
                ) from None
            if found is None:
                raise StoreError(
                    f"{where}: blob {blob_id[:12]} is missing from the repository; "
                    "fetch the full history (git fetch --unshallow) and retry"
                )
            value = found.value
        if not isinstance(value, dict):
            raise StoreError(f"{where} holds JSON that is not an object; fix or revert that commit")
        return value

    def document(self, blob_id: str) -> Document | None:
        """Return a blob's bytes and value (None: the repository lacks it); raise what parsing
        raised (jsonvalue.DecodeError, RecursionError...) for a blob that is not JSON."""
        data = self._data(blob_id)  # Bytes are not kept: each version's row asks once.
        if data is None:
            return None
        if blob_id in self._cache:
            self._cache.move_to_end(blob_id)
            return Document(data, self._cache[blob_id])
        value = jsonvalue.loads(data)
        self._cache[blob_id] = value
        if self.capacity is not None and len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        return Document(data, value)

    def _data(self, blob_id: str) -> bytes | None:
        """Return a blob's bytes, fetched first in a partial clone that lacks it (None: absent)."""
        if self._stream is not None:
            streamed = self._stream.read(blob_id)
            if streamed is None or isinstance(streamed, bytes):
                return streamed
        return self.blobs.data(blob_id)
