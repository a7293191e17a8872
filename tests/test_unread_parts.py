"""New entities wait a day at most for a listing that keeps failing.

While `/api/v1/models` fails, a model new in the catalog is left out, so that it is not
written with its catalog part alone and changed when its v1 part comes back
(tests/test_audit20_net_new_entity.py). A listing that never comes back (moved, or now
answering 401) would hold every new model forever: the sync records since when each listing
fails (`Sync-Unread-Since`) and after 24 hours writes new entities with what came. A real
small archive; the next small capture served in-process with v1 failing.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

from archiver.archive.synclog import SyncLog
from archiver.capture.faults import Fault
from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.paths import key_to_path
from archiver.sync import SyncOptions, sync
from archiver.times import format_epoch
from archiver.upstream.fetch import FetchPolicy
from tests.archive_helpers import capture_entities, git
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

V1 = "/api/v1/models"


def _sync_without_v1(repo: Path, capture: Capture, epoch: datetime) -> SyncLog:
    replay = ReplayTransport(capture, faults=[Fault(V1, status=500)])
    policy = dataclasses.replace(FetchPolicy(), attempts=1)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch, policy=policy)
    return sync(repo, options)


def _unread_since(repo: Path) -> str:
    return git(repo, "log", "-1", "--format=%(trailers:key=Sync-Unread-Since,valueonly)").strip()


def test_new_models_wait_for_a_failing_listing_a_day_then_are_written(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    first, second = small_captures[0], small_captures[1]
    new = sorted(capture_entities(second).models - capture_entities(first).models)
    paths = [key_to_path("model", key) for key in new]
    assert paths, "the second small capture adds no model"
    start = first.time.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)

    for hours in (0, 1, 23):  # The streak's first hour, the next one, the last hour of the day.
        log = _sync_without_v1(small_archive, second, start + timedelta(hours=hours))
        assert log.commit_id and any(V1 in failure for failure in log.failures)
        assert _unread_since(small_archive) == f"model/v1 {format_epoch(start)}"
        assert not [path for path in paths if (small_archive / path).exists()]

    log = _sync_without_v1(small_archive, second, start + timedelta(hours=24))
    assert all((small_archive / path).exists() for path in paths)
    assert any("model/v1 listing has failed since" in note for note in log.notes), log.notes
    assert _unread_since(small_archive) == f"model/v1 {format_epoch(start)}"
