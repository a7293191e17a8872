"""Syncs an older release indexed on top of this one's history index are derived again.

The index records a digest of the code that derived it, and is derived again when the digest
differs. An older release knows no digest: sharing a clone with this one (a person's clone, a
fork's job lagging behind the code), it appended its own rows and moved the indexed head,
leaving this code's digest in place, so its rows (every sync read as a person's commit under
trailer.separators, before c1cd48e) were trusted. The digest now names the head it was
written at: an index moved on by other code is read again.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archiver.capture.files import Capture
from archiver.history import versions as history
from archiver.history.index import INDEX_FILE
from tests.archive_helpers import git
from tests.small_captures import small_archive, small_base, small_captures, sync_small

__all__ = ["small_archive", "small_base", "small_captures"]


def test_syncs_an_older_release_indexed_on_top_are_read_again(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    sync_small(small_archive, small_captures[1])
    expected = history.changes(small_archive)
    newest = git(small_archive, "rev-parse", "HEAD").strip()
    git(small_archive, "reset", "-q", "--hard", "HEAD~1")
    assert len(history.changes(small_archive)) < len(expected)
    git(small_archive, "reset", "-q", "--hard", newest)
    # The older release brings the index to the newest sync, reading it as a person's commit,
    # and moves the indexed head; it knows no digest to update.
    index_file = small_archive / ".git" / INDEX_FILE
    with sqlite3.connect(index_file) as db:
        seq = db.execute("SELECT max(seq) FROM commits").fetchone()[0] + 1
        db.execute("INSERT INTO commits VALUES (?, ?, 0, 1)", (seq, newest))
        db.execute("UPDATE meta SET value = ? WHERE name = 'head'", (newest,))
    db.close()
    assert history.changes(small_archive) == expected
