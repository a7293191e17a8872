"""`--since` a fraction of a second after a sync (audit 32: time over a long run).

Found and fixed: `archiver telemetry --since` cut the time to its second, so a since of
15:00:00.5 (or 20:30:00.000001+05:30) still returned the sample of the 15:00 sync, and the
endpoint-uptime series the 15:00 hour; `archiver changes --since` with the same time leaves
that sync out, as an inclusive range from 15:00:00.5 must. Both now start at the next whole
second.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.times import format_epoch, parse_time
from archiver.upstream import sources
from archiver.upstream.uptime import due_endpoints, uptime_schedule_at
from tests.archive_helpers import capture_entities, git
from tests.audit22_time_helpers import EXTRA, cli, moved, sync_capture
from tests.small_captures import SMALL_DAILY, some_models, with_models_only


@dataclasses.dataclass(frozen=True)
class Synced:
    repo: Path
    endpoint: str  # In both syncs, its figures moving, its uptime window fetched by the first.
    window: dict[str, object]  # That window as sent: {ISO hour: uptime}.


def window_endpoint(response: CapturedResponse) -> str | None:
    """Return the endpoint whose uptime window a response holds (None: another source)."""
    if urlsplit(response.url).path != sources.UPTIME_HOURLY or response.status != 200:
        return None
    return parse_qs(urlsplit(response.url).query)["id"][0]


def stats(capture: Capture) -> dict[str, object]:
    """Return {endpointId: its status_heuristics} as the capture sent them."""
    endpoints = capture_entities(capture).endpoint_objects
    return {key: endpoint.get("status_heuristics") for key, endpoint in endpoints.items()}


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Synced:
    first, second = (read_capture(path) for path in SMALL_DAILY[:2])
    extra = read_capture(EXTRA / SMALL_DAILY[0].name)
    first = dataclasses.replace(first, responses=first.responses + extra.responses)
    keys = some_models(first, 8, featured=2)
    first, second = with_models_only(first, keys), with_models_only(second, keys)
    before, after = stats(first), stats(second)
    moving = {k for k in before.keys() & after.keys() if before[k] and before[k] != after[k]}
    windows = {k: r for r in first.responses if (k := window_endpoint(r)) in moving}
    hours = [datetime(2026, 11, 20, hour, tzinfo=UTC) for hour in range(24)]
    due = {hour: due_endpoints(windows, uptime_schedule_at(None, hour)) for hour in hours}
    hour = max(hours, key=lambda hour: len(due[hour]))
    assert due[hour], "some moving endpoint's window is due at some hour"
    repo = tmp_path_factory.mktemp("since-fraction") / "archive"
    first = moved(first, hour)
    assert sync_capture(repo, first)[0].commit_id
    later = dataclasses.replace(second, time=hour + timedelta(hours=1))
    assert sync_capture(repo, later)[0].commit_id
    endpoint = due[hour][0]
    points = next(r for r in first.responses if window_endpoint(r) == endpoint)
    history = points.body["data"]["history"]
    window = {p["date"].replace(" ", "T") + "Z": p["uptime"] for p in history}
    return Synced(repo, endpoint, window)


def sync_epochs(repo: Path) -> list[datetime]:
    """Return every sync's epoch, oldest first, as git prints the trailers."""
    text = git(repo, "log", "--reverse", "--format=%(trailers:key=Sync-Epoch,valueonly)")
    return [parse_time(epoch) for epoch in text.split()]


def listed(repo: Path, *args: str) -> list[str]:
    """Return the epochs a command's JSON lists (none when it finds nothing, exit 1)."""
    result = cli(repo, *args)
    if result.exit_code == 1 and result.output.startswith("Error: no "):
        return []
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    return [row["epoch"] if isinstance(row, dict) else row[0] for row in found]


@pytest.mark.parametrize(
    ("shift", "zone"),
    [
        (timedelta(0), UTC),
        (timedelta(microseconds=500_000), UTC),
        (timedelta(microseconds=1), UTC),
        (timedelta(microseconds=1), timezone(timedelta(hours=5, minutes=30))),
    ],
)
def test_a_since_just_after_a_sync_leaves_it_out_of_every_reader(
    synced: Synced, shift: timedelta, zone: tzinfo
) -> None:
    repo = synced.repo
    epochs = sync_epochs(repo)
    for epoch in epochs:
        since = (epoch + shift).astimezone(zone)
        text = since.isoformat()
        expected = [format_epoch(e) for e in epochs if e >= since]
        telemetry = ("telemetry", "endpoint", synced.endpoint, "--format", "json")
        assert listed(repo, *telemetry, "--since", text) == expected, text
        assert listed(repo, "changes", "--json", "--since", text) == expected[::-1], text
        uptime = ("telemetry", "endpoint-uptime", synced.endpoint, "--format", "json")
        hours = sorted(hour for hour in synced.window if parse_time(hour) >= since)
        assert listed(repo, *uptime, "--since", text) == hours, text
