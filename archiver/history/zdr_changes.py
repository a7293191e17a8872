"""Changes of the zero-data-retention ledger, told as changes of the endpoints it names.

The ledger (data/zdr/endpoints.json, :mod:`archiver.archive.zdr_ledger`) names an endpoint
as OpenRouter's ZDR list does: its model's permaslug and its provider tag. Each endpoint
that joined or left the list in a sync becomes one change of category ``endpoint``: keyed
by the archived endpoint whose ``model_variant_permaslug`` and ``provider_slug`` are those
(when exactly one is), its file as it was then on both sides plus a ``zdr`` field going
false -> true (joined) or back, so classification, the monitor, the feeds and
``archiver changes --kind zdr`` read it like any other field change. A listed endpoint
the archive does not hold (or holds twice) keeps the ledger's names: key
``<model_id>@<tag>``, no page.

The ledger's first version is where the record starts, not news: it reports no change.
Telling who a member is reads every endpoint file of the sync: in a partial clone those
old versions are fetched first, in one request per sync (:class:`BlobReader`), not one
round trip per file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from archiver.archive.zdr_ledger import listed
from archiver.errors import StoreError, UnsafeKeyError
from archiver.history.classify import classify
from archiver.history.index import Entry, HistoryIndex
from archiver.history.partial_clone import BlobReader
from archiver.paths import path_to_key

__all__ = ["ledger_changes"]

Entity = dict[str, Any]
# Reads the JSON object a blob holds (archiver.history.versions' reader, cached by blob),
# or raises StoreError naming where (the second argument) the blob is.
EntityRead = Callable[[str, str], Entity]


def ledger_changes(
    index: HistoryIndex, read: EntityRead, entry: Entry
) -> list[tuple[str, Entity, Entity, tuple[str, ...]]]:
    """Return (endpoint key, before, after, classes) for each endpoint a ledger change moved."""
    if entry.status != "M" or entry.old_blob is None or entry.new_blob is None:
        return []
    blobs = BlobReader(index.repo)
    # Both versions in one request where the caller's own batch did not hold them.
    blobs.prefetch((entry.old_blob, entry.new_blob))
    where = f"{entry.path} in commit {entry.commit[:12]}"
    old = listed(read(entry.old_blob, where))
    new = listed(read(entry.new_blob, where))
    moved = [(member, True) for member in new.keys() - old.keys()]
    moved += [(member, False) for member in old.keys() - new.keys()]
    if not moved:
        return []
    resolver = _Resolver(index, read, blobs, entry.seq)
    resolved = [
        (resolver.endpoint(member, (new if joined else old)[member]), joined)
        for member, joined in sorted(moved)
    ]
    # One endpoint under a name that left and one that joined: its tag moved with its
    # quantization (mancer/fp4 -> mancer/fp8) and it stayed on the list. Told as it was, it
    # "left the list" and "joined" it in one sync, which it never did.
    ways: dict[str, set[bool]] = {}
    for (key, _), joined in resolved:
        ways.setdefault(key, set()).add(joined)
    found = []
    for (key, entity), joined in resolved:
        if len(ways[key]) > 1:
            continue
        before, after = {**entity, "zdr": not joined}, {**entity, "zdr": joined}
        found.append((key, before, after, classify("endpoint", before, after).kinds))
    return found


class _Resolver:
    """Finds the archived endpoint a ledger member names, as of a sync (or the one before)."""

    def __init__(self, index: HistoryIndex, read: EntityRead, blobs: BlobReader, seq: int) -> None:
        self.index, self.read, self.blobs, self.seq = index, read, blobs, seq
        self._maps: dict[int, dict[tuple[str, str], list[tuple[str, Entity]]]] = {}

    def endpoint(self, member: tuple[str, str], names: Mapping[str, object]) -> tuple[str, Entity]:
        """Return (key, file) of the endpoint a member names, or a stand-in from its names."""
        # An endpoint that left the list and the catalog in one sync is found the sync before.
        for seq in (self.seq, self.seq - 1):
            matches = self._by_member(seq).get(member, [])
            if len(matches) == 1:
                return matches[0]
        model_id, tag = member
        stand_in: Entity = {"model": model_id, "provider_slug": tag}
        stand_in["provider_info"] = tag.split("/", 1)[0]
        for field in ("provider_name", "name"):
            if isinstance(names.get(field), str):
                stand_in[field] = names[field]
        if "provider_name" in stand_in:
            stand_in["provider_display_name"] = stand_in["provider_name"]
        return f"{model_id}@{tag}", stand_in

    def _by_member(self, seq: int) -> dict[tuple[str, str], list[tuple[str, Entity]]]:
        """Return {(permaslug, provider slug): [(key, file)]} of the endpoints as of seq."""
        if seq not in self._maps:
            found: dict[tuple[str, str], list[tuple[str, Entity]]] = {}
            files = self.index.files_at(seq, "data/endpoint/")
            self.blobs.prefetch(files.values())
            for path, blob_id in sorted(files.items()):
                try:
                    key, entity = path_to_key(path)[1], self.read(blob_id, path)
                except (StoreError, UnsafeKeyError):
                    continue  # Not an endpoint file that reads; it names no ledger member.
                permaslug, slug = entity.get("model_variant_permaslug"), entity.get("provider_slug")
                if isinstance(permaslug, str) and isinstance(slug, str):
                    found.setdefault((permaslug, slug), []).append((key, entity))
            self._maps[seq] = found
        return self._maps[seq]
