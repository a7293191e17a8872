"""Recovering a killed sync never writes over a person's edit made since the kill.

A sync killed after it moved the branch, before its work tree was written, leaves its
journal; the next run finishes the checkout, writing HEAD's version of each path the sync
changed. A file a person edited meanwhile (or created where the sync adds one) was
overwritten by that. Recovery now rewrites a path only in a state the killed sync could
have left (its old version, its new one, absent where a commit lacks it, a file it was
creating cut short); otherwise it refuses in one line, writes nothing, keeps the journal,
and the next run after the edit is undone finishes as before.

Real sync processes killed (SIGKILL) at a known step of their checkout, against the real
replay server on loopback; the command line in-process.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pygit2
import pytest
from click.testing import CliRunner, Result

from archiver.archive.store import JOURNAL, Store
from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.errors import StoreError
from archiver.times import format_epoch
from tests.archive_helpers import status_clean
from tests.small_captures import copy_archive, small_daily, some_models, with_models_only
from tests.test_audit22_concurrency import git, head

# The cut captures drop a few models from one day to the next: a large share of a few.
WHOLE = ["--max-removal-share", "1"]
OWN_BYTES = b'{"written by": "a person"}\n'

# A real sync process killed (SIGKILL) in its checkout, after the branch moved: before it
# writes anything ("work-tree"), once every file is written but not the index ("index"), or
# halfway, cutting short the first file it creates after one it wrote ("mid-file").
KILLED_SYNC = """
import os, signal, sys
import archiver.archive.store as store_module
from archiver.archive.git_locks import INDEX_STEP
from archiver.cli import main

point, arguments = sys.argv[1], sys.argv[2:]
written = []

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def locked_step(self, record, step, work, original=store_module.Store._locked_step):
    if step == INDEX_STEP:
        die()
    original(self, record, step, work)

