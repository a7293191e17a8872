"""A person's commit costs the history's readers a query per change, not four (audit, scale).

Since a file a person deleted is removed in the history by the next sync that leaves it so
(tests/test_audit33_person_deletion.py), each sync's change to a file a person touched was
read against the previous sync's state in three queries, and `last_entry` (asked of every
file a sync adds, by `changes`) read and re-derived every change of the file, later ones
too. On a 2,000-hour year of 1,300 endpoints whose files a person's commit rewrote,
`changes` ran 60,380 statements (14,350 before that fix) and took a fifth more CPU.
Now one query per change where a sync left the file as it was, and `last_entry` reads
only the changes up to the commit it is asked about. The answers are the same: the
readers' own tests, and here, the changes of a history with a person's rewrite in it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest
from pygit2.enums import FileMode

from archiver.canonical import canonical_bytes
from archiver.history import index as history_index
from archiver.history.index_database import connect_index
from archiver.history.versions import changes
from archiver.paths import key_to_path

FILES = 30


def _commit(repo: pygit2.Repository, files: dict[str, bytes | None], hour: int, sync: bool) -> None:
    """Commit these writes (None: a removal) on top of main."""
    head = None if repo.head_is_unborn else repo.head.peel(pygit2.Commit)
    index = pygit2.Index()
    if head is not None:
        index.read_tree(head.tree)
    for path, data in files.items():
        if data is None:
            index.remove(path)
        else:
            index.add(pygit2.IndexEntry(path, repo.create_blob(data), FileMode.BLOB))
    tree = index.write_tree(repo)
    stamp = 1_780_000_000 + hour * 3600
    signature = pygit2.Signature("a", "a@example.com", stamp, 0)
    epoch = f"\n\nSync-Epoch: 2026-06-01T{hour % 24:02d}:00:00Z\n" if sync else "\n"
    message = f"{'Sync' if sync else 'By hand'} {hour}{epoch}"
    parents = [head.id] if head is not None else []
    repo.create_commit("refs/heads/main", signature, signature, message, tree, parents)


def _endpoint(number: int, price: int) -> bytes:
    return canonical_bytes({"id": f"e{number:03d}", "pricing": {"prompt": str(price)}})


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a bare repository: a sync adding FILES endpoints, syncs changing two each, a
    person's commit rewriting every file and deleting one, then syncs again (one puts back
    upstream's bytes)."""
    path = tmp_path_factory.mktemp("hand-history") / "year.git"
    repo = pygit2.init_repository(str(path), bare=True, initial_head="main")
    paths = [key_to_path("endpoint", f"e{n:03d}") for n in range(FILES)]
    _commit(repo, {p: _endpoint(n, 1) for n, p in enumerate(paths)}, 0, sync=True)
    for hour in range(1, 11):
        _commit(repo, {paths[hour]: _endpoint(hour, hour), paths[hour + 10]: None}, hour, True)
    tree = repo.head.peel(pygit2.Commit).tree
    rewritten = {p: tree[p].peel(pygit2.Blob).data + b"\n" for p in paths[:10]}
    _commit(repo, {**rewritten, paths[0]: None}, 11, sync=False)
    for hour in range(12, 20):
        _commit(repo, {paths[hour - 10]: _endpoint(hour - 10, hour)}, hour, True)
    _commit(repo, {paths[1]: _endpoint(1, 1), paths[25]: None}, 20, True)
    return path


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Collect the SQL statements the history index runs."""
    run: list[str] = []

    def counted(path: Path, *, discard: bool = False) -> sqlite3.Connection:
        db = connect_index(path, discard=discard)
        db.set_trace_callback(run.append)
        return db

    monkeypatch.setattr(history_index, "connect_index", counted)
    yield run


def test_changes_cost_about_a_query_per_change_after_a_persons_rewrite(
    year: Path, statements: list[str]
) -> None:
    changes(year)  # Builds the index.
    statements.clear()
    found = changes(year)
    read = sum(len(group.changes) for group in found)
    # Each change read costs a query or two (a returning file's earlier state too), and a
    # sync a handful; re-deriving every change of an added file cost four a change.
    assert len(statements) <= 2 * read + 6 * len(found), (len(statements), read, len(found))


def test_changes_after_a_persons_rewrite_are_upstreams(year: Path) -> None:
    found = {
        (group.epoch.hour, change.key, tuple(change.kinds))
        for group in changes(year)
        for change in group.changes
    }
    # The person's hour is no sync; the next one's change is upstream's price, not the
    # person's newline, and it removes the file the person deleted; the sync that puts back
    # upstream's bytes over the person's edit changes nothing.
    assert not any(hour == 11 for hour, _, _ in found)
    assert {(12, "e002", ("price_up",)), (12, "e000", ("removed",))} <= found
    assert {(hour, kinds) for hour, key, kinds in found if key == "e001"} == {(0, ("added",))}
    assert (20, "e025", ("removed",)) in found
