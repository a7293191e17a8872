"""Which blobs reading history's changes needs, for `BlobReader.prefetch` in a partial clone.

The fetching itself is archiver.archive.partial_clone's (the sync reads through it too);
its names are kept here for history's readers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from archiver.archive.partial_clone import BlobReader, git_fetch, promisor_remote
from archiver.history.index import Entry, HistoryIndex

__all__ = ["BlobReader", "blobs_needed", "git_fetch", "promisor_remote"]


def blobs_needed(index: HistoryIndex, entries: Iterable[Entry]) -> Iterator[str | None]:
    """Yield the blobs reading entries' changes needs (a returning entity's, before it left)."""
    for entry in entries:
        yield entry.old_blob
        yield entry.new_blob
        if entry.status == "A" and (earlier := index.last_entry(entry.path, entry.seq - 1)):
            yield earlier.old_blob
