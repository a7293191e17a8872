"""The site's derived history as one file: classified changes and sync log, and the head they cover.

Written by :mod:`archiver.site.incremental` after each build at HEAD, read by the next. It is
derived data: JSON (never pickle: a cache restored from CI storage is data, not code), each
entity version stored once (a change's `after` is the next change's `before`), numbers
written back digit for digit by :mod:`archiver.jsonvalue`. A file that does not parse, or
holds another format, reads as no cache at all.

The first line holds the changes (entities by number) and the sync log; then each entity
version is a line of its own JSON (which never holds a raw newline). A build writes back the
lines it read as they were: only the versions of new commits are encoded, so the hourly
write does not re-encode all of history.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archiver import jsonvalue
from archiver.history.classify import PriceChange
from archiver.history.versions import Change, SyncChanges
from archiver.site.syncs import CategoryFigures, SyncRecord

__all__ = ["CACHE_FILE", "CachedHistory", "read_cache", "write_cache"]

CACHE_FILE = "derived-history.json"
FORMAT = 2


@dataclass(frozen=True)
class CachedHistory:
    """What a build derived from history up to `head`, and the code that derived it."""

    build: str
    head: str
    # The newest commit the history index holds (the last to change an entity file).
    base: str | None
    groups: list[SyncChanges]
    syncs: list[SyncRecord]
    problems: list[str]
    # Entity versions read from the file, each with its line: written back as they were.
    encoded: list[tuple[dict[str, Any], bytes]] = field(default_factory=list, compare=False)


def write_cache(folder: Path, cached: CachedHistory) -> None:
    """Write the cache file into folder, atomically (a crash leaves the old file or none)."""
    folder.mkdir(parents=True, exist_ok=True)
    entities = _EntityTable(cached.encoded)
    head = jsonvalue.dumps(
        {
            "format": FORMAT,
            "build": cached.build,
            "head": cached.head,
            "base": cached.base,
            "groups": [_group(group, entities) for group in cached.groups],
            "syncs": [_sync(record) for record in cached.syncs],
            "problems": cached.problems,
        }
    )
    temporary = folder / f".{CACHE_FILE}.{os.getpid()}"
    with temporary.open("wb") as file:
        file.write(head + b"\n")
        for line in entities.encoded:
            file.write(line + b"\n")
    temporary.replace(folder / CACHE_FILE)


def read_cache(folder: Path) -> CachedHistory | None:
    """Return the cache in folder, or None when it is missing, damaged or of another format."""
    try:
        data = (folder / CACHE_FILE).read_bytes()
        first, _, rest = data.partition(b"\n")
        document = jsonvalue.loads(first)
        if document.get("format") != FORMAT or not data.endswith(b"\n"):
            return None
        lines = rest.split(b"\n")[:-1]
        # One parse of all versions (an array of the lines), not one call per line.
        entities = jsonvalue.loads(b"[" + b",".join(lines) + b"]")
        if len(entities) != len(lines):
            return None
        return CachedHistory(
            build=str(document["build"]),
            head=str(document["head"]),
            base=document["base"],
            groups=[_read_group(group, entities) for group in document["groups"]],
            syncs=[_read_sync(record) for record in document["syncs"]],
            problems=[str(problem) for problem in document["problems"]],
            encoded=list(zip(entities, lines, strict=True)),
        )
    except (OSError, jsonvalue.DecodeError, KeyError, IndexError, TypeError, ValueError):
        return None  # Derived data: unreadable means rebuilt, never repaired.
    except AttributeError:
        return None  # A document that is not an object.


class _EntityTable:
    """Entity versions by reference: each distinct one encoded once."""

    def __init__(self, known: list[tuple[dict[str, Any], bytes]]) -> None:
        self.encoded: list[bytes] = []
        self._by_bytes: dict[bytes, int] = {}
        self._by_identity: dict[int, int] = {}
        for entity, data in known:
            self._by_identity[id(entity)] = self._by_bytes.setdefault(data, len(self.encoded))
            if self._by_identity[id(entity)] == len(self.encoded):
                self.encoded.append(data)

    def ref(self, entity: dict[str, Any] | None) -> int | None:
        """Return the number of an entity in the table (None for None), adding it if new."""
        if entity is None:
            return None
        found = self._by_identity.get(id(entity))
        if found is None:
            data = jsonvalue.dumps(entity)
            found = self._by_bytes.setdefault(data, len(self.encoded))
            if found == len(self.encoded):
                self.encoded.append(data)
            self._by_identity[id(entity)] = found
        return found


def _group(group: SyncChanges, entities: _EntityTable) -> dict[str, Any]:
    return {
        "epoch": _seconds(group.epoch),
        "commit": group.commit,
        "changes": [_change(change, entities) for change in group.changes],
    }


def _change(change: Change, entities: _EntityTable) -> list[Any]:
    return [
        change.category,
        change.key,
        list(change.kinds),
        _seconds(change.epoch),
        change.commit,
        change.patch,
        [[price.field, price.old, price.new, price.percent] for price in change.prices],
        entities.ref(change.before),
        entities.ref(change.after),
    ]


def _read_group(group: dict[str, Any], entities: list[Any]) -> SyncChanges:
    changes = [_read_change(change, entities) for change in group["changes"]]
    return SyncChanges(_moment(group["epoch"]), str(group["commit"]), changes)


def _read_change(row: list[Any], entities: list[Any]) -> Change:
    category, key, kinds, epoch, commit, patch, prices, before, after = row
    return Change(
        category=str(category),
        key=str(key),
        kinds=tuple(str(kind) for kind in kinds),
        epoch=_moment(epoch),
        commit=str(commit),
        patch=list(patch),
        prices=tuple(PriceChange(*price) for price in prices),
        before=None if before is None else entities[before],
        after=None if after is None else entities[after],
    )


def _sync(record: SyncRecord) -> dict[str, Any]:
    return {
        "epoch": record.epoch.isoformat(),
        "commit": record.commit,
        "summary": record.summary,
        "categories": [
            [figures.name, figures.total, figures.added, figures.changed, figures.removed]
            for figures in record.categories
        ],
        "requests": record.requests,
        "failures": record.failures,
        "duration": record.duration,
        "bytes_written": record.bytes_written,
        "notes": list(record.notes),
    }


def _read_sync(record: dict[str, Any]) -> SyncRecord:
    return SyncRecord(
        epoch=datetime.fromisoformat(record["epoch"]),
        commit=str(record["commit"]),
        summary=str(record["summary"]),
        categories=tuple(CategoryFigures(*figures) for figures in record["categories"]),
        requests=str(record["requests"]),
        failures=int(record["failures"]),
        duration=str(record["duration"]),
        bytes_written=str(record["bytes_written"]),
        notes=tuple(str(note) for note in record["notes"]),
    )


def _seconds(moment: datetime) -> int:
    """Return an epoch as the history index holds it: whole Unix seconds."""
    return int(moment.timestamp())


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)
