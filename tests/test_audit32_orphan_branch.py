"""A sync on a branch with no commit yet over a staged index (audit): refused in one line.

`git checkout --orphan fresh` in an archive leaves HEAD on a branch with no commit and
every file of the archive staged for its first one. The sync checks staged changes against
HEAD's tree, and there was none: it committed a first sync of its own on that branch (the
archive's history and telemetry started again from nothing), replaced the index with it,
and left every file it did not write (gone entities, older telemetry) behind as untracked
files, which the next sync refused. README: staged changes are refused (exit 3); they now
are on such a branch too, and nothing is written.

A real small archive cut to a few models, the orphan branch made by git.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from archiver.capture.files import Capture
from archiver.errors import StoreError
from tests.archive_helpers import git, head
from tests.small_captures import (
    copy_archive,
    small_captures,
    sync_small,
)
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


def test_an_orphan_branch_over_the_staged_archive_is_refused_and_left_as_it_is(
    base: Path, cut: list[Capture], tmp_path: Path
) -> None:
    repo = copy_archive(base, tmp_path / "archive")
    an_hour_ago = time.time() - 3600  # As an archive a person works in: synced a while ago.
    for folder, folders, files in os.walk(repo):
        folders[:] = [name for name in folders if name != ".git"]
        for name in files:
            os.utime(Path(folder) / name, (an_hour_ago, an_hour_ago))
    main = head(repo)
    git(repo, "checkout", "-q", "--orphan", "fresh")
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    assert status and all(line.startswith("A  ") for line in status.splitlines())

    with pytest.raises(StoreError, match="no commit yet") as refused:
        sync_small(repo, cut[1])

    assert "\n" not in str(refused.value)
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/fresh"
    assert git(repo, "rev-list", "--all").split() == [main]  # No commit was made.
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == status

    git(repo, "switch", "-q", "-f", "main")
    log = sync_small(repo, cut[1])
    assert log.commit_id == head(repo) and git(repo, "rev-parse", "HEAD~1").strip() == main
