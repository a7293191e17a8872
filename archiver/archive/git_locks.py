"""git's own lock files: the ones an interrupted sync left, and the ones a live git holds.

git, and libgit2 (which the sync uses), take `index.lock` to replace the index and
`refs/heads/<branch>.lock` to move a branch: created exclusively, written, renamed into
place. A sync killed inside one of those two steps leaves its lock behind, and git refuses
to work until it is gone. The same file may instead be held by a git process running now (a
person's `git commit`, a `git pull` in the work tree): removing that one lets two writers
replace the index or the branch at once, and one of them corrupts it.

So the sync's journal (archiver.archive.store) names the step the sync is in and when it
began, written just before the call that takes the step's lock, and names no step once that
call failed (a failed call let its lock go). Recovery removes a lock only when the journal
says the killed sync was in the step that takes it and the lock was last written within
STEP_SECONDS of that step's start: a lock git took after the sync died is younger, and one
git held before could not have let the step begin. A branch lock must also hold nothing or
the journal's new commit: git writes the commit it moves a branch to into the lock at once,
and no git moves a branch to a commit only the killed sync knew. Any other lock belongs to
a live git (or to a crashed git, which git itself leaves to a person): recovery waits up to
WAIT_SECONDS for it to go, then refuses in one line, the journal kept for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archiver.errors import StoreError

INDEX_STEP = "index"
BRANCH_STEP = "branch"
# A step's lock is written within milliseconds of its start (0.1 s for a 50,000-file
# index); seconds more leave room for a loaded machine.
STEP_SECONDS = 10.0
# A file's time comes from the kernel's coarse clock, which may lag the one the journal
# read just before by a clock tick.
CLOCK_SLACK_SECONDS = 1.0
# As long as a reader waits for git to settle (archiver.history.steady).
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.05


def lock_files(git_dir: Path, branch: str) -> dict[str, Path]:
    """Return {step: the git lock file it takes}.

    A linked worktree keeps its index in its own git folder but the branches in the one its
    `commondir` file names.
    """
    common = git_dir / "commondir"
    refs = (git_dir / common.read_text().strip()) if common.is_file() else git_dir
    return {INDEX_STEP: git_dir / "index.lock", BRANCH_STEP: refs / f"{branch}.lock"}


def clear_interrupted_locks(
    git_dir: Path, branch: str, record: Mapping[str, Any], journal: Path, root: Path
) -> None:
    """Remove the lock the journal's killed sync left; raise StoreError while git holds one.

    record is the journal's; one an older archiver wrote names no step, and was written
    just before the branch moved (its lock is then told by its time alone).
    """
    step = record.get("step", BRANCH_STEP)
    since = record.get("since") or journal.stat().st_mtime_ns
    for name, lock in lock_files(git_dir, branch).items():
        ours = name == step and _written_in_step(lock, since)
        if ours and name == BRANCH_STEP and "step" in record:
            ours = _read(lock) in (b"", f"{record['new']}\n".encode())
        if ours:
            lock.unlink(missing_ok=True)
        else:
            wait_for_git(lock, root)


def wait_for_locks(git_dir: Path, branch: str, root: Path) -> None:
    """Return once no git holds the index's or the branch's lock (see wait_for_git).

    Both, before the branch moves: a branch lock a person's git holds (or a crashed git
    left) made libgit2 fail the move once the commit was made, in words of a full disk.
    """
    for lock in lock_files(git_dir, branch).values():
        wait_for_git(lock, root)


def wait_for_git(lock: Path, root: Path) -> None:
    """Return once no git holds this lock, waiting up to WAIT_SECONDS; else raise StoreError."""
    deadline = time.monotonic() + WAIT_SECONDS
    while lock.exists():
        if time.monotonic() >= deadline:
            raise StoreError(
                f"another git process holds {lock} (a git commit or pull running in {root}?); "
                f"waited {WAIT_SECONDS:g} s and wrote nothing. Sync again when it has "
                "finished (an interrupted sync is finished then); if no git is running, "
                "remove that file"
            )
        time.sleep(POLL_SECONDS)


def _written_in_step(lock: Path, since_ns: int) -> bool:
    """Tell whether the lock was last written while the step that began at since_ns ran."""
    try:
        written = lock.stat().st_mtime_ns
    except FileNotFoundError:
        return True  # Nothing left to remove.
    earliest = since_ns - int(CLOCK_SLACK_SECONDS * 1e9)
    return earliest <= written <= since_ns + int(STEP_SECONDS * 1e9)


def _read(lock: Path) -> bytes:
    """Return a lock file's bytes (nothing when it is gone)."""
    try:
        return lock.read_bytes()
    except FileNotFoundError:
        return b""
