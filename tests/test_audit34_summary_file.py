"""`archiver sync --summary-file PATH` that cannot be written: refused before anything is
fetched (README: exit 3 is a sync that could not run at all), not found after the commit
with "run again" of a sync that had done its work. A write that fails later (a full disk)
says the sync's work is kept. A real small sync over the replay server, the command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from tests.small_captures import small_captures, some_models, with_models_only

__all__ = ["small_captures"]


@pytest.fixture(scope="module")
def capture(small_captures: list[Capture]) -> Capture:
    """Return a small capture cut to a few models."""
    return with_models_only(small_captures[0], some_models(small_captures[0], 3))


def _sync(capture: Capture, repo: Path, summary: Path) -> Result:
    with ReplayServer(capture) as server:
        command = ["sync", "--repo", str(repo), "--base-url", server.base_url]
        command += ["--epoch", capture.time.isoformat(), "--summary-file", str(summary)]
        return CliRunner().invoke(main, command)


def test_a_summary_file_in_a_missing_folder_is_refused_before_the_sync(
    capture: Capture, tmp_path: Path
) -> None:
    summary = tmp_path / "missing" / "summary.md"
    result = _sync(capture, tmp_path / "archive", summary)
    assert result.exit_code == 3
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and str(summary) in errors[0] and "run again" not in errors[0]
    assert "fetched" not in result.output and not (tmp_path / "archive").exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_summary_that_fails_after_the_commit_says_the_sync_is_kept(
    capture: Capture, tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    result = _sync(capture, repo, Path("/dev/full"))
    assert result.exit_code == 3
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "work is kept" in errors[0] and "run again" not in errors[0]
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s"], capture_output=True, text=True, check=True
    )
    assert log.stdout.startswith("Sync ")
