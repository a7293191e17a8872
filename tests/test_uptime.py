"""Hourly uptime history: rolling windows stitched into one permanent series per endpoint.

The small daily captures are replayed with their uptime windows (tests/captures/extra,
made by tests/captures/extra_sources.py) as three syncs; every expectation is computed
here from the capture bodies and the requests the sync made, not from the archiver.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
import pytest
from click.testing import CliRunner

from archiver import jsonvalue
from archiver.archive.synclog import SyncLog
from archiver.capture.faults import Fault
from archiver.capture.files import Capture, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.site.build import build_site
from archiver.sync import SyncOptions, sync
from archiver.telemetry.uptime import KIND, recent_uptime, uptime_series
from archiver.times import parse_time
from archiver.upstream import sources
from archiver.upstream.fetch import Response
from archiver.upstream.schedule import epoch_hour, phase
from archiver.upstream.uptime import CATCH_UP_HOURS, UPTIME_PERIOD, read_window, uptime_schedule
from tests.browser import launch_chromium, needs_chromium, recording_page, screenshot, serve_folder
from tests.small_captures import SMALL_DAILY, copy_archive

EXTRA = SMALL_DAILY[0].parent.parent / "extra"
# {endpointId: {hour ISO: value}}
Windows = dict[str, dict[str, Any]]


def with_extra_sources(path: Path) -> Capture:
    """Return a small daily capture that also answers its uptime windows and documented listings."""
    daily, extra = read_capture(path), read_capture(EXTRA / path.name)
    assert daily.time == extra.time
    return replace(daily, responses=daily.responses + extra.responses)


def replay(repo: Path, capture: Capture, *faults: Fault) -> tuple[SyncLog, list[str]]:
    """Sync a capture in-process at its time; return the log and the URLs requested."""
    transport = ReplayTransport(capture, faults)
    options = SyncOptions(base_url=transport.base_url, transport=transport, epoch=capture.time)
    return sync(repo, options), transport.requests


def uptime_requested(requests: list[str]) -> list[str]:
    """Return the endpointIds whose uptime window a sync asked for."""
    asked = []
    for url in requests:
        parts = urlsplit(url)
        if parts.path == sources.UPTIME_HOURLY:
            asked.append(parse_qs(parts.query)["id"][0])
    return asked


def windows_in(capture: Capture) -> Windows:
    """Return every uptime window a capture holds, read from the raw bodies."""
    found: Windows = {}
    for response in capture.responses:
        parts = urlsplit(response.url)
        if parts.path == sources.UPTIME_HOURLY:
            history = response.body["data"]["history"]
            found[parse_qs(parts.query)["id"][0]] = {
                point["date"].replace(" ", "T") + "Z": point["uptime"] for point in history
            }
    return found


def text(value: Any) -> str:
    """Return a value's exact JSON text (numbers digit for digit)."""
    return jsonvalue.dumps(value).decode()


@dataclass
class Stitched:
    """Three syncs of the captures with their uptime windows: what each fetched, the archive."""

    repo: Path
    after_two: Path
    captures: list[Capture]
    logs: list[SyncLog]
    fetched: list[list[str]]
    requests: list[list[str]]


@pytest.fixture(scope="module")
def stitched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stitched]:
    root = tmp_path_factory.mktemp("uptime")
    repo = root / "archive"
    captures = [with_extra_sources(path) for path in SMALL_DAILY]
    logs, fetched, asked = [], [], []
    after_two = root / "after-two"
    for number, capture in enumerate(captures):
        log, requests = replay(repo, capture)
        assert not log.failures, log.failures
        logs.append(log)
        fetched.append(uptime_requested(requests))
        asked.append(requests)
        if number == 1:
            copy_archive(repo, after_two)
    yield Stitched(repo, after_two, captures, logs, fetched, asked)
    shutil.rmtree(root, ignore_errors=True)


def expected_series(stitched: Stitched) -> Windows:
    """Return the union of the windows the syncs fetched, a later window's value winning."""
    union: Windows = {}
    for capture, fetched in zip(stitched.captures, stitched.fetched, strict=True):
        windows = windows_in(capture)
        for endpoint_id in fetched:
            union.setdefault(endpoint_id, {}).update(windows[endpoint_id])
    return union


