"""The history index: derived data that maps every entity file to its changes, by commit.

It lives at ``<git-dir>/archiver/history.sqlite``: inside ``.git``, so it is never committed
and never pushed. This module owns keeping it up to date; each query brings it up to date
with HEAD first:

- HEAD is the commit indexed last: nothing to do (one SQLite read).
- Otherwise walk HEAD's first-parent chain back to the newest commit the index knows (the
  commit indexed last, or any indexed commit), drop whatever the index holds after that
  commit, and index the rest with one ``git log --first-parent --raw`` over ``base..HEAD``.
  New syncs, imports and pulls append; ``git reset --hard`` to an older commit, an amend or
  a rebase truncate back to the fork point; unrelated history (or a changed shallow
  boundary or ``info/grafts``, or an index of another schema or a damaged file) rebuilds
  from scratch.

History is read along the first-parent chain, each commit diffed against its first parent:
a merge commit counts as one change set that brings in what the merged side changed, so
the changes of the chain add up exactly to each commit's tree. How a commit is read and
what its epoch is: :mod:`archiver.history.commits`; the database and its schema:
:mod:`archiver.history.index_database`; the queries: :mod:`archiver.history.index_queries`.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from archiver.closing import ClosedOnExit
from archiver.history.commits import (
    LogCommit,
    commit_epoch,
    first_parent_chain,
    git_log,
    head_id,
    made_by_hand,
    open_repository,
    shallow_digest,
)
from archiver.history.index_database import (
    connect_index,
    damaged,
    epoch_seconds,
    locked,
    memory_index,
)
from archiver.history.index_queries import Entry, IndexQueries
from archiver.source_digest import source_digest

__all__ = ["INDEX_FILE", "Entry", "HistoryIndex"]

INDEX_FILE = Path("archiver") / "history.sqlite"
# The modules whose code decides what a row holds (which commits, epochs, people's commits,
# paths), relative to the package. An index is derived by the code that wrote it: one kept
# from an older release would go on answering with what that release got wrong (every sync
# read as a person's under trailer.separators, before c1cd48e) for good.
_DERIVING_MODULES = (
    "history/index.py",
    "history/index_database.py",
    "history/commits.py",
    "archive/trailers.py",
    "archive/zdr_ledger.py",
    "paths.py",
    "times.py",
)


class HistoryIndex(ClosedOnExit, IndexQueries):
    """The derived history index of one repository, up to date with HEAD once opened."""

    def __init__(self, repo_path: str | Path) -> None:
        self.repo = open_repository(repo_path)
        self.git_dir = Path(self.repo.path)
        self.db = connect_index(self.git_dir / INDEX_FILE)
        try:
            self.update()
        except sqlite3.DatabaseError as error:
            if locked(error):
                # Another process holds the index (a hung one?): answer from an index of
                # this process's own, as for a read-only .git, rather than fail.
                self.db.close()
                self.db = memory_index()
                self.update()
            elif damaged(error):
                self._rebuild()
            else:
                raise

    def _rebuild(self) -> None:
        """Replace a database found damaged (a page cut off or garbled) with a fresh one."""
        self.db.close()
        self.db = connect_index(self.git_dir / INDEX_FILE, discard=True)
        self.update()

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def update(self) -> None:
        """Bring the index up to date with HEAD, incrementally where history allows."""
        head = head_id(self.repo)
        graft = shallow_digest(self.git_dir)
        if self._current(head, graft):
            return  # Up to date: answered without a write lock.
        with self._transaction():
            if self._current(head, graft):
                return  # Another process caught up while this one waited.
            if self._meta("graft") != graft or not self._derived_here():
                # Another shallow boundary, or rows other code derived: read it all again.
                self._truncate(0)
                self._set_meta("head", "")
            self._catch_up(head)
            self._set_meta("head", head)
            self._set_meta("graft", graft)
            self._set_meta("reader", f"{reader_digest()} {head}")

    def _current(self, head: str, graft: str) -> bool:
        """Tell whether the index holds head's history, as this code derives it."""
        return self._meta("head") == head and self._meta("graft") == graft and self._derived_here()

    def _derived_here(self) -> bool:
        """Tell whether this code derived every row: the stamp names it and the head it
        indexed last, so rows an older release appended since (it keeps no stamp) count too."""
        return self._meta("reader") == f"{reader_digest()} {self._meta('head')}"

    def _catch_up(self, head: str) -> None:
        """Index the first-parent commits between what the index holds and head."""
        if not head:
            self._truncate(0)
            return
        base = self._base(head)
        if base is None:
            self._truncate(0)
            revision = head
        else:
            self._truncate(base[1])
            if base[0] == head:
                return  # HEAD went back to a commit the index holds: nothing new to read.
            revision = f"{base[0]}..{head}"
        self._append(git_log(self.git_dir, revision))

    def _base(self, head: str) -> tuple[str, int] | None:
        """Return (commit, seq) of the newest commit on head's first-parent chain still valid."""
        indexed = self._meta("head")
        if not indexed:
            return None
        last = self.db.execute("SELECT coalesce(max(seq), 0) FROM commits").fetchone()[0]
        for commit_id in first_parent_chain(self.repo, head):
            if commit_id == indexed:
                return commit_id, int(last)
            row = self.db.execute("SELECT seq FROM commits WHERE id = ?", (commit_id,)).fetchone()
            if row:
                return commit_id, int(row[0])
        return None

    def _append(self, commits: Iterator[LogCommit]) -> None:
        """Add commits (oldest first, as git log --reverse would give) after the last seq."""
        listed = list(commits)
        listed.reverse()
        start = self.db.execute("SELECT coalesce(max(seq), 0) FROM commits").fetchone()[0]
        for seq, commit in enumerate(listed, start=int(start) + 1):
            epoch = epoch_seconds(commit_epoch(self.repo, commit))
            by_hand = made_by_hand(self.repo, commit)
            self.db.execute(
                "INSERT INTO commits VALUES (?, ?, ?, ?)", (seq, commit.id, epoch, by_hand)
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO changes VALUES (?, ?, ?, ?, ?)",
                [(path, seq, status, old, new) for status, old, new, path in commit.records],
            )

    def _truncate(self, seq: int) -> None:
        """Forget every commit after commit number seq (0: everything)."""
        self.db.execute("DELETE FROM changes WHERE seq > ?", (seq,))
        self.db.execute("DELETE FROM commits WHERE seq > ?", (seq,))

    def _meta(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def _set_meta(self, name: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """Run a block as one write transaction: concurrent updaters queue, a crash rolls back."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()


@functools.cache
def reader_digest() -> str:
    """Return a digest of the code that derives the index's rows (see _DERIVING_MODULES)."""
    return source_digest(_DERIVING_MODULES).hexdigest()
