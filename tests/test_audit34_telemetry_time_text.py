"""The telemetry readers take a time given as text as History and `--at` do.

README (Python API): "A time (`at`, `since`, `until`) is a `datetime` (naive: UTC), a `date`
(its midnight, UTC) or ISO 8601 text as the command line's `--at` takes it", and a bad one
is refused in one line. History and build_site read text through `times.given_time`, but
`telemetry.endpoint_series` (and the other readers' bounds) parsed text on their own: a
lowercase `z` or a space around the time, which `--at` and History take, was refused, and
a time before the year 1 once in UTC stopped the call with a bare OverflowError.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver import telemetry
from archiver.errors import ArchiverError
from tests.small_captures import eighth_base, small_captures

__all__ = ["eighth_base", "small_captures"]


def _endpoint(repo: Path) -> str:
    """Return the id of an endpoint the archive holds figures of."""
    folder = repo / "data" / "telemetry" / "endpoint"
    line = next(folder.rglob("*.tsv")).read_text().splitlines()[1]
    return line.split("\t")[1].strip('"')


def test_text_bounds_read_as_the_command_line_reads_them(eighth_base: Path) -> None:
    key = _endpoint(eighth_base)
    whole = telemetry.endpoint_series(eighth_base, key, "2026-07-17T00:00Z", "2026-07-18T00:00Z")
    assert whole
    loose = telemetry.endpoint_series(eighth_base, key, " 2026-07-17T00:00z", "2026-07-18 ")
    assert loose == whole


def test_a_time_before_the_year_1_in_utc_is_refused_in_one_line(eighth_base: Path) -> None:
    key = _endpoint(eighth_base)
    with pytest.raises(ArchiverError, match="outside the years 1 to 9999"):
        telemetry.endpoint_series(eighth_base, key, "0001-01-01T00:00+01:00")
