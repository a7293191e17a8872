"""A history index cut mid-page, or held by a hung process: `changes` and `log` answer as
before.

The index (`.git/archiver/history.sqlite`) is derived data, rebuilt when it does not open or
holds another schema. A file cut short inside a page (a full disk, a copy killed half-way,
a cache restored from CI storage cut short) still opens: SQLite finds the cut page only when
a query reaches it, so `archiver changes` raised `sqlite3.DatabaseError: database disk
image is malformed` as a traceback, and did so every hour after, since nothing rebuilt the
file. A query that finds the database damaged now rebuilds it and asks again.

A process that holds the index's write lock and never lets go (a hung build, a `sqlite3`
shell left in a transaction) made every command that had a new commit to index wait a
minute, then raise `sqlite3.OperationalError: database is locked`. It now answers from an
index in memory, as for a read-only .git, and leaves the file alone. A real small archive
(two small captures synced), the command line in-process.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.history import index_database
from archiver.history.index import INDEX_FILE
from archiver.paths import path_to_key
from tests.archive_helpers import git
from tests.small_captures import small_archive, small_base, small_captures, sync_small

__all__ = ["small_archive", "small_base", "small_captures"]


def _run(*arguments: str) -> str:
    result = CliRunner().invoke(main, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def test_an_index_cut_mid_page_is_rebuilt_and_answers_as_before(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    sync_small(small_archive, small_captures[1])
    repo = str(small_archive)
    changed = git(small_archive, "diff", "--name-only", "HEAD~1", "HEAD", "--", "data/model")
    model = path_to_key(changed.splitlines()[0])[1]
    asked = [
        ("changes", "--repo", repo, "--since", "2000-01-01"),
        ("log", "--repo", repo, "model", model),
    ]
    expected = [_run(*arguments) for arguments in asked]
    index = small_archive / ".git" / INDEX_FILE
    assert not index.with_name(f"{index.name}-wal").exists()  # All of it is in the file.

    for arguments, answer in zip(asked, expected, strict=True):
        index.write_bytes(index.read_bytes()[:-100])
        assert _run(*arguments) == answer


def test_an_index_held_by_a_hung_process_still_answers(
    small_archive: Path, small_captures: list[Capture], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = str(small_archive)
    asked = ("changes", "--repo", repo, "--since", "2000-01-01")
    _run(*asked)  # The index, up to the first sync.
    sync_small(small_archive, small_captures[1])
    index = small_archive / ".git" / INDEX_FILE
    holder = sqlite3.connect(index, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # The write lock, never released while the test runs.
    monkeypatch.setattr(index_database, "LOCK_SECONDS", 0.5)
    try:
        answer = _run(*asked)
        held = holder.execute("SELECT value FROM meta WHERE name = 'head'").fetchone()
    finally:
        holder.rollback()
        holder.close()

    assert answer == _run(*asked)  # As the index in the file, brought up to date, answers.
    assert held is not None and held[0] != git(small_archive, "rev-parse", "HEAD").strip()
