"""Command-line arguments that would write history out of order or act on a mistyped path.

`sync --epoch` took any time: one before the archive's latest sync was committed after
it, one in the future made every later hourly sync look older than HEAD. `notify --watch`
with a file that does not exist fell back to the default rules silently. `import` printed
a capture's file name raw: a name with a line break printed a workflow command. A real small
archive, the replay server serving a real small capture, the command line in-process.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.archive.store import Store
from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.textsafe import COMMAND_PREFIXES
from archiver.times import format_epoch
from tests.archive_helpers import head, status_clean
from tests.small_captures import SMALL_DAILY, small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]


def _latest_epoch(repo: Path) -> datetime:
    """Return the archive's latest Sync-Epoch."""
    latest = Store(repo, create=False).latest_epoch()
    assert latest is not None
    return latest


@pytest.mark.parametrize(
    ("epoch_of", "reason"),
    [
        (lambda latest: latest - timedelta(hours=1), "latest sync"),
        (lambda latest: datetime.now(UTC) + timedelta(days=2), "in the future"),
    ],
    ids=["before-the-latest-sync", "in-the-future"],
)
def test_sync_refuses_an_epoch_that_breaks_time_order(
    small_archive: Path,
    small_captures: list[Capture],
    epoch_of: Callable[[datetime], datetime],
    reason: str,
) -> None:
    before = head(small_archive)
    epoch = epoch_of(_latest_epoch(small_archive))
    # The second capture differs from the archived first one: a sync would commit.
    with ReplayServer(small_captures[1]) as server:
        command = ["sync", "--repo", str(small_archive), "--base-url", server.base_url]
        result = CliRunner().invoke(main, [*command, "--epoch", format_epoch(epoch)])
        requested = list(server.requests)

    assert result.exit_code == 3, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and reason in errors[0] and format_epoch(epoch) in errors[0]
    assert head(small_archive) == before and status_clean(small_archive)
    assert requested == []  # Refused before a single request.


def test_sync_at_the_latest_epoch_still_runs(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    latest, before = _latest_epoch(small_archive), head(small_archive)
    with ReplayServer(small_captures[1]) as server:
        command = ["sync", "--repo", str(small_archive), "--base-url", server.base_url]
        result = CliRunner().invoke(main, [*command, "--epoch", format_epoch(latest)])
    assert result.exit_code in (0, 1), result.output
    assert head(small_archive) != before and _latest_epoch(small_archive) == latest


def test_notify_refuses_a_watch_list_that_does_not_exist(
    small_archive: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "notfy.toml"
    command = ["notify", "--repo", str(small_archive), "--watch", str(missing), "--dry-run"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2, result.output
    assert str(missing) in result.output and "does not exist" in result.output
    assert "not posted" not in result.output


def test_import_prints_a_hostile_capture_file_name_on_one_inert_line(
    small_archive: Path, tmp_path: Path
) -> None:
    hostile = tmp_path / "capture\n::error::pwned.jsonl.gz"
    shutil.copyfile(SMALL_DAILY[1], hostile)
    before = head(small_archive)

    result = CliRunner().invoke(main, ["import", "--repo", str(small_archive), str(hostile)])

    assert result.exit_code == 0, result.output
    assert head(small_archive) != before  # Imported: only its name was shown differently.
    lines = result.output.splitlines()
    assert not [line for line in lines if line.lstrip().startswith(COMMAND_PREFIXES)]
    assert "capture\\n::error::pwned.jsonl.gz:" in lines
