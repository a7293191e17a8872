"""The history index: derived data that maps every entity file to its changes, by commit.

It lives at ``<git-dir>/archiver/history.sqlite``: inside ``.git``, so it is never committed
and never pushed. Each query brings it up to date with HEAD first:

- HEAD is the commit indexed last: nothing to do (one SQLite read).
- Otherwise walk HEAD's first-parent chain back to the newest commit the index knows (the
  commit indexed last, or any indexed commit), drop whatever the index holds after that
  commit, and index the rest with one ``git log --first-parent --raw`` over ``base..HEAD``.
  New syncs, imports and pulls append; ``git reset --hard`` to an older commit, an amend or
  a rebase truncate back to the fork point; unrelated history (or a changed shallow
  boundary, or an index of another schema or a damaged file) rebuilds from scratch.

History is read along the first-parent chain, each commit diffed against its first parent:
a merge commit counts as one change set that brings in what the merged side changed, so
the changes of the chain add up exactly to each commit's tree. A commit's epoch is its
``Sync-Epoch`` trailer; a merge without one takes the newest epoch the merged side carries;
any other commit without one (a person's edit) takes its commit time.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import pygit2

from archiver.archive.synclog import EPOCH_TRAILER, parse_time
from archiver.errors import StoreError
from archiver.paths import CATEGORIES, ROOT

SCHEMA_VERSION = "1"
INDEX_FILE = Path("archiver") / "history.sqlite"
PATHSPECS = tuple(f"{ROOT}/{category}/" for category in CATEGORIES)
ZERO_OID = "0" * 40
_COMMIT_MARK = b"\x1e"
_FIELD_MARK = b"\x1f"
_LOG_FORMAT = (
    f"--format=%x1e%H%x1f%P%x1f%ct%x1f%(trailers:key={EPOCH_TRAILER},valueonly,separator=%x1d)"
)
_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE commits (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, epoch INTEGER NOT NULL);
CREATE INDEX commits_epoch ON commits (epoch);
CREATE TABLE changes (
    path TEXT NOT NULL, seq INTEGER NOT NULL, status TEXT NOT NULL,
    old_blob TEXT, new_blob TEXT, PRIMARY KEY (path, seq)
) WITHOUT ROWID;
CREATE INDEX changes_seq ON changes (seq);
"""
_ENTRY_COLUMNS = "c.seq, c.id, c.epoch, x.path, x.status, x.old_blob, x.new_blob"
_ENTRY_JOIN = "changes AS x JOIN commits AS c ON c.seq = x.seq"


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


@dataclass(frozen=True)
class LogCommit:
    """One commit as `git log --raw` reports it: ids, time, epoch trailer, file records."""

    id: str
    parents: tuple[str, ...]
    time: int
    trailer: str
    records: tuple[tuple[str, str | None, str | None, str], ...]


