"""An archive whose git keeps its work tree elsewhere (`core.worktree`) (audit): refused.

`git config core.worktree /elsewhere` in an archive (a dotfiles-style setup, a work tree
moved to another disk) makes git read and write the files there, while the archiver wrote
them under the folder holding `.git`. The sync committed and moved the branch, then failed
half-way through writing a work tree git does not look at ("could not find ... to stat;
free disk space"): `git status` showed the new sync undone, as staged changes, and a second
`data/` sat beside `.git`. It now refuses in one line, before anything is fetched or
written.

A real small archive cut to a few models, its work tree moved by git itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archiver.capture.files import Capture
from archiver.errors import StoreError
from tests.archive_helpers import git, head, status_clean
from tests.small_captures import (
    copy_archive,
    small_captures,
    sync_small,
)
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


def test_a_work_tree_elsewhere_is_refused_before_anything_is_written(
    base: Path, cut: list[Capture], tmp_path: Path
) -> None:
    repo = copy_archive(base, tmp_path / "archive")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    git(repo, "config", "core.worktree", str(elsewhere))
    for entry in repo.iterdir():  # The files move where git now reads them.
        if entry.name != ".git":
            shutil.move(entry, elsewhere / entry.name)
    before = head(repo)
    assert status_clean(repo)

    with pytest.raises(StoreError, match=r"core\.worktree") as refused:
        sync_small(repo, cut[1])

    assert "\n" not in str(refused.value)
    assert head(repo) == before and status_clean(repo)
    assert sorted(entry.name for entry in repo.iterdir()) == [".git"]
    assert git(repo, "fsck", "--no-dangling").strip() == ""
