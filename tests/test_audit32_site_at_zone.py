"""The site as of a moment given in another time zone (audit 32: time over a long run).

Found and fixed: `archiver.build_site(repo, out, at=...)` read the hourly uptime up to
`at`'s wall-clock text, whatever its zone: as of 03:00 UTC spelt 22:00-05:00, the uptime of
the five hours before it was left out (and spelt +05:30, hours after it were shown), so the
24-hour and 30-day uptime of the endpoints grid, the home page and the endpoint pages
differed from the site as of the same moment in UTC. `at` is now read in UTC first, as the
command line reads it.
"""

from __future__ import annotations

import dataclasses
import filecmp
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from archiver.capture.files import read_capture
from archiver.site import build_site
from archiver.telemetry.uptime import uptime_series
from tests.audit22_time_helpers import EXTRA, moved, sync_capture
from tests.small_captures import SMALL_DAILY, some_models, with_models_only

# A first sync at this hour fetches the uptime windows of some endpoints of the cut capture.
EPOCH = datetime(2026, 11, 20, 22, tzinfo=UTC)


def different_files(left: Path, right: Path) -> list[str]:
    """Return the files that differ between two folders, or that only one holds."""
    found: list[str] = []

    def walk(compared: filecmp.dircmp[str], where: str) -> None:
        found.extend(where + name for name in compared.diff_files)
        found.extend(where + name for name in compared.left_only + compared.right_only)
        for name, sub in compared.subdirs.items():
            walk(sub, f"{where}{name}/")

    walk(filecmp.dircmp(left, right), "")
    return found


def test_the_site_as_of_one_moment_is_the_same_in_any_zone(tmp_path: Path) -> None:
    capture = read_capture(SMALL_DAILY[0])
    extra = read_capture(EXTRA / SMALL_DAILY[0].name)
    capture = dataclasses.replace(capture, responses=capture.responses + extra.responses)
    capture = moved(with_models_only(capture, some_models(capture, 16, featured=1)), EPOCH)
    repo = tmp_path / "archive"
    assert sync_capture(repo, capture)[0].commit_id
    endpoints = sorted(path.stem for path in (repo / "data/endpoint").glob("*.json"))
    measured = [key for key in endpoints if uptime_series(repo, key)]
    # Hours before the moment, within the five hours a -05:00 spelling cut off.
    assert any(
        EPOCH - timedelta(hours=5) < datetime.fromisoformat(hour) <= EPOCH
        for key in measured
        for hour, _ in uptime_series(repo, key)
    )
    built = EPOCH + timedelta(days=1)
    build_site(repo, tmp_path / "utc", at=EPOCH, built=built)
    at = EPOCH.astimezone(timezone(timedelta(hours=-5)))  # 2026-11-20T17:00:00-05:00
    build_site(repo, tmp_path / "zone", at=at, built=built)
    assert different_files(tmp_path / "utc", tmp_path / "zone") == []