class HistoryIndex:
    """The derived history index of one repository, up to date with HEAD once opened."""

    def __init__(self, repo_path: str | Path) -> None:
        self.repo = open_repository(repo_path)
        self.git_dir = Path(self.repo.path)
        self.db = _connect(self.git_dir / INDEX_FILE)
        self.update()

    def __enter__(self) -> HistoryIndex:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def update(self) -> None:
        """Bring the index up to date with HEAD, incrementally where history allows."""
        head = _head_id(self.repo)
        graft = _shallow_digest(self.git_dir)
        if self._meta("head") == head and self._meta("graft") == graft:
            return  # Up to date: answered without a write lock.
        with self._transaction():
            if self._meta("head") == head and self._meta("graft") == graft:
                return  # Another process caught up while this one waited.
            if self._meta("graft") != graft:
                self._truncate(0)
                self._set_meta("head", "")
            self._catch_up(head)
            self._set_meta("head", head)
            self._set_meta("graft", graft)

    def entries_for(self, path: str) -> list[Entry]:
        """Return every change to one file, oldest first."""
        rows = self.db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_JOIN} WHERE x.path = ? ORDER BY x.seq", (path,)
        )
        return [_entry(row) for row in rows]

    def last_entry(self, path: str, seq: int) -> Entry | None:
        """Return the newest change to one file at or before commit number seq, or None."""
        row = self.db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_JOIN} WHERE x.path = ? AND x.seq <= ? "
            "ORDER BY x.seq DESC LIMIT 1",
            (path, seq),
        ).fetchone()
        return _entry(row) if row else None

    def seq_at(self, at: datetime) -> tuple[int, str] | None:
        """Return (seq, commit id) of the newest indexed commit whose epoch is <= at, or None."""
        row = self.db.execute(
            "SELECT seq, id FROM commits WHERE seq = "
            "(SELECT max(seq) FROM commits WHERE epoch <= ?)",
            (_timestamp(at),),
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def files_at(self, seq: int, prefix: str = f"{ROOT}/") -> dict[str, str]:
        """Return {path: blob id} of every file under prefix as of commit number seq."""
        rows = self.db.execute(
            "SELECT path, status, new_blob, max(seq) FROM changes WHERE seq <= ? "
            "AND path >= ? AND path < ? GROUP BY path",
            (seq, prefix, _prefix_end(prefix)),
        )
        return {str(path): str(blob) for path, status, blob, _ in rows if status != "D"}

    def entries_between(
        self, since: datetime | None, until: datetime | None, prefix: str = f"{ROOT}/"
    ) -> list[Entry]:
        """Return the changes of commits with since <= epoch <= until under prefix, newest first."""
        low = math.ceil(_aware(since).timestamp()) if since else -(2**62)
        high = _timestamp(until) if until else 2**62
        rows = self.db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_JOIN} WHERE c.epoch BETWEEN ? AND ? "
            "AND x.path >= ? AND x.path < ? ORDER BY x.seq DESC, x.path",
            (low, high, prefix, _prefix_end(prefix)),
        )
        return [_entry(row) for row in rows]

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
        for commit_id in _first_parent_chain(self.repo, head):
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
            epoch = _timestamp(commit_epoch(self.repo, commit))
            self.db.execute("INSERT INTO commits VALUES (?, ?, ?)", (seq, commit.id, epoch))
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


def open_repository(repo_path: str | Path) -> pygit2.Repository:
    """Open the git repository at repo_path (a work tree or a bare repository)."""
    root = Path(repo_path)
    found = pygit2.discover_repository(str(root)) if root.exists() else None
    if found is None:
        raise StoreError(
            f"{root} is not a git repository; run `archiver sync --repo {root}` to create one"
        )
    return pygit2.Repository(found)


