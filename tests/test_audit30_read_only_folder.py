"""A folder of data/ the archiver may not write to (audit): refused before the commit lands.

`chmod a-w data/endpoint` (a folder another user owns, a mount made read-only) let the
sync commit and move the branch, then fail writing its first file there: the work tree and
index were left behind the new commit (`git status` showed the sync's changes as staged in
reverse), with a journal for the next run, and a message that spoke of disk space. The
folders on the way to every file the commit writes are now checked before anything is
committed: one line naming the folder, the branch where it was, nothing half done.

A real small archive; the archiver in a child process whose capabilities are dropped, so
that even root obeys permissions.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.archive.store import JOURNAL
from archiver.cli import main
from tests.archive_helpers import git, head, status_clean
from tests.small_captures import (
    SMALL_DAILY,
    copy_archive,
    small_archive,
    small_base,
    small_captures,
)

__all__ = ["small_archive", "small_base", "small_captures"]

NEXT_CAPTURE = str(SMALL_DAILY[1])
PR_CAPBSET_DROP = 24  # linux/prctl.h


def obeying_permissions() -> Callable[[], None] | None:
    """Return a child-process hook that makes root obey file permissions (None: not root)."""
    if os.geteuid() != 0:
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def drop() -> None:
        for capability in range(64):
            prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)

    return drop


def run_child(
    args: list[str], preexec: Callable[[], None] | None
) -> subprocess.CompletedProcess[str]:
    """Run the archiver in a child process."""
    command = [sys.executable, "-m", "archiver", *args]
    return subprocess.run(command, capture_output=True, text=True, preexec_fn=preexec)


@pytest.fixture
def unprivileged(tmp_path: Path) -> Callable[[], None] | None:
    """Return the hook for a child that obeys permissions; skip where none can be made."""
    hook = obeying_permissions()
    probe = tmp_path / "probe"
    probe.mkdir(mode=0o555)
    tried = subprocess.run(
        [sys.executable, "-c", f"open({str(probe / 'x')!r}, 'w')"],
        capture_output=True,
        preexec_fn=hook,
    )
    probe.chmod(0o755)
    if tried.returncode == 0:
        pytest.skip("a child process here ignores permissions (root without CAP_SETPCAP)")
    return hook


def test_a_read_only_folder_is_refused_before_the_branch_moves(
    small_archive: Path, tmp_path: Path, unprivileged: Callable[[], None] | None
) -> None:
    reference = copy_archive(small_archive, tmp_path / "reference")
    assert (
        CliRunner().invoke(main, ["import", "--repo", str(reference), NEXT_CAPTURE]).exit_code == 0
    )
    folder = small_archive / "data" / "endpoint"
    before = head(small_archive)
    folder.chmod(0o555)
    try:
        result = run_child(["import", "--repo", str(small_archive), NEXT_CAPTURE], unprivileged)
    finally:
        folder.chmod(0o755)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert str(folder) in errors[0] and "may not write" in errors[0], errors[0]
    assert head(small_archive) == before
    assert status_clean(small_archive)
    assert not (small_archive / ".git" / JOURNAL).exists()
    # Made writable, the next run archives the capture as an undisturbed one did.
    again = CliRunner().invoke(main, ["import", "--repo", str(small_archive), NEXT_CAPTURE])
    assert again.exit_code == 0, again.output
    tree = git(small_archive, "rev-parse", "HEAD:data")
    assert tree == git(reference, "rev-parse", "HEAD:data") and status_clean(small_archive)


def test_a_folder_where_a_new_file_goes_is_refused_before_the_branch_moves(
    small_archive: Path, tmp_path: Path
) -> None:
    reference = copy_archive(small_archive, tmp_path / "reference")
    assert (
        CliRunner().invoke(main, ["import", "--repo", str(reference), NEXT_CAPTURE]).exit_code == 0
    )
    added = git(reference, "diff", "--name-only", "--diff-filter=A", "HEAD~1", "HEAD", "data/")
    in_the_way = small_archive / added.split()[0]
    in_the_way.mkdir(parents=True)
    before = head(small_archive)
    result = CliRunner().invoke(main, ["import", "--repo", str(small_archive), NEXT_CAPTURE])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert f"{in_the_way} is a folder where the archive needs a file" in result.stderr
    assert head(small_archive) == before
    assert not (small_archive / ".git" / JOURNAL).exists()
    in_the_way.rmdir()
    again = CliRunner().invoke(main, ["import", "--repo", str(small_archive), NEXT_CAPTURE])
    assert again.exit_code == 0, again.output
    tree = git(small_archive, "rev-parse", "HEAD:data")
    assert tree == git(reference, "rev-parse", "HEAD:data") and status_clean(small_archive)
