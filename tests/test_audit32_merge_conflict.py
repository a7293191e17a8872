"""A merge stopped on a conflict under data/ (audit): the sync names it and leaves it alone.

A person merging a branch by hand (`git merge`, `git cherry-pick`, `git stash pop`) that
conflicts on a data file leaves the index holding the conflict. The sync's check of the
index asked libgit2 for its tree, which libgit2 refuses to make of a conflicted index: the
library raised a bare pygit2.GitError, and `archiver sync` said "git cannot read the
repository ...; check it with `git fsck` and repair it (or clone it afresh)", advice that
would throw the person's merge away. It now refuses in one line naming the conflicts and
how to finish or abort the merge, and the merge is left exactly as it was.

A real small archive cut to a few models, a real conflicted merge made by git.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.errors import StoreError
from tests.archive_helpers import as_person, git, head
from tests.small_captures import (
    copy_archive,
    small_captures,
    sync_small,
)
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


@pytest.fixture
def conflicted(base: Path, tmp_path: Path) -> Path:
    """Return a copy of the archive in the middle of a merge that conflicts on a model file."""
    repo = copy_archive(base, tmp_path / "archive")
    path = sorted(git(repo, "ls-files", "data/model").split())[0]
    as_person(repo, "switch", "-q", "-c", "side")
    (repo / path).write_text('{"edited": "on a branch"}\n')
    as_person(repo, "commit", "-q", "-am", "an edit on a branch")
    as_person(repo, "switch", "-q", "main")
    (repo / path).write_text('{"edited": "on main"}\n')
    as_person(repo, "commit", "-q", "-am", "another edit on main")
    with pytest.raises(Exception, match="exit status 1"):
        as_person(repo, "merge", "side")
    assert git(repo, "status", "--porcelain", "--", path).startswith("UU ")
    return repo


def merge_state(repo: Path) -> tuple[str, str, str, bytes]:
    """Return what a person's merge in progress is: HEAD, MERGE_HEAD, the index, the file."""
    path = git(repo, "diff", "--name-only", "--diff-filter=U").strip()
    stages = git(repo, "ls-files", "--stage", "--", path)
    return (
        head(repo),
        (repo / ".git" / "MERGE_HEAD").read_text(),
        stages,
        (repo / path).read_bytes(),
    )


def test_the_library_refuses_a_conflicted_merge_in_one_line(
    conflicted: Path, cut: list[Capture]
) -> None:
    before = merge_state(conflicted)
    with pytest.raises(StoreError, match="unresolved conflicts") as refused:
        sync_small(conflicted, cut[1])
    assert "git merge --abort" in str(refused.value) and "\n" not in str(refused.value)
    assert merge_state(conflicted) == before


def test_the_command_line_names_the_conflicts_not_a_damaged_repository(
    conflicted: Path, cut: list[Capture]
) -> None:
    before = merge_state(conflicted)
    with ReplayServer(cut[1]) as server:
        args = ["sync", "--repo", str(conflicted), "--base-url", server.base_url]
        result = CliRunner().invoke(main, [*args, "--epoch", cut[1].time.isoformat()])
        asked = list(server.requests)
    assert result.exit_code == 3, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "unresolved conflicts" in lines[0] and "fsck" not in lines[0]
    assert asked == []  # Refused before anything was fetched.
    assert merge_state(conflicted) == before