def git_log(git_dir: Path, revision: str) -> Iterator[LogCommit]:
    """Yield the first-parent commits of revision that touch entity files, newest first."""
    git = shutil.which("git")
    if git is None:
        raise StoreError("reading history needs the git command; install git (2.31 or later)")
    command = [
        git, f"--git-dir={git_dir}", "--no-replace-objects", "log", "--first-parent",
        "--diff-merges=first-parent", "--root", "--raw", "-z", "--no-renames", "--no-abbrev",
        "--no-relative", "--no-ext-diff", "--no-color", _LOG_FORMAT, revision, "--", *PATHSPECS,
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        stdout, stderr = process.stdout, process.stderr
        assert stdout is not None and stderr is not None
        yield from parse_log(iter(lambda: stdout.read(1 << 20), b""))
        problem = stderr.read().decode(errors="replace").strip()
    if process.returncode:
        raise StoreError(f"git log failed in {git_dir} (exit {process.returncode}): {problem}")


def parse_log(chunks: Iterator[bytes]) -> Iterator[LogCommit]:
    """Parse `git log --raw -z` output in _LOG_FORMAT, streamed in chunks, into commits."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(_COMMIT_MARK)
        for block in complete:
            if block:
                yield _parse_commit(block)
    if pending:
        yield _parse_commit(pending)


def _parse_commit(block: bytes) -> LogCommit:
    """Parse one commit's header line and raw records."""
    header, _, raw = block.partition(b"\0")
    commit_id, parents, time, trailer = header.decode().split(_FIELD_MARK.decode(), 3)
    tokens = [token.lstrip(b"\n") for token in raw.split(b"\0")]
    records = []
    for meta, path in zip(tokens[0::2], tokens[1::2], strict=False):
        if not meta.startswith(b":"):
            continue
        _, _, old, new, status = meta[1:].decode().split(" ")
        records.append((_status(status), _oid(old), _oid(new), path.decode()))
    return LogCommit(
        id=commit_id,
        parents=tuple(parents.split()),
        time=int(time),
        trailer=trailer.split("\x1d")[0].strip(),
        records=tuple(records),
    )


def _status(letter: str) -> str:
    """Return A, M or D for a raw status letter (a type change counts as M)."""
    return letter[0] if letter[0] in "AD" else "M"


def _oid(text: str) -> str | None:
    """Return a blob id, or None for git's all-zero id (no blob on that side)."""
    return None if text == ZERO_OID else text


def commit_epoch(repo: pygit2.Repository, commit: LogCommit) -> datetime:
    """Return a commit's epoch: its trailer, else the merged side's newest, else its time."""
    with contextlib.suppress(ValueError):
        if commit.trailer:
            return parse_time(commit.trailer)
    if len(commit.parents) > 1:
        merged = list(_merged_epochs(repo, commit.id, commit.parents[0]))
        if merged:
            return max(merged)
    return datetime.fromtimestamp(commit.time, UTC)


def _merged_epochs(repo: pygit2.Repository, merge: str, first_parent: str) -> Iterator[datetime]:
    """Yield the epochs of the commits a merge brings in from its other parents."""
    walker = repo.walk(merge)
    walker.hide(first_parent)
    for commit in walker:
        for key, value in commit.message_trailers.items():
            if key == EPOCH_TRAILER:
                with contextlib.suppress(ValueError):
                    yield parse_time(value)


def _first_parent_chain(repo: pygit2.Repository, head: str) -> Iterator[str]:
    """Yield head and its first-parent ancestors, newest first (a shallow root ends it)."""
    commit_id: str | None = head
    while commit_id is not None:
        yield commit_id
        commit = repo.get(commit_id)
        if not isinstance(commit, pygit2.Commit):
            return
        parents = commit.parent_ids
        commit_id = str(parents[0]) if parents else None


def _head_id(repo: pygit2.Repository) -> str:
    """Return the commit id HEAD points at, or "" on an unborn branch."""
    if repo.head_is_unborn:
        return ""
    return str(repo.head.peel(pygit2.Commit).id)


def _shallow_digest(git_dir: Path) -> str:
    """Return a digest of the shallow boundary: deepening a clone changes history's roots."""
    try:
        return hashlib.sha1((git_dir / "shallow").read_bytes(), usedforsecurity=False).hexdigest()
    except FileNotFoundError:
        return ""


def _connect(path: Path) -> sqlite3.Connection:
    """Open the index database, recreating it if it is damaged or of another schema."""
    try:
        return _open_database(path)
    except sqlite3.DatabaseError:
        pass
    except OSError:
        return _open_database(None)  # A read-only .git: an index in memory, for this process.
    # Derived data: a damaged file is deleted and rebuilt, never repaired.
    try:
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        return _open_database(path)
    except (OSError, sqlite3.DatabaseError):
        return _open_database(None)


def _open_database(path: Path | None) -> sqlite3.Connection:
    """Open (creating when needed) the index database at path, or in memory for None."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(
        str(path) if path else ":memory:", timeout=60, isolation_level=None, check_same_thread=False
    )
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        _ensure_schema(db)
    except BaseException:
        db.close()
        raise
    return db


def _ensure_schema(db: sqlite3.Connection) -> None:
    """Create the tables, or drop and recreate them when they are of another version."""
    if _schema_version(db) == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if _schema_version(db) != SCHEMA_VERSION:
            for table in tables:
                db.execute(f'DROP TABLE "{table}"')
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    except BaseException:
        db.rollback()
        raise
    db.commit()


def _schema_version(db: sqlite3.Connection) -> str | None:
    """Return the schema version an index database records, or None."""
    try:
        row = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
    except sqlite3.OperationalError:
        return None  # No meta table yet.
    return str(row[0]) if row else None


def _entry(row: Sequence[object]) -> Entry:
    """Return an Entry from a row of _ENTRY_COLUMNS."""
    seq, commit, epoch, path, status, old_blob, new_blob = row
    return Entry(
        seq=int(str(seq)),
        commit=str(commit),
        epoch=datetime.fromtimestamp(int(str(epoch)), UTC),
        path=str(path),
        status=str(status),
        old_blob=str(old_blob) if old_blob else None,
        new_blob=str(new_blob) if new_blob else None,
    )


def _aware(moment: datetime) -> datetime:
    """Return a time with a time zone (a naive time counts as UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timestamp(moment: datetime) -> int:
    """Return a time as whole Unix seconds, rounded down."""
    return math.floor(_aware(moment).timestamp())


def _prefix_end(prefix: str) -> str:
    """Return the smallest string greater than every string that starts with prefix."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
