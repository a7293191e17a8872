"""An uptime window that names an hour still to come (audit 32: time over a long run).

Found and fixed: OpenRouter's hourly uptime window ends at the hour it is fetched, but a
point dated years ahead (`2099-01-01 00:00:00`: a clock or a bug upstream) was stitched
like any other, into `endpoint_uptime/2099/01-01/`. That folder stayed the archive's newest
uptime day for good, and every reader counting back from the newest day read it alone: the
site's uptime charts and 24-hour and 30-day means of every other endpoint went blank, and
`archiver checkout-recent` (the hourly jobs' checkout) left all of today's telemetry out of
the work tree. Such a window is now refused in one line, as a malformed one is; the other
windows of the sync are stitched as before.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.telemetry.uptime import recent_uptime, uptime_series
from archiver.upstream import sources
from archiver.upstream.uptime import due_endpoints, uptime_schedule_at
from tests.archive_helpers import capture_entities, git
from tests.audit22_time_helpers import EXTRA, moved, sync_capture
from tests.small_captures import SMALL_DAILY, some_models, with_models_only

FUTURE = "2099-01-01 00:00:00"


def window_endpoint(response: CapturedResponse) -> str | None:
    """Return the endpoint whose uptime window a response holds (None: another source)."""
    if urlsplit(response.url).path != sources.UPTIME_HOURLY or response.status != 200:
        return None
    return parse_qs(urlsplit(response.url).query)["id"][0]


def capture_with_windows() -> tuple[Capture, list[str]]:
    """Return a cut capture with its uptime windows, moved to the hour (of one day) at which
    most of its windows are due in a first sync, and those endpoints, sorted."""
    whole = read_capture(SMALL_DAILY[0])
    extra = read_capture(EXTRA / SMALL_DAILY[0].name)
    whole = dataclasses.replace(whole, responses=whole.responses + extra.responses)
    cut = with_models_only(whole, some_models(whole, 8, featured=2))
    windows = {window_endpoint(response) for response in cut.responses} - {None}
    listed = set(capture_entities(cut).endpoint_objects) & windows
    hours = [datetime(2026, 11, 20, hour, tzinfo=UTC) for hour in range(24)]
    due = {hour: due_endpoints(listed, uptime_schedule_at(None, hour)) for hour in hours}
    best = max(hours, key=lambda hour: len(due[hour]))
    assert len(due[best]) >= 2, due[best]
    return moved(cut, best), due[best]


def with_future_point(capture: Capture, endpoint: str) -> Capture:
    """Return the capture whose uptime window of one endpoint ends with a point in 2099."""
    responses = []
    for response in capture.responses:
        if window_endpoint(response) == endpoint:
            data = response.body["data"]
            history = [*data["history"], {"date": FUTURE, "uptime": 100}]
            body = {**response.body, "data": {**data, "history": history}}
            response = dataclasses.replace(response, body=body)
        responses.append(response)
    return dataclasses.replace(capture, responses=tuple(responses))


def sent_window(capture: Capture, endpoint: str) -> list[tuple[str, object]]:
    """Return an endpoint's window as the capture holds it, as (ISO hour, uptime), oldest first."""
    response = next(r for r in capture.responses if window_endpoint(r) == endpoint)
    points = response.body["data"]["history"]
    return sorted((p["date"].replace(" ", "T") + "Z", p["uptime"]) for p in points)


def test_a_window_naming_an_hour_to_come_is_refused_and_the_others_are_stitched(
    tmp_path: Path,
) -> None:
    capture, due = capture_with_windows()
    odd, others = due[0], due[1:]
    repo = tmp_path / "archive"
    log, _ = sync_capture(repo, with_future_point(capture, odd))
    assert log.commit_id
    refused = [line for line in log.failures if FUTURE in line]
    assert len(refused) == 1 and odd in refused[0] and "to come" in refused[0], log.failures
    years = git(repo, "ls-tree", "--name-only", "HEAD:data/telemetry/endpoint_uptime/").split()
    assert years == [f"{capture.time:%Y}"]
    assert uptime_series(repo, odd) == []
    # The other windows, read back, are exactly what upstream sent; the site's reader
    # (the newest 31 days) finds every one of them.
    for endpoint in others:
        assert uptime_series(repo, endpoint) == sent_window(capture, endpoint), endpoint
    assert set(recent_uptime(repo, days=31)) == set(others)
