"""The Python API's uptime reader takes its bounds as the other telemetry readers do.

data/README.md names `archiver.telemetry.uptime_series(repo, endpointId, since, until)`
beside `endpoint_series(repo, endpointId, since, until)`, whose bounds are datetimes or ISO
text. The uptime reader compared its bounds as text: a datetime raised a TypeError, and
`until="2026-07-16"` left out that day's 00:00 hour that `archiver telemetry endpoint-uptime
--until 2026-07-16` prints.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver.capture.files import read_capture
from archiver.telemetry import uptime_series
from tests.small_captures import HERE, SMALL_DAILY, some_models, sync_small, with_models_only


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Return an archive of the first small capture with its uptime windows, and one endpoint
    with uptime."""
    daily = read_capture(SMALL_DAILY[0])
    extra = read_capture(HERE / "extra" / SMALL_DAILY[0].name)
    whole = replace(daily, responses=daily.responses + extra.responses)
    repo = tmp_path_factory.mktemp("uptime") / "archive"
    assert sync_small(repo, with_models_only(whole, some_models(whole, 6))).commit_id
    folder = repo / "data" / "telemetry" / "endpoint_uptime"
    line = next(folder.rglob("*.tsv")).read_text().splitlines()[1]
    return repo, line.split("\t")[1].strip('"')


def test_datetime_bounds_read_as_iso_bounds(archive: tuple[Path, str]) -> None:
    repo, key = archive
    day = [point for point in uptime_series(repo, key) if point[0].startswith("2026-07-16")]
    assert len(day) == 24
    since, until = datetime(2026, 7, 16, tzinfo=UTC), datetime(2026, 7, 16, 23, tzinfo=UTC)
    assert uptime_series(repo, key, since, until) == day
    assert uptime_series(repo, key, "2026-07-16T00:00:00Z", "2026-07-16T23:00:00Z") == day


def test_a_day_or_minutes_bound_reads_as_the_cli_reads_it(archive: tuple[Path, str]) -> None:
    repo, key = archive
    midnight = uptime_series(repo, key, "2026-07-16", "2026-07-16")
    assert [hour for hour, _ in midnight] == ["2026-07-16T00:00:00Z"]
    two = uptime_series(repo, key, "2026-07-16T05:00Z", "2026-07-16T06:00Z")
    assert [hour for hour, _ in two] == ["2026-07-16T05:00:00Z", "2026-07-16T06:00:00Z"]
    # The old open bounds still read as open.
    assert uptime_series(repo, key, "", "~") == uptime_series(repo, key)
