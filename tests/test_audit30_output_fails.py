"""A sync or an import whose output cannot be written still does its work.

Only a pipe whose reader left was survived (`archiver import *.gz | head -1`). Output to a
full disk (`>> log` on a full /var, `> /dev/full`) or a closed descriptor (`2>&-`, as cron
and daemons leave one) still stopped the work:

- `archiver sync 2>&-`: stderr is None in Python, and the sync died on `sys.stderr.isatty()`
  before fetching (exit 1, nothing said, nothing committed);
- `archiver sync 2>/dev/full`: the first progress line failed in the middle of the fetch,
  and the sync stopped there (exit 1, nothing committed);
- `archiver import A B C >/dev/full`: the first capture's summary failed, and B and C were
  never imported (exit 3, "could not run at all", after committing A).

Now a command that writes drops what it cannot print and finishes; a descriptor closed at
start is pointed at /dev/null first, so that no file the command opens takes its number
(the lock file took 1 or 2, and output meant for the terminal would have gone into it).
Real archives, the replay server on loopback, the command line in child processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import tests.small_captures as small
from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.times import format_epoch
from tests.archive_helpers import git, head, status_clean
from tests.small_captures import SMALL_DAILY, small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

HANG_GUARD_S = 300


def _close(descriptor: int) -> Callable[[], None]:
    """Return a child-side hook closing one descriptor (as the shell's `2>&-` does)."""
    return lambda: os.close(descriptor)


def _archiver(args: list[str], stdout: object, stderr: object, **hooks: object) -> int:
    """Run the archiver in a child process with these streams; return its exit status."""
    command = [sys.executable, "-m", "archiver", *args]
    done = subprocess.run(
        command, stdout=stdout, stderr=stderr, timeout=HANG_GUARD_S, check=False, **hooks
    )  # type: ignore[call-overload]
    return int(done.returncode)


@pytest.fixture(scope="module")
def clean_tree(
    small_base: Path, small_captures: list[Capture], tmp_path_factory: pytest.TempPathFactory
) -> str:
    """Return the tree a sync of the second small capture commits, its output untouched."""
    repo = small.copy_archive(small_base, tmp_path_factory.mktemp("clean") / "archive")
    assert small.sync_small(repo, small_captures[1]).commit_id
    return git(repo, "rev-parse", "HEAD^{tree}").strip()


@pytest.mark.parametrize("stderr", ["closed", "full"])
def test_a_sync_whose_stderr_cannot_be_written_commits_what_a_clean_one_does(
    small_archive: Path, small_captures: list[Capture], clean_tree: str, stderr: str
) -> None:
    before = head(small_archive)
    capture = small_captures[1]
    with ReplayServer(capture) as server, open(os.devnull, "wb") as null:
        args = ["sync", "--repo", str(small_archive), "--base-url", server.base_url]
        args += ["--epoch", format_epoch(capture.time)]
        if stderr == "closed":
            status = _archiver(args, null, subprocess.DEVNULL, preexec_fn=_close(2))
        else:
            with open("/dev/full", "wb") as full:
                status = _archiver(args, null, full)
    assert status == 0
    assert git(small_archive, "rev-parse", "HEAD~1") == git(small_archive, "rev-parse", before)
    assert git(small_archive, "rev-parse", "HEAD^{tree}").strip() == clean_tree
    assert status_clean(small_archive)
    lock = small_archive / ".git" / "archiver.archive.lock"
    assert b"fetched" not in lock.read_bytes()  # Nothing meant for stderr went into a file.


def test_an_import_whose_stdout_is_full_imports_every_capture(
    small_base: Path, tmp_path: Path
) -> None:
    repo = small.copy_archive(small_base, tmp_path / "archive")
    args = ["import", "--repo", str(repo), *map(str, SMALL_DAILY[1:])]
    with open("/dev/full", "wb") as full:
        status = _archiver(args, full, subprocess.PIPE)
    assert status == 0
    assert int(git(repo, "rev-list", "--count", "HEAD")) == 3, "every capture imported"
    assert status_clean(repo)