def cut_short(target, data, original=store_module.write_atomically):
    if written and not os.path.lexists(target):
        with open(target, "wb") as file:
            file.write(data[: len(data) // 2])
        die()
    original(target, data)
    written.append(target)

if point == "work-tree":
    store_module.Store._update_work_tree = lambda *args, **kwargs: die()
elif point == "index":
    store_module.Store._locked_step = locked_step
else:
    store_module.write_atomically = cut_short
main(arguments)
"""


@pytest.fixture(scope="module")
def captures() -> list[Capture]:
    """Return the first two small daily captures cut to a few models."""
    daily = small_daily()
    keys = some_models(daily[0], 8, 2)
    return [with_models_only(capture, keys) for capture in daily[:2]]


def sync_command(repo: Path, base_url: str, capture: Capture) -> list[str]:
    """Return the arguments of `archiver sync` of a capture at its own time."""
    command = ["sync", "--repo", str(repo), "--base-url", base_url, *WHOLE]
    return [*command, "--epoch", format_epoch(capture.time)]


def cli_sync(repo: Path, capture: Capture) -> tuple[Result, list[str]]:
    """Run `archiver sync` in this process against the replay server; return it and the
    URLs it requested."""
    with ReplayServer(capture) as server:
        result = CliRunner().invoke(main, sync_command(repo, server.base_url, capture))
        return result, list(server.requests)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, captures: list[Capture]) -> Path:
    """Return an archive of the first capture (copy it before writing)."""
    repo = tmp_path_factory.mktemp("base") / "archive"
    result, _ = cli_sync(repo, captures[0])
    assert result.exit_code == 0, result.output
    return repo


@pytest.fixture(scope="module")
def after(tmp_path_factory: pytest.TempPathFactory, base: Path, captures: list[Capture]) -> Path:
    """Return the base archive with the second capture synced undisturbed: the reference."""
    repo = copy_archive(base, tmp_path_factory.mktemp("after") / "archive")
    result, _ = cli_sync(repo, captures[1])
    assert result.exit_code == 0, result.output
    return repo


@pytest.fixture
def repo(base: Path, tmp_path: Path) -> Path:
    """Return a private copy of the base archive."""
    return copy_archive(base, tmp_path / "archive")


def killed_sync(repo: Path, capture: Capture, point: str) -> dict[str, Any]:
    """Run a sync of the capture in its own process, killed at point; return its journal."""
    with ReplayServer(capture) as server:
        command = [sys.executable, "-c", KILLED_SYNC, point]
        done = subprocess.run([*command, *sync_command(repo, server.base_url, capture)])
    assert done.returncode == -signal.SIGKILL, "the sync was not killed where meant"
    journal = repo / ".git" / JOURNAL
    assert journal.exists()
    record: dict[str, Any] = orjson.loads(journal.read_bytes())
    assert head(repo) == record["new"], "killed before the branch moved"
    return record


def blob_at(repo: Path, commit: str | None, path: str) -> bytes | None:
    """Return a file's bytes at a commit, or None where it has none."""
    if commit is None:
        return None
    tree = pygit2.Repository(str(repo))[commit].peel(pygit2.Commit).tree
    try:
        entry = tree[path]
    except KeyError:
        return None
    return entry.data if isinstance(entry, pygit2.Blob) else None


def changed_path(repo: Path, record: dict[str, Any], added: bool) -> str:
    """Return a path of the journal the sync adds (added) or rewrites."""
    paths: list[str] = record["paths"]
    return next(
        path
        for path in paths
        if (blob_at(repo, record["old"], path) is None) == added
        and blob_at(repo, record["new"], path) is not None
    )


def cut_short(repo: Path, record: dict[str, Any]) -> list[str]:
    """Return the journal's paths the sync was creating that hold less than its version."""
    paths: list[str] = record["paths"]
    return [
        path
        for path in paths
        if blob_at(repo, record["old"], path) is None and (repo / path).exists()
        if (repo / path).read_bytes() != blob_at(repo, record["new"], path)
    ]


def data_files(repo: Path) -> dict[str, bytes]:
    """Return {path: bytes} of every file under data/ in the work tree."""
    folder = repo / "data"
    return {
        p.relative_to(repo).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def error_line(result: Result) -> str:
    """Assert the command failed with exit 3 and one error line, no traceback; return it."""
    assert result.exit_code == 3, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    return errors[0]


def assert_finished_as(repo: Path, after: Path) -> None:
    """Assert the interrupted sync's checkout is whole: the reference's files, nothing dirty."""
    assert not (repo / ".git" / JOURNAL).exists()
    assert git(repo, "rev-parse", "HEAD:data") == git(after, "rev-parse", "HEAD:data")
    assert data_files(repo) == data_files(after)
    assert status_clean(repo), git(repo, "status", "--porcelain")


# -- a person's change after the kill is kept --------------------------------------------------


@pytest.mark.parametrize("added", [False, True], ids=["edited-file", "file-where-sync-adds"])
def test_an_edit_made_after_a_killed_sync_is_kept_and_the_next_sync_finishes_once_undone(
    repo: Path, after: Path, captures: list[Capture], added: bool
) -> None:
    record = killed_sync(repo, captures[1], "work-tree")
    path = changed_path(repo, record, added)
    # A person edits a file the sync rewrites, or creates one where it adds one.
    mine = repo / path
    mine.write_bytes((b"" if added else mine.read_bytes()) + OWN_BYTES)
    edit, files, index = mine.read_bytes(), data_files(repo), (repo / ".git/index").read_bytes()

    result, requested = cli_sync(repo, captures[1])

    line = error_line(result)
    assert path in line and "kept" in line and record["new"][:12] in line, line
    assert mine.read_bytes() == edit, "recovery wrote over the person's edit"
    assert data_files(repo) == files, "recovery wrote some files before it refused"
    assert (repo / ".git/index").read_bytes() == index
    assert (repo / ".git" / JOURNAL).exists(), "the journal must stay for the next run"
    assert head(repo) == record["new"] and requested == []  # Refused before any fetch.

    # Once the edit is undone (the version before the sync back, or the file moved away),
    # the next sync finishes the interrupted checkout.
    if added:
        mine.unlink()
    else:
        git(repo, "restore", "--", path)
    result, _ = cli_sync(repo, captures[1])
    assert result.exit_code == 0, result.output
    assert "finished checking out interrupted sync commit" in result.output
    assert_finished_as(repo, after)


def test_recovery_in_the_library_refuses_an_edit_in_one_line(
    repo: Path, captures: list[Capture]
) -> None:
    record = killed_sync(repo, captures[1], "index")  # Every file at its new version.
    path = changed_path(repo, record, False)
    (repo / path).write_bytes(OWN_BYTES)

    with pytest.raises(StoreError) as refused:
        Store(repo).recover()

    assert path in str(refused.value) and "\n" not in str(refused.value)
    assert (repo / path).read_bytes() == OWN_BYTES
    assert (repo / ".git" / JOURNAL).exists()


# -- the plain crash recovers as before ----------------------------------------------------------


@pytest.mark.parametrize("point", ["work-tree", "mid-file", "index"])
def test_a_killed_sync_with_the_work_tree_as_it_left_it_is_finished(
    repo: Path, after: Path, captures: list[Capture], point: str
) -> None:
    record = killed_sync(repo, captures[1], point)
    if point == "mid-file":
        # The sync died writing a file it creates: its first bytes are there, no more.
        cut = cut_short(repo, record)
        assert len(cut) == 1
        new_bytes = blob_at(repo, record["new"], cut[0]) or b""
        assert new_bytes.startswith((repo / cut[0]).read_bytes())

    assert "finished checking out" in (Store(repo).recover() or "")

    assert head(repo) == record["new"]
    assert_finished_as(repo, after)


def test_a_file_the_killed_sync_was_creating_then_edited_by_a_person_is_kept(
    repo: Path, captures: list[Capture]
) -> None:
    # Bytes that are not the start of the sync's version are a person's, even where the
    # sync had created the file: refused.
    record = killed_sync(repo, captures[1], "mid-file")
    [path] = cut_short(repo, record)
    (repo / path).write_bytes((repo / path).read_bytes() + OWN_BYTES)
    edit = (repo / path).read_bytes()

    with pytest.raises(StoreError):
        Store(repo).recover()

    assert (repo / path).read_bytes() == edit
    assert (repo / ".git" / JOURNAL).exists()


def test_the_first_commit_killed_before_its_checkout_is_finished_or_kept_by_the_same_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No old commit: absent, or the first bytes of the new version, are what a kill leaves.
    repo = tmp_path / "archive"
    store = Store(repo)

    class Killed(Exception):
        pass

    def killed(*_: object) -> None:
        raise Killed

    monkeypatch.setattr(store, "_update_work_tree", killed)
    writes = {"data/model/a.json": b'{\n  "a": 1\n}\n', "data/model/b.json": b'{\n  "b": 2\n}\n'}
    with pytest.raises(Killed):
        store.commit(writes, [], "first")
    (repo / "data/model").mkdir(parents=True)
    (repo / "data/model/a.json").write_bytes(OWN_BYTES)

    with pytest.raises(StoreError) as refused:
        Store(repo).recover()
    assert "data/model/a.json" in str(refused.value)
    assert (repo / "data/model/a.json").read_bytes() == OWN_BYTES

    (repo / "data/model/a.json").write_bytes(writes["data/model/a.json"][:5])
    assert "finished" in (Store(repo).recover() or "")
    assert {path: (repo / path).read_bytes() for path in writes} == writes
    assert status_clean(repo)
