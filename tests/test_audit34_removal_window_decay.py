"""The removal guard's window forgets a size after 7 days (audit 34).

data/README.md: each part "may end a sync at most 10% ... below the largest size it had on
any of the last 7 days"; "After a real mass removal upstream, run one sync with a larger
`--max-removal-share`." Found and fixed: a new day's entry in `Sync-Part-Peaks` started
from the day before's peak, not from the size that day ended with, so a peak was carried
into every later day and never left the window: after a mass removal the guard compared
every later sync with the size before it, for good, and held back every removal past
10% of that old size. A day now starts from what the archive holds.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from archiver.archive.synclog import SyncLog
from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from tests.archive_helpers import git
from tests.small_captures import copy_archive, small_captures
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


def _v1_without(capture: Capture, gone: set[str], hours: int, renamed: str = "") -> Capture:
    """Return the capture `hours` later, /api/v1/models without the `gone` models (and the
    `renamed` one renamed)."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url == sources.V1_MODELS:
            data = [m for m in body["data"] if m["id"] not in gone]
            data = [{**m, "name": "Renamed"} if m["id"] == renamed else m for m in data]
            body = {**body, "data": data}
        responses.append(dataclasses.replace(response, body=body))
    later = capture.time + timedelta(hours=hours)
    return dataclasses.replace(capture, time=later, responses=tuple(responses))


def _sync(repo: Path, capture: Capture, share: float = 0.10) -> SyncLog:
    replay = ReplayTransport(capture)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time)
    return sync(repo, dataclasses.replace(options, max_removal_share=share))


def _v1_files(repo: Path) -> int:
    return len(git(repo, "grep", "-l", '^  "v1": {', "HEAD", "--", "data/model").split())


def test_a_mass_removal_leaves_the_window_after_seven_days(
    base: Path, cut: list[Capture], tmp_path: Path
) -> None:
    archive = copy_archive(base, tmp_path / "archive")
    capture = cut[0]
    models = sorted(m["id"] for m in capture.responses[0].body["data"])
    assert capture.responses[0].url == sources.V1_MODELS and len(models) >= 12
    # A real mass removal, let through by one sync with a larger share (as the README says).
    gone = set(models[: len(models) // 2])
    log = _sync(archive, _v1_without(capture, gone, 1), share=0.6)
    assert log.counts["model"].changed + log.counts["model"].removed == len(gone)
    held = _v1_files(archive)
    # The next day something else changes (a commit, so the day is recorded).
    log = _sync(archive, _v1_without(capture, gone, 25, renamed=models[-1]))
    assert log.commit_id and not log.failures
    # Eight days later the part has held `held` for over 7 days: 3 fewer is allowed.
    later = gone | set(models[-4:-1])
    log = _sync(archive, _v1_without(capture, later, 8 * 24 + 1, renamed=models[-1]))
    assert not [f for f in log.failures if "removed none" in f], log.failures
    assert _v1_files(archive) == held - 3
    peaks = git(archive, "log", "-1", "--format=%(trailers:key=Sync-Part-Peaks,valueonly)")
    assert f"model/v1 {held} " in peaks and f" {len(models)}" not in peaks
