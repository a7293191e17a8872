"""What the history index answers: a file's changes, the archive's files at a commit, a range.

:class:`IndexQueries` holds the read-only queries over an index database that
:class:`archiver.history.index.HistoryIndex` has brought up to date with HEAD; each is one
SQL statement. Commits are numbered along the first-parent chain (``seq``, oldest first).

Entity histories tell what upstream said, sync by sync. A commit a person made (a file fixed
by hand, a sync reverted, a pull request merged: no ``Sync-Epoch``) is left out of them, in
every reader alike (``log``, ``changes``, ``price``, the site, the export): each sync's change
is taken against the file as the previous sync left it, so the sync that puts back upstream's
data after a hand edit or a revert changes nothing, rather than telling an upstream change
(or a removal and a return) upstream never made. A file a person deleted that the next sync
left deleted is removed by that sync: a sync puts back a file upstream still lists, so
upstream dropped it too, and no later sync would ever touch the path to say so (the history
would keep in force for ever an entity ``show --at`` and ``git show`` have gone). ``git log``
still shows the person's commit; the state at HEAD (``show``, the site's tables) is the tree
as it is, hand edits included.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from archiver.history.index_database import aware, damaged, epoch_seconds
from archiver.paths import ROOT

__all__ = ["Entry", "IndexQueries"]

_ENTRY_COLUMNS = "c.seq, c.id, c.epoch, x.path, x.status, x.old_blob, x.new_blob, c.by_hand"
_ENTRY_JOIN = "changes AS x JOIN commits AS c ON c.seq = x.seq"
_NEWEST = 2**62  # Above every commit number.


@dataclass(frozen=True)
class Entry:
    """One change to one file in one commit of the first-parent chain."""

    seq: int
    commit: str
    epoch: datetime
    path: str
    status: str
    old_blob: str | None
    new_blob: str | None
    by_hand: bool = False


class IndexQueries:
    """The read-only queries of the history index, over its open database connection."""

    db: sqlite3.Connection

    def _rows(self, sql: str, parameters: Sequence[object] = ()) -> list[Any]:
        """Return every row of a query; a damaged database is rebuilt and asked again."""
        try:
            return self.db.execute(sql, parameters).fetchall()
        except sqlite3.DatabaseError as error:
            # SQLite finds a page cut off or garbled only when a query reaches it.
            if not damaged(error):
                raise
        self._rebuild()
        return self.db.execute(sql, parameters).fetchall()

    def _row(self, sql: str, parameters: Sequence[object] = ()) -> Any:
        """Return the first row of a query, or None."""
        rows = self._rows(sql, parameters)
        return rows[0] if rows else None

    def _rebuild(self) -> None:
        """Replace a damaged database with one built afresh (the index does this)."""
        raise NotImplementedError

    def entries_for(self, path: str, seq: int = _NEWEST) -> list[Entry]:
        """Return every change to one file (at or before commit number seq), oldest first."""
        rows = self._rows(
            f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_JOIN} WHERE x.path = ? AND x.seq <= ? "
            "ORDER BY x.seq",
            (path, seq),
        )
        entries = [_entry(row) for row in rows]
        found = self._by_syncs(entries, path, "n.seq <= ?", (seq,), newest_first=False)
        return [entry for entry in found if entry.path == path]

    def last_entry(self, path: str, seq: int) -> Entry | None:
        """Return the newest change a sync made to one file at or before commit number seq."""
        if not self._hand_made():
            return self._last_sync_entry(path, seq)
        # The changes after seq are not read: `changes` asks this of each file a sync adds.
        found = self.entries_for(path, seq)
        return found[-1] if found else None

    def file_entry(self, path: str, seq: int) -> Entry | None:
        """Return the change that left one file as it is at commit number seq, whoever made
        it: the tree as it is there, as files_at reads it (hand edits included)."""
        row = self._row(
            f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_JOIN} WHERE x.path = ? AND x.seq <= ? "
            "ORDER BY x.seq DESC LIMIT 1",
            (path, seq),
        )
        return _entry(row) if row else None

    def _last_sync_entry(self, path: str, seq: int) -> Entry | None:
        """Return the newest change to one file by a sync at or before seq, as git diffs it."""
        row = self._row(
            f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_JOIN} WHERE x.path = ? AND x.seq <= ? "
            "AND c.by_hand = 0 ORDER BY x.seq DESC LIMIT 1",
            (path, seq),
        )
        return _entry(row) if row else None

    def _hand_made(self) -> bool:
        """Tell whether a person's commit changed an indexed file (an unattended archive has
        none; nor has a fork whose people only update the code or the watch list)."""
        found = self._row(
            "SELECT 1 FROM commits AS c JOIN changes AS x ON x.seq = c.seq "
            "WHERE c.by_hand = 1 LIMIT 1"
        )
        return found is not None

    def _by_syncs(
        self,
        entries: list[Entry],
        prefix: str,
        where: str,
        bounds: Sequence[int],
        newest_first: bool = True,
    ) -> list[Entry]:
        """Return the changes syncs made, each against the file as the previous sync left it,
        with the removals of files a person deleted that the next sync left deleted (that sync,
        n, meets the condition where), in the order of entries: by seq, then path."""
        if not self._hand_made():
            return entries
        by_hand = self._hand_paths(prefix)
        changes = [
            entry if entry.path not in by_hand else self._against_last_sync(entry)
            for entry in entries
            if not entry.by_hand
        ]
        found = [change for change in changes if change is not None]
        found += self._left_deleted(prefix, where, bounds)
        return sorted(found, key=lambda e: (-e.seq if newest_first else e.seq, e.path))

    def _hand_paths(self, prefix: str) -> set[str]:
        """Return the files under prefix some person's commit changed."""
        rows = self._rows(
            f"SELECT DISTINCT x.path FROM {_ENTRY_JOIN} WHERE c.by_hand = 1 "
            "AND x.path >= ? AND x.path < ?",
            (prefix, _prefix_end(prefix)),
        )
        return {str(row[0]) for row in rows}

    def _left_deleted(self, prefix: str, where: str, bounds: Sequence[int]) -> list[Entry]:
        """Return, as its removal, each file a person deleted that the next sync left deleted:
        a sync puts back a file upstream still lists, so upstream dropped it too, and no later
        sync touches the path to say so (`show --at` and `git show` have it gone from there)."""
        rows = self._rows(
            "SELECT h.path, n.seq, n.id, n.epoch FROM (SELECT DISTINCT x.path, "
            "(SELECT min(s.seq) FROM commits AS s WHERE s.seq > x.seq AND s.by_hand = 0) AS next "
            f"FROM {_ENTRY_JOIN} WHERE c.by_hand = 1 AND x.status = 'D' "
            "AND x.path >= ? AND x.path < ?) AS h JOIN commits AS n ON n.seq = h.next "
            f"WHERE {where}",
            (prefix, _prefix_end(prefix), *bounds),
        )
        found = []
        for path, seq, commit, epoch in rows:
            tree = self.file_entry(str(path), int(seq))
            if tree is None or tree.new_blob is not None or tree.seq == int(seq):
                continue  # Put back by a person, or the sync's own change.
            old = self._sync_state_before(str(path), int(seq))
            if old is not None:
                found.append(_entry((seq, commit, epoch, path, "D", old, None, 0)))
        return found

    def _against_last_sync(self, entry: Entry) -> Entry | None:
        """Return a sync's change taken against the file as the previous sync left it (None:
        the sync put back what a person had changed)."""
        old = self._sync_state_before(entry.path, entry.seq)
        return _against(entry, old) if old != entry.new_blob else None

    def _sync_state_before(self, path: str, seq: int) -> str | None:
        """Return the blob of one file as the syncs left it after the newest sync commit before
        commit number seq: absent if there is none or its tree lacks the file, else as a sync
        last wrote it (a person's edit the sync left in place is not upstream's)."""
        # One query where a sync made the change that left the file so, as nearly always: at
        # three, a person's commit touching every file made `changes` a third slower.
        row = self._row(
            f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_JOIN} WHERE x.path = ? AND x.seq <= "
            "(SELECT max(seq) FROM commits WHERE seq < ? AND by_hand = 0) "
            "ORDER BY x.seq DESC LIMIT 1",
            (path, seq),
        )
        tree = _entry(row) if row else None
        if tree is None or tree.new_blob is None or not tree.by_hand:
            return tree.new_blob if tree else None
        # A person's edit: no change to the file lies between theirs and that sync.
        last = self._last_sync_entry(path, tree.seq)
        return last.new_blob if last else None

    def seq_at(self, at: datetime | None) -> tuple[int, str] | None:
        """Return (seq, commit id) of the newest indexed sync whose epoch is <= at, or None;
        at None: of the newest indexed commit, a person's too (HEAD's files as they are, as
        `git show HEAD:` and the site read them: after a sync, they hold the person's edit)."""
        if at is None:
            row = self._row("SELECT seq, id FROM commits ORDER BY seq DESC LIMIT 1")
            return (int(row[0]), str(row[1])) if row else None
        row = self._row(
            "SELECT seq, id FROM commits WHERE seq = "
            "(SELECT max(seq) FROM commits WHERE epoch <= ? AND by_hand = 0)",
            (epoch_seconds(at),),
        )
        return (int(row[0]), str(row[1])) if row else None

    def seq_of(self, commit: str) -> int | None:
        """Return the number of a commit on the indexed first-parent chain, or None if it is not."""
        row = self._row("SELECT seq FROM commits WHERE id = ?", (commit,))
        return int(row[0]) if row else None

    def syncs_from(self, since: datetime) -> list[str]:
        """Return the ids of the indexed syncs whose epoch is at or after since, wherever they
        lie on the chain (a person's merge or cherry-pick puts a sync after newer ones)."""
        rows = self._rows(
            "SELECT id FROM commits WHERE epoch >= ? AND by_hand = 0", (epoch_seconds(since),)
        )
        return [str(row[0]) for row in rows]

    def newest_commit(self) -> str | None:
        """Return the id of the newest indexed commit (HEAD's, or the newest on its chain)."""
        row = self._row("SELECT id FROM commits ORDER BY seq DESC LIMIT 1")
        return str(row[0]) if row else None

    def entries_after(self, seq: int, prefix: str = f"{ROOT}/") -> list[Entry]:
        """Return the changes of the commits after commit number seq under prefix, newest first."""
        rows = self._rows(
            f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_JOIN} WHERE x.seq > ? "
            "AND x.path >= ? AND x.path < ? ORDER BY x.seq DESC, x.path",
            (seq, prefix, _prefix_end(prefix)),
        )
        return self._by_syncs([_entry(row) for row in rows], prefix, "n.seq > ?", (seq,))

    def first_epoch(self) -> datetime | None:
        """Return the epoch of the oldest indexed sync, or None when nothing is indexed."""
        row = self._row("SELECT min(epoch) FROM commits WHERE by_hand = 0")
        return None if row is None or row[0] is None else datetime.fromtimestamp(int(row[0]), UTC)

    def files_at(self, seq: int, prefix: str = f"{ROOT}/") -> dict[str, str]:
        """Return {path: blob id} of every file under prefix as of commit number seq."""
        rows = self._rows(
            "SELECT path, status, new_blob, max(seq) FROM changes WHERE seq <= ? "
            "AND path >= ? AND path < ? GROUP BY path",
            (seq, prefix, _prefix_end(prefix)),
        )
        return {str(path): str(blob) for path, status, blob, _ in rows if status != "D"}

    def entries_between(
        self, since: datetime | None, until: datetime | None, prefix: str = f"{ROOT}/"
    ) -> list[Entry]:
        """Return the changes of commits with since <= epoch <= until under prefix, newest first."""
        low = math.ceil(aware(since).timestamp()) if since else -(2**62)
        high = epoch_seconds(until) if until else 2**62
        rows = self._rows(
            f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_JOIN} WHERE c.epoch BETWEEN ? AND ? "
            "AND x.path >= ? AND x.path < ? ORDER BY x.seq DESC, x.path",
            (low, high, prefix, _prefix_end(prefix)),
        )
        where = "n.epoch BETWEEN ? AND ?"
        return self._by_syncs([_entry(row) for row in rows], prefix, where, (low, high))


def _against(entry: Entry, old_blob: str | None) -> Entry:
    """Return a sync's change to a file taken against old_blob (the previous sync's version)."""
    if old_blob == entry.old_blob:
        return entry
    status = "A" if old_blob is None else ("D" if entry.new_blob is None else "M")
    return replace(entry, status=status, old_blob=old_blob)


def _entry(row: Sequence[object]) -> Entry:
    """Return an Entry from a row of _ENTRY_COLUMNS."""
    seq, commit, epoch, path, status, old_blob, new_blob, by_hand = row
    return Entry(
        seq=int(str(seq)),
        commit=str(commit),
        epoch=datetime.fromtimestamp(int(str(epoch)), UTC),
        path=str(path),
        status=str(status),
        old_blob=str(old_blob) if old_blob else None,
        new_blob=str(new_blob) if new_blob else None,
        by_hand=bool(by_hand),
    )


def _prefix_end(prefix: str) -> str:
    """Return the smallest string greater than every string that starts with prefix."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