def test_the_stitched_series_is_the_union_of_the_windows_exactly(stitched: Stitched) -> None:
    union = expected_series(stitched)
    twice = set(stitched.fetched[1]) & set(stitched.fetched[2])
    assert twice, "no endpoint was fetched by two syncs: the windows never overlap"
    for endpoint_id, points in union.items():
        archived = uptime_series(stitched.repo, endpoint_id)
        assert [when for when, _ in archived] == sorted(points)
        assert [text(v) for _, v in archived] == [text(points[w]) for w in sorted(points)]
    # Every endpoint of the archive's uptime files is one whose window was fetched.
    assert set(recent_uptime(stitched.repo, days=10)) == set(union)


def test_a_revised_point_keeps_its_latest_value_and_git_shows_the_revision(
    stitched: Stitched,
) -> None:
    older, newer = windows_in(stitched.captures[1]), windows_in(stitched.captures[2])
    revised = {
        (endpoint_id, hour)
        for endpoint_id in set(stitched.fetched[1]) & set(stitched.fetched[2])
        for hour, value in older[endpoint_id].items()
        if hour in newer[endpoint_id] and text(newer[endpoint_id][hour]) != text(value)
    }
    assert revised, "the captures hold no revised point"
    endpoint_id, hour = min(revised)
    assert dict(uptime_series(stitched.repo, endpoint_id))[hour] == newer[endpoint_id][hour]
    assert any("revised upstream" in note for note in stitched.logs[2].notes)
    day_file = f"data/telemetry/{KIND}/{hour[:4]}/{hour[5:10]}/"
    diff = git(stitched.repo, "diff", "HEAD~1", "HEAD", "--", day_file)
    removed = [line for line in diff.splitlines() if line.startswith('-"') and endpoint_id in line]
    added = [line for line in diff.splitlines() if line.startswith('+"') and endpoint_id in line]
    column = int(hour[11:13]) + 2
    assert removed[0].split("\t")[column] == text(older[endpoint_id][hour])
    assert added[0].split("\t")[column] == text(newer[endpoint_id][hour])


def test_a_point_missing_from_a_later_window_is_kept(stitched: Stitched) -> None:
    older, newer = windows_in(stitched.captures[1]), windows_in(stitched.captures[2])
    both = set(stitched.fetched[1]) & set(stitched.fetched[2])
    earliest_newer = {e: min(newer[e]) for e in both}
    holes = [
        (endpoint_id, hour)
        for endpoint_id in sorted(both)
        for hour in older[endpoint_id]
        if hour >= earliest_newer[endpoint_id] and hour not in newer[endpoint_id]
    ]
    assert holes, "the later windows have no holes"
    for endpoint_id, hour in holes:
        assert text(dict(uptime_series(stitched.repo, endpoint_id))[hour]) == text(
            older[endpoint_id][hour]
        )


@pytest.mark.parametrize(
    "fault",
    [
        Fault(f"{sources.UPTIME_HOURLY}*", body="empty-data"),
        Fault(f"{sources.UPTIME_HOURLY}*", status=404),
    ],
    ids=["malformed", "not-offered"],
)
def test_a_failed_uptime_fetch_changes_no_file(
    stitched: Stitched, tmp_path: Path, fault: Fault
) -> None:
    repo = copy_archive(stitched.after_two, tmp_path / "archive")
    before = git(repo, "rev-parse", f"HEAD:data/telemetry/{KIND}")
    log, requests = replay(repo, stitched.captures[2], fault)
    assert git(repo, "rev-parse", f"HEAD:data/telemetry/{KIND}") == before
    asked = uptime_requested(requests)
    assert asked == stitched.fetched[2]
    if fault.status == 404:
        assert f"not offered (HTTP 404): {sources.UPTIME_HOURLY} x{len(asked)}" in log.notes
        assert not [f for f in log.failures if "uptime" in f]
    else:
        # One line per window, naming it; the rest of the sync went on.
        lines = [f for f in log.failures if "uptime window" in f]
        assert len(lines) == len(asked) and all("nothing changed" in f for f in lines)
        assert log.commit_id is not None


