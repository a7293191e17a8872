"""An uptime day's files are sized by the endpoints the archive holds, not by one sync's share.

Each sync fetches the windows of about a 24th of the endpoints, and the first sync to write a
day picked the day's shard digits for 24 times its windows. A sync after a gap catches up the
last few missed hours' shares at once (archiver.upstream.uptime.CATCH_UP_HOURS): four shares
of a catalog of 1,100 endpoints read as 4,400 and gave the day 256 files of a few endpoints
each, where 16 hold them (data/README.md: the fewest digits that put at most 256 keys in a file).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from archiver.paths import key_to_path
from archiver.telemetry import TelemetryWriter
from archiver.telemetry.layout import digits_for
from archiver.upstream.uptime import CATCH_UP_HOURS, UPTIME_PERIOD

ENDPOINTS = 1_100
EPOCH = datetime(2026, 7, 19, 0, tzinfo=UTC)


def uptime_shards(archived: int, observed: dict[str, Any]) -> set[str]:
    """Return the uptime files (by name) a sync writes in an archive of this many endpoint
    files (their contents are not read), for these figures and windows."""
    endpoints = [str(uuid.UUID(int=n + 1)) for n in range(archived)]
    tracked = {key_to_path("endpoint", key): "0" * 40 for key in endpoints}
    written = TelemetryWriter().writes(observed, EPOCH, tracked, bytes.fromhex)
    assert written.problems == []
    return {path.rsplit("/", 1)[1] for path in written.writes if "endpoint_uptime" in path}


def windows(count: int) -> dict[str, Any]:
    """Return the windows of the first `count` endpoints (as `uptime_shards` names them)."""
    return {str(uuid.UUID(int=n + 1)): {"2026-07-19T00:00:00Z": 100} for n in range(count)}


def test_a_catch_up_sync_sizes_a_new_day_by_the_archived_endpoints() -> None:
    assert digits_for(ENDPOINTS) == 1
    # The windows a sync fetches after missing its last slots: its own share and the
    # catch-up hours' shares.
    share = ENDPOINTS * (1 + CATCH_UP_HOURS) // UPTIME_PERIOD
    shards = uptime_shards(ENDPOINTS, {"endpoint_uptime": windows(share)})
    assert shards and all(len(name) == len("0.tsv") for name in shards), sorted(shards)[:3]
    # An archive of more endpoints than 16 files hold has days of 256 files.
    many = uptime_shards(5_000, {"endpoint_uptime": windows(210)})
    assert many and all(len(name) == len("00.tsv") for name in many), sorted(many)[:3]


def test_a_first_sync_sizes_a_new_day_by_the_endpoints_it_observed() -> None:
    figures = {str(uuid.UUID(int=n + 1)): {"status": 0} for n in range(5_000)}
    shards = uptime_shards(0, {"endpoint": figures, "endpoint_uptime": windows(210)})
    assert shards and all(len(name) == len("00.tsv") for name in shards), sorted(shards)[:3]
