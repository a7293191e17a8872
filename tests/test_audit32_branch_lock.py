"""A branch lock git holds, or a killed git left, when the sync moves the branch (audit).

git takes `refs/heads/main.lock` to move the branch (a `git commit`, a `git pull` running in
the work tree; a git killed half-way leaves it behind). The sync waited for git's
`index.lock` before moving the branch, not for this one: libgit2 then failed the move, after
the whole fetch, and the sync said "failed to lock file ... for writing:; free disk space or
fix permissions", leaving a journal for the next run to clear. It now waits for the branch
lock as for the index's, then refuses in one line naming the lock, having moved nothing;
once the lock is gone the next sync lands.

A real small archive cut to a few models; the lock is a real file where git puts it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.archive import git_locks
from archiver.archive.store import JOURNAL
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


def test_a_branch_lock_is_waited_for_named_and_nothing_is_left_half_done(
    base: Path, cut: list[Capture], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(git_locks, "WAIT_SECONDS", 0.2)
    repo = copy_archive(base, tmp_path / "archive")
    lock = repo / ".git" / "refs" / "heads" / "main.lock"
    lock.write_text("")
    before = head(repo)

    with pytest.raises(StoreError) as refused:
        sync_small(repo, cut[1])

    message = str(refused.value)
    assert f"another git process holds {lock}" in message, message
    assert "disk space" not in message
    assert head(repo) == before and status_clean(repo)
    assert not (repo / ".git" / JOURNAL).exists()
    assert lock.exists()  # Not ours to remove: a live git's, as far as the sync can tell.

    lock.unlink()
    log = sync_small(repo, cut[1])
    assert log.commit_id == head(repo) and status_clean(repo)
    assert git(repo, "fsck", "--no-dangling").strip() == ""