def test_uptime_requests_stay_within_the_spread(stitched: Stitched) -> None:
    previous: datetime | None = None
    for capture, fetched, log, requests in zip(
        stitched.captures, stitched.fetched, stitched.logs, stitched.requests, strict=True
    ):
        hour = epoch_hour(capture.time)
        start = (
            hour - 1 if previous is None else max(epoch_hour(previous), hour - 1 - CATCH_UP_HOURS)
        )
        slots = range(start + 1, hour + 1)
        listed = listed_endpoints(capture)
        due = sorted(e for e in listed if any((h + phase(e, 24)) % 24 == 0 for h in slots))
        assert sorted(fetched) == due
        assert log.requests_by_source.get(sources.UPTIME_HOURLY, 0) == len(due)
        # At most the share of the slot hours covered, never every endpoint at once.
        assert len(due) < len(listed) / 2
        # The documented listings follow the same rule, by modelKey (no listing failed here).
        models = {key for key in listed_models(capture) if not key.startswith("~")}
        documented = documented_requested(requests)
        assert all(any((h + phase(key, 24)) % 24 == 0 for h in slots) for key in documented)
        assert documented >= {k for k in models if any((h + phase(k, 24)) % 24 == 0 for h in slots)}
        assert log.requests_by_source.get(sources.DOCUMENTED_ENDPOINTS, 0) == len(documented)
        previous = capture.time


def test_every_endpoint_is_fetched_once_a_day_by_hourly_syncs() -> None:
    keys = [f"endpoint-{n}" for n in range(500)]
    start = epoch_hour(datetime(2026, 7, 18, tzinfo=UTC))
    counts = dict.fromkeys(keys, 0)
    for hour in range(start, start + UPTIME_PERIOD):
        schedule = uptime_schedule(hour, hour - 1)
        for key in keys:
            counts[key] += schedule.due(key)
    assert set(counts.values()) == {1}
    # A first sync or a long gap fetches a few hours' share, not every endpoint.
    first = sum(uptime_schedule(start, None).due(k) for k in keys)
    gap = sum(uptime_schedule(start, start - 100).due(k) for k in keys)
    assert first < len(keys) / 10 and gap < len(keys) * (CATCH_UP_HOURS + 2) / UPTIME_PERIOD


def listed_endpoints(capture: Capture) -> set[str]:
    """Return the ids of every endpoint the capture's frontend listings hold."""
    found: set[str] = set()
    for response in capture.responses:
        if response.url.startswith(sources.ENDPOINT_STATS) and response.status == 200:
            found.update(e["id"] for e in response.body.get("data") or [])
    return found


def listed_models(capture: Capture) -> set[str]:
    """Return the modelKeys of the capture's non-empty frontend listings."""
    found: set[str] = set()
    for response in capture.responses:
        if response.url.startswith(sources.ENDPOINT_STATS) and response.status == 200:
            items = response.body.get("data") or []
            found.update(items[0]["model_variant_slug"] for _ in items[:1])
    return found


def documented_requested(requests: list[str]) -> set[str]:
    """Return the modelKeys whose documented listing a sync asked for."""
    prefix, suffix = "/api/v1/models/", "/endpoints"
    paths = (unquote(urlsplit(url).path) for url in requests)
    return {
        p[len(prefix) : -len(suffix)] for p in paths if p.startswith(prefix) and p.endswith(suffix)
    }


