"""A sync dated before the year 1000 is read back at its own time.

C's strftime writes the year 1 as "1": a sync at `--epoch 0001-01-01` wrote the trailer
`Sync-Epoch: 1-01-01T00:00:00Z`, which no ISO 8601 reader takes, so `log` dated that version
by its commit time and later syncs saw no previous epoch. Every stored and printed time now
has a four-digit year. A real archive synced from a small capture, the CLI in-process.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from click.testing import CliRunner

from archiver.archive.store import Store
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.paths import path_to_key
from archiver.sync import SyncOptions, sync
from tests.archive_helpers import git
from tests.small_captures import SMALL_DAILY

YEAR_ONE = datetime(1, 1, 1, 5, tzinfo=UTC)


def test_a_sync_in_the_year_one_reads_back_at_its_own_time(tmp_path: Path) -> None:
    repo = tmp_path / "archive"
    replay = ReplayTransport(SMALL_DAILY[0])
    sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=YEAR_ONE))

    assert Store(repo, create=False).latest_epoch() == YEAR_ONE
    assert "Sync-Epoch: 0001-01-01T05:00:00Z" in git(repo, "log", "-1", "--format=%B")
    telemetry = sorted((repo / "data" / "telemetry").glob("*/*"))
    assert telemetry and {folder.name for folder in telemetry} == {"0001"}

    provider = next((repo / "data" / "provider").glob("*.json"))
    key = path_to_key(provider.relative_to(repo).as_posix())[1]
    runner = CliRunner()
    log = runner.invoke(main, ["log", "--repo", str(repo), "provider", key])
    assert log.exit_code == 0, log.output
    assert log.output.startswith("0001-01-01T05:00:00Z"), log.output
    shown = runner.invoke(
        main, ["show", "--repo", str(repo), "--at", "0001-01-01T06:00:00Z", "provider", key]
    )
    assert shown.exit_code == 0, shown.output
    assert orjson.loads(shown.output) == orjson.loads(provider.read_bytes())
