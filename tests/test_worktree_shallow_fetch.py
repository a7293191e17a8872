"""A build in a linked worktree of a shallow clone fetches the history it needs.

libgit2 tells a linked worktree (`git worktree add`) of a shallow clone that it is not
shallow: the `shallow` file lives in the clone's own git folder. The site and the export
then fetched nothing and read the shallow root as the first sync, which added everything.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
import pygit2
from click.testing import CliRunner

from archiver.cli import main
from archiver.history.commits import is_shallow
from tests.archive_helpers import as_person

EPOCHS = ["2026-07-17T18:00:00Z", "2026-07-18T18:00:00Z", "2026-07-19T18:00:00Z"]


def _shallow_worktree(tmp_path: Path) -> tuple[Path, Path]:
    origin = tmp_path / "origin"
    (origin / "data/model/a").mkdir(parents=True)
    as_person(origin, "init", "-q")
    for n, epoch in enumerate(EPOCHS):
        (origin / "data/model/a/b.json").write_bytes(orjson.dumps({"id": "a/b", "n": n}))
        as_person(origin, "add", "-A")
        as_person(origin, "commit", "-q", "-m", "Sync", "-m", f"Sync-Epoch: {epoch}")
    clone, worktree = tmp_path / "clone", tmp_path / "worktree"
    as_person(tmp_path, "clone", "-q", "--depth", "1", origin.as_uri(), str(clone))
    as_person(clone, "worktree", "add", "-q", str(worktree))
    return clone, worktree


def _git_says_shallow(clone: Path) -> bool:
    answer = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "--is-shallow-repository"],
        capture_output=True,
        text=True,
        check=True,
    )
    return answer.stdout.strip() == "true"


def test_a_worktree_of_a_shallow_clone_is_shallow(tmp_path: Path) -> None:
    clone, worktree = _shallow_worktree(tmp_path)
    assert is_shallow(pygit2.Repository(str(clone)))
    assert is_shallow(pygit2.Repository(str(worktree)))
    assert not is_shallow(pygit2.Repository(str(tmp_path / "origin")))


def test_a_full_site_build_in_the_worktree_fetches_all_history(tmp_path: Path) -> None:
    clone, worktree = _shallow_worktree(tmp_path)
    assert _git_says_shallow(clone)
    result = CliRunner().invoke(
        main, ["site", "--repo", str(worktree), "--out", str(tmp_path / "site"), "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert not _git_says_shallow(clone)
    log = CliRunner().invoke(main, ["log", "--repo", str(worktree), "model", "a/b", "--json"])
    assert [version["epoch"] for version in orjson.loads(log.output)] == EPOCHS[::-1]
