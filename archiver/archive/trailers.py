"""The sync log's git trailers, read in one place: pygit2 parses them as git does.

Every sync commit ends with a paragraph of `Key: value` lines (archiver.archive.synclog
writes them); git reads them with `git log --format='%(trailers:key=Sync-Epoch)'`, and
libgit2 with the same rules, so what the archiver reads is what git shows.
"""

from __future__ import annotations

from datetime import datetime

import pygit2

from archiver.times import parse_time

EPOCH_TRAILER = "Sync-Epoch"


def trailers(commit: pygit2.Commit) -> dict[str, str]:
    """Return a commit's trailers ({} for a commit without any, or with unreadable ones)."""
    try:
        if not _decodable(commit):
            return {}
        return {str(key): str(value) for key, value in commit.message_trailers.items()}
    except (pygit2.GitError, ValueError):
        return {}


def _decodable(commit: pygit2.Commit) -> bool:
    """Tell whether pygit2 can decode the commit's trailers in the encoding it declares.

    pygit2 decodes each trailer value strictly in the commit's `encoding` header, and a
    value that fails (an encoding Python lacks, such as the Windows-31J a person's
    i18n.commitEncoding may name, or bytes that are not in it) killed the process with
    SIGSEGV: a person's signed-off commit on top stopped every sync, notify and export.
    The archiver's own commits are UTF-8, which git records without the header.
    """
    encoding = commit.message_encoding
    if encoding is None:
        return True  # UTF-8: pygit2 replaces what does not decode.
    try:
        commit.raw_message.decode(encoding)
        # Lines and separators as ASCII: a value cut from any line decodes alike (not so
        # in UTF-16, whose two-byte units a value may split).
        return ": \n".encode(encoding) == b": \n"
    except (LookupError, ValueError):
        return False


def sync_epoch(commit: pygit2.Commit) -> datetime | None:
    """Return the Sync-Epoch of a sync commit, or None for any other commit."""
    value = trailers(commit).get(EPOCH_TRAILER)
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def latest_sync_trailers(commit: pygit2.Commit | None) -> dict[str, str]:
    """Return the trailers of the newest sync commit on commit's first-parent line ({}: none).

    What a sync remembers for the next one (the removal guard's window, the listings unread
    since when) travels in its commit. A person's commit or a code update on top carries
    none: read from HEAD alone, all of it was forgotten at each such commit, and a listing
    shrinking 8% a sync went on shrinking past the guard.
    """
    while commit is not None:
        if sync_epoch(commit) is not None:
            return trailers(commit)
        try:
            commit = commit.parents[0] if commit.parents else None
        except (pygit2.GitError, KeyError):
            return {}  # A parent this clone lacks: no older sync to read, as in a shallow one.
    return {}
