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
        return {str(key): str(value) for key, value in commit.message_trailers.items()}
    except (pygit2.GitError, ValueError):
        return {}


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
