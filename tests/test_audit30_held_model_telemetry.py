"""A /api/v1/models listing that comes back 200 but empty records no model telemetry gap.

The removal guard holds such a listing's removals back: its models stay archived, not
gone. Their `benchmarks.design_arena` figures come from that listing, so like the
endpoints' they must stand (no line): the sync wrote a gap ("no longer sent") for every
model, then restated every model's figures the next hour, two made-up changes a model.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from archiver.archive.synclog import SyncLog
from archiver.capture.faults import Fault
from archiver.capture.files import Capture, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from tests.archive_helpers import git
from tests.small_captures import SMALL_DAILY, sync_small


def _sync_later(repo: Path, capture: Capture, hours: int, faults: list[Fault]) -> SyncLog:
    """Sync the capture `hours` after its time, with faults."""
    replay = ReplayTransport(capture, faults)
    epoch = capture.time + timedelta(hours=hours)
    return sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch))


def test_an_empty_v1_listing_held_back_writes_no_model_telemetry(tmp_path: Path) -> None:
    capture = read_capture(SMALL_DAILY[0])
    repo = tmp_path / "archive"
    sync_small(repo, capture)
    before = git(repo, "rev-parse", "HEAD:data/telemetry/model")

    held = _sync_later(repo, capture, 1, [Fault("/api/v1/models", body="empty-data")])
    assert any("model v1: would remove" in failure for failure in held.failures)
    assert held.telemetry_samples == 0, held.message()
    assert git(repo, "rev-parse", "HEAD:data/telemetry/model") == before
    assert _sync_later(repo, capture, 2, []).telemetry_samples == 0
    assert git(repo, "rev-parse", "HEAD:data/telemetry/model") == before
    # Not a commit since the first: every model file is as it was too.
    assert git(repo, "rev-list", "--count", "HEAD") == "1\n"