def git(repo: Path, *args: str) -> str:
    """Return a git command's output in the archive."""
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def uptime_site(stitched: Stitched, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the site built from the stitched archive (built once for the module)."""
    out = tmp_path_factory.mktemp("uptime-site") / "site"
    build_site(stitched.repo, out)
    return out


def site_means(stitched: Stitched) -> dict[str, dict[int, float | None]]:
    """Return {endpointId: {hours: mean uptime}} over the last 24 and 720 hours archived,
    computed from the windows the syncs fetched."""
    union = expected_series(stitched)
    end = parse_time(max(hour for points in union.values() for hour in points))
    means: dict[str, dict[int, float | None]] = {}
    for endpoint_id, points in union.items():
        for hours in (24, 30 * 24):
            since = (end - timedelta(hours=hours - 1)).strftime("%Y-%m-%dT%H:00:00Z")
            values = [float(v) for when, v in points.items() if when >= since and v is not None]
            mean = sum(values) / len(values) if values else None
            means.setdefault(endpoint_id, {})[hours] = mean
    return means


def test_the_site_shows_each_endpoints_uptime(stitched: Stitched, uptime_site: Path) -> None:
    means = site_means(stitched)
    grid = orjson.loads((uptime_site / "grid.json").read_bytes())
    shown = 0
    for name, hours in (("uptime_24h", 24), ("uptime_30d", 30 * 24)):
        column = grid["columns"][name]
        for row, endpoint_id in enumerate(grid["ids"]):
            code = column["codes"][row]
            want = means.get(endpoint_id, {}).get(hours)
            got = None if code < 0 else column["values"][code]
            if want is None:
                assert got is None
                continue
            assert got is not None and got[0] == pytest.approx(want, rel=1e-12)
            assert got[1] == f"{want:.2f}%"
            shown += 1
    assert shown >= len(means)
    # The endpoint page, without JavaScript: both means in its summary, an hourly chart tab.
    endpoint_id = min(e for e in means if means[e][24] is not None)
    page = (uptime_site / "endpoint" / f"{endpoint_id}.html").read_text()
    assert f"{means[endpoint_id][24]:.2f}%" in page
    assert "Uptime (hourly)" in page


@needs_chromium
def test_the_grid_sorts_by_uptime_and_the_page_charts_it(
    stitched: Stitched, uptime_site: Path
) -> None:
    means = site_means(stitched)
    endpoint_id = max(means, key=lambda e: len(expected_series(stitched)[e]))
    with (
        serve_folder(uptime_site) as url,
        launch_chromium() as browser,
        recording_page(browser, "uptime-grid") as page,
    ):
        page.goto(url + "index.html")
        page.wait_for_selector("#endpoint-grid[data-ready]")
        header = page.locator("#endpoint-grid th", has_text="24 h")
        header.focus()
        page.keyboard.press("Enter")
        cells = page.eval_on_selector_all(
            "#endpoint-grid tbody td.c-up", "cells => cells.map(c => c.getAttribute('data-v'))"
        )
        known = [float(v) for v in cells if v]
        assert known == sorted(known) and len(known) > 5
        page.goto(f"{url}endpoint/{endpoint_id}.html")
        page.get_by_text("Uptime (hourly)").click()
        chart = page.locator(".pane.p-uptime")
        assert chart.is_visible() and chart.locator("svg").count() >= 1
        screenshot(page, "endpoint-uptime", full=True)


@pytest.mark.parametrize(
    ("point", "reason"),
    [
        ({"date": "2026-07-19 15:30:00", "uptime": 100}, "not a whole UTC hour"),
        ({"date": "2026-02-30 15:00:00", "uptime": 100}, "not a whole UTC hour"),
        ({"date": "2026-07-19 15:00:00", "uptime": True}, "not a percentage"),
        ({"date": "2026-07-19 15:00:00", "uptime": 100.5}, "not a percentage"),
        ({"date": "2026-07-19 15:00:00", "uptime": "99.9"}, "not a percentage"),
        ({"date": "2026-07-19 15:00:00"}, "has no uptime"),
        (["2026-07-19 15:00:00", 100], "not an object"),
    ],
)
def test_a_malformed_point_refuses_its_whole_window(
    stitched: Stitched, point: Any, reason: str
) -> None:
    endpoint_id = stitched.fetched[2][0]
    (body,) = [
        r.body for r in stitched.captures[2].responses if r.url == sources.uptime_url(endpoint_id)
    ]
    history = [*body["data"]["history"], point]
    response = Response("/x", data={"data": {"history": history}}, status=200)
    window, problem = read_window(endpoint_id, response)
    assert window is None and problem is not None
    assert reason in problem and endpoint_id in problem and "\n" not in problem
    # The same window without the bad point is read whole.
    good = Response("/x", data=body, status=200)
    assert read_window(endpoint_id, good)[0] == windows_in(stitched.captures[2])[endpoint_id]


def test_the_cli_prints_the_stitched_series(stitched: Stitched) -> None:
    union = expected_series(stitched)
    endpoint_id = sorted(union)[0]
    command = ["telemetry", "--repo", str(stitched.repo), "endpoint-uptime", endpoint_id]
    printed = CliRunner().invoke(main, [*command, "--format", "json"])
    assert printed.exit_code == 0, printed.output
    points = union[endpoint_id]
    expected = [[when, points[when]] for when in sorted(points)]
    assert [[w, text(v)] for w, v in jsonvalue.loads(printed.output)] == [
        [w, text(v)] for w, v in expected
    ]
    rows = CliRunner().invoke(main, command).output.splitlines()
    assert rows[0] == "hour,uptime" and len(rows) == len(points) + 1
    missing = CliRunner().invoke(main, [*command[:-1], "no-such-endpoint"])
    assert missing.exit_code == 1 and "no uptime for endpoint" in missing.output
