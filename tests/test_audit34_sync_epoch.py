"""`SyncOptions(epoch=...)` given a naive datetime, a date or ISO text.

A naive time counts as UTC (archiver.times) and hour_epoch reads it so, but the check
that refuses a future epoch compared it with an aware `now` first: `archiver.sync` raised
TypeError before fetching anything. The epoch is now read as `History` reads a time.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

import archiver
from archiver.capture.files import Capture
from tests.small_captures import small_daily, with_models_only


@pytest.fixture(scope="module")
def capture() -> Capture:
    return with_models_only(small_daily()[0], {"openai/gpt-4.1"})


def _sync(repo: Path, capture: Capture, epoch: Any) -> archiver.SyncLog:
    replay = archiver.ReplayTransport(capture)
    options = archiver.SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch)
    return archiver.sync(repo, options)


def _epochs(repo: Path) -> list[str]:
    command = ["git", "-C", str(repo), "log", "--format=%(trailers:key=Sync-Epoch,valueonly)"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()


@pytest.mark.parametrize(
    ("epoch", "trailer"),
    [
        (datetime(2026, 7, 17, 18, 30), "2026-07-17T18:00:00Z"),
        ("2026-07-17T18:30", "2026-07-17T18:00:00Z"),
        (date(2026, 7, 17), "2026-07-17T00:00:00Z"),
    ],
)
def test_a_naive_epoch_is_utc(capture: Capture, tmp_path: Path, epoch: Any, trailer: str) -> None:
    log = _sync(tmp_path / "archive", capture, epoch)
    assert log.commit_id is not None
    assert log.epoch == datetime.fromisoformat(trailer)
    assert _epochs(tmp_path / "archive") == [trailer]


def test_a_naive_epoch_out_of_order_is_refused(capture: Capture, tmp_path: Path) -> None:
    repo = tmp_path / "archive"
    _sync(repo, capture, datetime(2026, 7, 17, 18, tzinfo=UTC))
    for epoch in (datetime(2026, 7, 17, 17), datetime(9000, 1, 1), 1784311200):
        with pytest.raises(archiver.ArchiverError) as raised:
            _sync(repo, capture, epoch)
        assert "\n" not in str(raised.value)
    assert _epochs(repo) == ["2026-07-17T18:00:00Z"]
