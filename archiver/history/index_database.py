"""The history index's SQLite database: its schema, and opening it whatever state it is in.

Three tables: ``meta`` (schema version, the commit indexed last, the shallow boundary's
digest), ``commits`` (one row per first-parent commit: its number ``seq``, id, epoch in
whole Unix seconds, and whether a person made it) and ``changes`` (one row per file a
commit changed). The database is derived data: a damaged file, or one of another schema
version, is deleted and rebuilt, never repaired; a read-only ``.git`` gets an index in
memory for the process.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "SCHEMA_VERSION",
    "aware",
    "connect_index",
    "damaged",
    "epoch_seconds",
    "locked",
    "memory_index",
]

# 2: the ZDR ledger is indexed beside the entity folders. 3: commits made by hand are marked.
SCHEMA_VERSION = "3"
# How long to wait for another process updating the index (a build, a sync's reader).
LOCK_SECONDS = 60.0
_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE commits (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, epoch INTEGER NOT NULL,
    by_hand INTEGER NOT NULL
);
CREATE INDEX commits_epoch ON commits (epoch);
CREATE INDEX commits_by_hand ON commits (seq) WHERE by_hand = 1;
CREATE TABLE changes (
    path TEXT NOT NULL, seq INTEGER NOT NULL, status TEXT NOT NULL,
    old_blob TEXT, new_blob TEXT, PRIMARY KEY (path, seq)
) WITHOUT ROWID;
CREATE INDEX changes_seq ON changes (seq);
"""


def connect_index(path: Path, *, discard: bool = False) -> sqlite3.Connection:
    """Open the index database, recreating it if it is damaged or of another schema
    (discard: recreate it anyway, a query having found it damaged)."""
    if not discard:
        try:
            return _open_database(path)
        except sqlite3.DatabaseError as error:
            if locked(error):
                return _open_database(None)  # Held by another process: never deleted under it.
        except OSError:
            return _open_database(None)  # A read-only .git: an index in memory, for this process.
    # Derived data: a damaged file is deleted and rebuilt, never repaired.
    try:
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        return _open_database(path)
    except (OSError, sqlite3.DatabaseError):
        return _open_database(None)


def memory_index() -> sqlite3.Connection:
    """Open an empty index in memory: for this process alone, when the file cannot serve."""
    return _open_database(None)


def locked(error: sqlite3.DatabaseError) -> bool:
    """Tell whether an error says another connection held the database past LOCK_SECONDS."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED


def damaged(error: sqlite3.DatabaseError) -> bool:
    """Tell whether an error says the database file is damaged (not busy, not full)."""
    code = getattr(error, "sqlite_errorcode", None)
    # SQLITE_CORRUPT and SQLITE_NOTADB (extended codes keep the primary in the low byte).
    return type(error) is sqlite3.DatabaseError or (code is not None and code & 0xFF in (11, 26))


def _open_database(path: Path | None) -> sqlite3.Connection:
    """Open (creating when needed) the index database at path, or in memory for None."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(
        str(path) if path else ":memory:",
        timeout=LOCK_SECONDS,
        isolation_level=None,
        check_same_thread=False,
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


def aware(moment: datetime) -> datetime:
    """Return a time with a time zone (a naive time counts as UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def epoch_seconds(moment: datetime) -> int:
    """Return a time as the database stores epochs: whole Unix seconds, rounded down."""
    return math.floor(aware(moment).timestamp())
