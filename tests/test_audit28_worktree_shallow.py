"""The history index in a linked worktree of a shallow clone notices the clone deepened.

The index rebuilds when the shallow boundary changes (a digest of `<git-dir>/shallow`). In a
linked worktree (`git worktree add`) the git folder is `.git/worktrees/<name>`, which holds
no `shallow` file: the clone's own folder does. So `git fetch --unshallow` went unnoticed
there, for good: `archiver log` kept telling an entity "added" at the old boundary, a sync
that only brought the clone's shallow root along, while git (and the same command in the
main work tree) showed its history back to the first sync.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from archiver.cli import main
from tests.archive_helpers import as_person

EPOCHS = ["2026-07-17T18:00:00Z", "2026-07-18T18:00:00Z"]


def _epochs(repo: Path) -> list[str]:
    """Return the epochs `archiver log --json` lists for model a/b, newest first."""
    result = CliRunner().invoke(main, ["log", "--repo", str(repo), "model", "a/b", "--json"])
    assert result.exit_code == 0, result.output
    return [version["epoch"] for version in orjson.loads(result.output)]


def test_a_worktree_reads_the_history_a_fetch_deepened(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    (origin / "data/model/a").mkdir(parents=True)
    as_person(origin, "init", "-q")
    for name, epoch in zip("BC", EPOCHS, strict=True):
        (origin / "data/model/a/b.json").write_bytes(orjson.dumps({"id": "a/b", "n": name}))
        as_person(origin, "add", "-A")
        as_person(origin, "commit", "-q", "-m", "Sync", "-m", f"Sync-Epoch: {epoch}")
    clone, worktree = tmp_path / "clone", tmp_path / "worktree"
    as_person(tmp_path, "clone", "-q", "--depth", "1", origin.as_uri(), str(clone))
    as_person(clone, "worktree", "add", "-q", str(worktree))
    assert _epochs(worktree) == EPOCHS[1:]  # Only the shallow root: "added" there.

    as_person(clone, "fetch", "-q", "--unshallow")

    assert _epochs(clone) == EPOCHS[::-1]
    assert _epochs(worktree) == EPOCHS[::-1]
