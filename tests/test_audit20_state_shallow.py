"""A shallow clone whose remote stops answering: `archiver site` gives up in one line, and
the next run, once the remote answers, deepens the clone as if nothing happened.

The site job deepens its shallow clone (`git fetch --deepen`, `--unshallow`) and fetches
blobs from the remote; those fetches ran without a time limit, so a remote that never
answered held the hourly job until Actions cancelled it. Now a fetch is stopped after
`partial_clone.FETCH_SECONDS` (made short here) with the transport git started, and said in
one line. A real shallow clone of a real small archive, its remote's upload-pack made to
hang by the clone's own `remote.origin.uploadpack`, the command line in-process.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest
from click.testing import CliRunner

from archiver.archive import partial_clone
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.history.shallow_fetch import fetch_history_after
from tests.archive_helpers import git, head
from tests.small_captures import small_archive, small_base, small_captures, sync_small

__all__ = ["small_archive", "small_base", "small_captures"]


def test_a_remote_that_hangs_while_deepening_is_one_line_and_the_next_run_deepens(
    small_archive: Path,
    small_captures: list[Capture],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sync_small(small_archive, small_captures[1])
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{small_archive}", str(clone)], check=True
    )
    assert pygit2.Repository(str(clone)).is_shallow
    git(clone, "config", "remote.origin.uploadpack", "sleep 3600; git-upload-pack")
    monkeypatch.setattr(partial_clone, "FETCH_SECONDS", 3.0)

    result = CliRunner().invoke(
        main, ["site", "--repo", str(clone), "--out", str(tmp_path / "site"), "--no-cache"]
    )

    assert result.exit_code == 3, result.output
    assert "no answer from the remote" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert head(clone) == head(small_archive) and not (tmp_path / "site").exists()

    git(clone, "config", "--unset", "remote.origin.uploadpack")  # The remote answers again.
    deepened = fetch_history_after(clone, None)

    assert deepened.whole and not pygit2.Repository(str(clone)).is_shallow
    assert git(clone, "rev-list", "HEAD") == git(small_archive, "rev-list", "HEAD")
