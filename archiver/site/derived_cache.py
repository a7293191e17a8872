"""The site's derived history as one file: classified changes and sync log, and the head they cover.

Written by :mod:`archiver.site.incremental` after each build at HEAD, read by the next. It is
derived data: JSON (never pickle: a cache restored from CI storage is data, not code), each
entity version stored once (a change's `after` is the next change's `before`), numbers
written back digit for digit by :mod:`archiver.jsonvalue`. A file that does not parse, or
holds another format, reads as no cache at all.

The first line says what made the file (format, build, the head it covers, the digest of the
history index copied beside it, the grafts history was read under) and holds a digest of the
rest; the second holds the changes (entities by number) and the sync log; then each entity
version is a line of its own JSON (which never holds a raw newline). A build writes back the
lines it read as they were: only the versions of new commits are encoded, so the hourly
write does not re-encode all of history. The digest is why a cache restored from CI storage
with a flipped byte or a cut end reads as none: JSON with a digit changed still parses, and
would show a wrong price.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archiver import jsonvalue
from archiver.history.classify import PriceChange
from archiver.history.versions import Change, SyncChanges
from archiver.site.cache_file import replace_file
from archiver.site.syncs import CategoryFigures, SyncRecord

__all__ = ["CACHE_FILE", "CachedHistory", "file_digest", "read_cache", "write_cache"]

CACHE_FILE = "derived-history.json"
# 3: a digest of the lines after the first, and of the index copy.
FORMAT = 3


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
    # The digest of the history index copy saved with this file (None: no copy).
    index_digest: str | None = None
    # The digest of the repository's grafts the history was read under ("": none).
    grafts: str = ""
    # Entity versions read from the file, each with its line: written back as they were.
    encoded: list[tuple[dict[str, Any], bytes]] = field(default_factory=list, compare=False)


def write_cache(folder: Path, cached: CachedHistory) -> None:
    """Write the cache file into folder, atomically (a crash leaves the old file or none)."""
    folder.mkdir(parents=True, exist_ok=True)
    entities = _EntityTable(cached.encoded)
    body = jsonvalue.dumps(
        {
            "base": cached.base,
            "groups": [_group(group, entities) for group in cached.groups],
            "syncs": [_sync(record) for record in cached.syncs],
            "problems": cached.problems,
        }
    )
    digest = _digest([body, *entities.encoded])
    head = jsonvalue.dumps(
        {
            "format": FORMAT,
            "build": cached.build,
            "head": cached.head,
            "index": cached.index_digest,
            "grafts": cached.grafts,
            "digest": digest,
        }
    )
    lines = (line + b"\n" for line in entities.encoded)
    replace_file(folder / CACHE_FILE, itertools.chain([head + b"\n" + body + b"\n"], lines))


def read_cache(folder: Path) -> CachedHistory | None:
    """Return the cache in folder, or None when it is missing, damaged or of another format."""
    try:
        data = (folder / CACHE_FILE).read_bytes()
        first, _, rest = data.partition(b"\n")
        document = jsonvalue.loads(first)
        if document.get("format") != FORMAT or not data.endswith(b"\n"):
            return None
        if hashlib.blake2b(rest, digest_size=32).hexdigest() != document["digest"]:
            return None  # Cut short or altered since it was written.
        body, *lines = rest.split(b"\n")[:-1]
        content = jsonvalue.loads(body)
        # One parse of all versions (an array of the lines), not one call per line.
        entities = jsonvalue.loads(b"[" + b",".join(lines) + b"]")
        if len(entities) != len(lines):
            return None
        return CachedHistory(
            build=str(document["build"]),
            head=str(document["head"]),
            base=content["base"],
            groups=[_read_group(group, entities) for group in content["groups"]],
            syncs=[_read_sync(record) for record in content["syncs"]],
            problems=[str(problem) for problem in content["problems"]],
            index_digest=document["index"],
            grafts=str(document["grafts"]),
            encoded=list(zip(entities, lines, strict=True)),
        )
    except (OSError, jsonvalue.DecodeError, KeyError, IndexError, TypeError, ValueError):
        return None  # Derived data: unreadable means rebuilt, never repaired.
    except AttributeError:
        return None  # A document that is not an object.


def file_digest(path: Path) -> str:
    """Return the digest of a file's bytes, as the cache records the index copy's."""
    digest = hashlib.blake2b(digest_size=32)
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _digest(lines: list[bytes]) -> str:
    """Return the digest of the file's text after its first line, given as its lines."""
    digest = hashlib.blake2b(digest_size=32)
    for line in lines:
        digest.update(line)
        digest.update(b"\n")
    return digest.hexdigest()


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
