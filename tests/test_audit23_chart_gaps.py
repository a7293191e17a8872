"""Charts must not draw across time the archive did not record (audit 23).

The hourly job stops (for days, or for a few hours) and a step chart drawn across the stop
shows a value held, for days, that the archive never saw. The uptime chart already broke
at hours no window held; every other chart drew straight across. The archive here is real:
the small captures (a quarter of the catalog) served by the replay server on loopback and
synced by `archiver sync --epoch` at hours with a dropped run (a 2-hour step), a stop of
four days, and a 5-hour stop. Every expectation comes from the sync hours and the captures,
and is checked on the built pages: the SVG's strokes, the status strip, the chart data the
pages carry for charts.js, the legends, and once in Chromium, the readout.

Found and fixed (archiver/site/gaps.py holds the rule, its docstring the reasons):
- the price line of every endpoint and model held its price across the 4-day stop; it now
  breaks an hour after the last sync before a stop of over 6 hours, and resumes, with the
  price the next sync found, at the first sync after;
- latency, throughput and the status strip did the same; they break from 2 hours without a
  sync that wrote endpoint telemetry (so the 5-hour stop breaks them too), and resume at the
  first sync after, even where the endpoint's figures did not change (no line of its own);
- the uptime line ran from the newest measured hour on to the chart's end, over hours no
  window has held: it now ends with its newest hour;
- the "most used" ranking of a model's chart lines weighted the last request count of an
  endpoint by the whole stop.
The chart data the pages carry says "not recorded" where a line breaks (null with that
text, against null alone for "not offered"), and charts.js shows it in the readout.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.site import build_site
from archiver.site.chart_blocks import requests_per_window
from archiver.site.metrics import load_metrics
from archiver.site.urls import endpoint_page, model_page
from archiver.telemetry import endpoint_series
from archiver.telemetry.uptime import uptime_series
from archiver.times import format_epoch, parse_time
from tests.archive_helpers import built_once
from tests.audit22_time_helpers import cli, moved, quarter_captures
from tests.browser import launch_chromium, recording_page, serve_folder
from tests.small_captures import copy_archive, with_first_endpoints_edited

HOUR = timedelta(hours=1)
DAY_ONE = datetime(2026, 7, 28, 20, tzinfo=UTC)
RESUMED = datetime(2026, 8, 2, 0, tzinfo=UTC)
# Three hours, one run dropped (a 2-hour step), a stop of four days, two hours, a stop of
# five hours, two hours.
SYNCS = (
    DAY_ONE,
    DAY_ONE + HOUR,
    DAY_ONE + 2 * HOUR,
    DAY_ONE + 4 * HOUR,
    RESUMED,
    RESUMED + HOUR,
    RESUMED + 6 * HOUR,
    RESUMED + 7 * HOUR,
)
END = SYNCS[-1]
LONG_STOP = (SYNCS[3], SYNCS[4])
SHORT_STOP = (SYNCS[5], SYNCS[6])
# The small capture each hour serves: figures move every hour, except across the long stop,
# where capture 0 comes again with one endpoint's figures edited (EDITED): the others have
# no telemetry line at RESUMED, their figures unchanged.
ORDER = (0, 1, 2, 0, 0, 1, 2, 0)
EDITED = 4
# A stroke's ends are read back from the SVG's x, written to a tenth of a unit of 1,000.
SLACK = timedelta(minutes=10)


@dataclass(frozen=True)
class Stopped:
    """The archive synced at SYNCS, its site, and the endpoint edited at RESUMED."""

    repo: Path
    site: Path
    edited: str


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> Stopped:
    def build(folder: Path) -> None:
        quarter = quarter_captures()
        for index, (epoch, order) in enumerate(zip(SYNCS, ORDER, strict=True)):
            capture = quarter[order]
            if index == EDITED:
                capture, edited = with_first_endpoints_edited(capture, [_slower])
                (folder / "edited").write_text(edited[0])
            _sync(folder / "archive", moved(capture, epoch))
        built = END + timedelta(minutes=30)
        report = build_site(folder / "archive", folder / "site", built=built)
        assert not report.problems and not report.skipped, report.problems

    folder = built_once(tmp_path_factory, "audit23-stopped", build)
    # A private copy: readers write their history index into .git.
    repo = copy_archive(folder / "archive", tmp_path_factory.mktemp("stopped") / "archive")
    return Stopped(repo, folder / "site", (folder / "edited").read_text())


def _slower(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return an endpoint listing entry whose p50 latency is a millisecond more."""
    stats = dict(endpoint["stats"])
    stats["p50_latency"] = stats["p50_latency"] + 1
    return {**endpoint, "stats": stats}


def _sync(repo: Path, capture: Capture) -> None:
    """Sync a capture served by the replay server, as the hourly job would at its hour."""
    with ReplayServer(capture) as server:
        result = cli(repo, "sync", "--base-url", server.base_url,
                     "--epoch", format_epoch(capture.time))  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)


# --- reading the built pages -------------------------------------------------------------------

PANE = re.compile(r'<div class="pane p-([\w-]+)" data-chart="([^"]*)">(.*?)</svg>', re.S)
SERIES = re.compile(
    r'<g class="series s-(\d+)[^"]*" data-series="\d+">'
    r'<path class="ln[^"]*" d="([^"]*)"/><path class="dot" d="([^"]*)"/>'
)


@dataclass(frozen=True)
class Pane:
    """One chart of a page: the data charts.js reads, and each line's strokes and dots."""

    data: dict[str, Any]
    strokes: dict[int, list[tuple[datetime, datetime]]]
    dots: dict[int, int]

    def points(self, label: str) -> list[tuple[datetime, Any, Any]]:
        """Return a line's points as the page's chart data holds them."""
        line = next(line for line in self.data["series"] if line["label"] == label)
        return [(datetime.fromtimestamp(t, UTC), v, text) for t, v, text in line["points"]]

    def line(self, label: str) -> list[tuple[datetime, datetime]]:
        """Return a line's strokes by its label."""
        index = next(n for n, line in enumerate(self.data["series"]) if line["label"] == label)
        return self.strokes[index]


def panes(page: Path) -> dict[str, Pane]:
    """Return the chart panes of a built page by tab id."""
    found = {}
    for tab, data_text, body in PANE.findall(page.read_text()):
        data = orjson.loads(html.unescape(data_text))
        strokes = {int(n): _strokes(path, data) for n, path, _ in SERIES.findall(body)}
        dots = {int(n): dot.count("M") for n, _, dot in SERIES.findall(body)}
        found[tab] = Pane(data, strokes, dots)
    return found


def _strokes(path: str, data: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    """Return the time each stroke of a step path starts and ends ("M" starts one)."""
    strokes: list[list[float]] = []
    for command, first, _ in re.findall(r"([MHV])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            strokes.append([float(first), float(first)])
        elif command == "H":
            strokes[-1][1] = float(first)
    inner = data["width"] - 2 * data["insetX"]

    def moment(x: float) -> datetime:
        seconds = data["start"] + (x - data["insetX"]) / inner * (data["end"] - data["start"])
        return datetime.fromtimestamp(seconds, UTC)

    return [(moment(x0), moment(x1)) for x0, x1 in strokes]


def covers(strokes: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Tell whether one stroke runs unbroken from start to end."""
    return any(a <= start + SLACK and b >= end - SLACK for a, b in strokes)


def crosses(strokes: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Tell whether any stroke is drawn inside the stretch from start to end."""
    return any(a < end - SLACK and b > start + SLACK for a, b in strokes)


def strip_rects(page: Path) -> list[tuple[str, float, float, str]]:
    """Return the status strip's rectangles: (kind, x, width, title)."""
    strip = page.read_text().split('<svg class="strip"', 1)[1].split("</svg>", 1)[0]
    rects = re.findall(
        r'<rect class="st-(\w+)" x="([\d.]+)" y="4" width="([\d.]+)" height="22">'
        r"<title>([^<]*)</title>",
        strip,
    )
    return [(kind, float(x), float(width), title) for kind, x, width, title in rects]


def head_endpoints(repo: Path) -> dict[str, dict[str, Any]]:
    """Return HEAD's endpoint files by id."""
    folder = repo / "data" / "endpoint"
    return {path.stem: orjson.loads(path.read_bytes()) for path in folder.glob("*.json")}


def money(per_token: Any) -> str:
    """Return a per-token price as the legend writes it per million tokens, every digit."""
    value = Decimal(str(per_token)) * 1_000_000
    whole, _, decimals = f"{value.normalize():f}".partition(".")
    return "$0" if value == 0 else f"${whole}.{decimals.ljust(2, '0')}"


def steady_priced(stopped: Stopped) -> dict[str, dict[str, Any]]:
    """Return the endpoints listed in every sync, never changed, priced per token, by id."""
    found = {}
    for key, entity in head_endpoints(stopped.repo).items():
        versions = orjson.loads(cli(stopped.repo, "log", "endpoint", key, "--json").output)
        charted = "input" in panes(stopped.site / endpoint_page(key))  # Not sold per image.
        if len(versions) == 1 and parse_time(versions[0]["epoch"]) == DAY_ONE and charted:
            found[key] = entity
    assert len(found) >= 3, "the small captures hold endpoints that never change"
    return found


# --- price charts ------------------------------------------------------------------------------


def test_an_endpoint_price_line_breaks_across_the_stop_and_holds_over_a_dropped_run(
    stopped: Stopped,
) -> None:
    for key, entity in sorted(steady_priced(stopped).items())[:3]:
        pane = panes(stopped.site / endpoint_page(key))["input"]
        line = pane.strokes[0]
        # Held over the dropped run and the 5-hour stop (prices hold while syncs run),
        # broken an hour after the last sync before the 4-day stop.
        assert covers(line, DAY_ONE, LONG_STOP[0] + HOUR), (key, line)
        assert not crosses(line, LONG_STOP[0] + HOUR, LONG_STOP[1]), (key, line)
        assert covers(line, LONG_STOP[1], END), (key, line)
        assert len(line) == 2 and pane.dots[0] == 1, (key, line)  # One change: one dot.
        price = money(entity["pricing"]["prompt"])
        label = pane.data["series"][0]["label"]
        assert pane.points(label) == [
            (DAY_ONE, pytest.approx(float(Decimal(price[1:]))), price),
            (LONG_STOP[0] + HOUR, None, "not recorded"),
            (LONG_STOP[1], pytest.approx(float(Decimal(price[1:]))), price),
        ], key


def test_a_model_price_chart_breaks_every_line_and_its_legend_shows_the_newest_prices(
    stopped: Stopped,
) -> None:
    steady = steady_priced(stopped)
    by_model: dict[str, list[str]] = {}
    for key, entity in head_endpoints(stopped.repo).items():
        by_model.setdefault(entity["model"], []).append(key)
    model = max(sorted(by_model), key=lambda name: len(set(by_model[name]) & set(steady)))
    page = stopped.site / model_page(model)
    pane = panes(page)["input"]
    tags = {steady[key]["provider_slug"] for key in by_model[model] if key in steady}
    assert len(tags) >= 2 and len(pane.strokes) >= len(tags)
    for index, strokes in pane.strokes.items():
        label = pane.data["series"][index]["label"]
        assert not crosses(strokes, LONG_STOP[0] + HOUR, LONG_STOP[1]), (label, strokes)
        if label in tags:  # Listed in every sync: held over the dropped run and 5 hours.
            assert covers(strokes, DAY_ONE, LONG_STOP[0] + HOUR), (label, strokes)
            assert covers(strokes, LONG_STOP[1], END), (label, strokes)
    # The legend's newest value: the price at the newest sync, from HEAD's files.
    legend = page.read_text().split('aria-label="Lines of the input chart', 1)[1]
    shown = dict(re.findall(r'<a href="[^"]*">([^<]*)</a><b>([^<]*)</b>', legend.split("</ul>")[0]))
    endpoints = head_endpoints(stopped.repo)
    expected = {
        html.escape(endpoints[key]["provider_slug"]): money(endpoints[key]["pricing"]["prompt"])
        for key in by_model[model]
    }
    assert {label: shown[label] for label in expected} == expected


# --- telemetry charts --------------------------------------------------------------------------


def figures(repo: Path, key: str) -> list[tuple[datetime, Any]]:
    """Return an endpoint's p50 latency at each of its telemetry lines, oldest first."""
    samples = endpoint_series(repo, key)
    return [(parse_time(s["epoch"]), s.get("stats", {}).get("p50_latency")) for s in samples]


def test_latency_and_throughput_break_where_no_sync_recorded_them(stopped: Stopped) -> None:
    keys = sorted(head_endpoints(stopped.repo))
    checked = 0
    for key in keys:
        samples = figures(stopped.repo, key)
        if any(value is None for _, value in samples) or not samples:
            continue
        latency = panes(stopped.site / endpoint_page(key))["latency"]
        line = latency.strokes[0]
        # Over the dropped run: one stroke; the 4-day and the 5-hour stops: breaks, each an
        # hour after the last sync before it; resumed at the first sync after.
        assert covers(line, DAY_ONE, LONG_STOP[0] + HOUR), (key, line)
        assert not crosses(line, LONG_STOP[0] + HOUR, LONG_STOP[1]), (key, line)
        assert covers(line, LONG_STOP[1], SHORT_STOP[0] + HOUR), (key, line)
        assert not crosses(line, SHORT_STOP[0] + HOUR, SHORT_STOP[1]), (key, line)
        assert covers(line, SHORT_STOP[1], END), (key, line)
        assert len(line) == 3, (key, line)
        # A dot per telemetry line, none where a value is restated after a stop.
        assert latency.dots[0] == len(samples), key
        label = latency.data["series"][0]["label"]
        gaps = [when for when, value, text in latency.points(label) if text == "not recorded"]
        assert gaps == [LONG_STOP[0] + HOUR, SHORT_STOP[0] + HOUR], key
        newest = latency.points(label)[-1]
        assert newest[0] == samples[-1][0] and newest[1] == samples[-1][1], key
        throughput = panes(stopped.site / endpoint_page(key))["throughput"]
        assert not crosses(throughput.strokes[0], LONG_STOP[0] + HOUR, LONG_STOP[1]), key
        assert not crosses(throughput.strokes[0], SHORT_STOP[0] + HOUR, SHORT_STOP[1]), key
        checked += 1
    assert checked >= 10


def test_a_line_resumes_after_a_stop_where_its_figures_did_not_change(stopped: Stopped) -> None:
    # At RESUMED only EDITED's endpoint has a telemetry line: the others' figures are those
    # of the sync before the stop, and they were recorded as unchanged.
    assert RESUMED in [when for when, _ in figures(stopped.repo, stopped.edited)]
    quiet = [
        key
        for key in sorted(head_endpoints(stopped.repo))
        if (samples := figures(stopped.repo, key))
        and RESUMED not in [when for when, _ in samples]
        and all(value is not None for _, value in samples)
    ]
    assert len(quiet) >= 5
    for key in quiet:
        before = dict(figures(stopped.repo, key))[LONG_STOP[0]]
        latency = panes(stopped.site / endpoint_page(key))["latency"]
        assert covers(latency.strokes[0], RESUMED, RESUMED + 2 * HOUR), key
        label = latency.data["series"][0]["label"]
        assert (RESUMED, before) in [(when, value) for when, value, _ in latency.points(label)]


def test_the_status_strip_is_blank_across_the_stops(stopped: Stopped) -> None:
    samples = {key: endpoint_series(stopped.repo, key) for key in head_endpoints(stopped.repo)}
    key = next(k for k, found in sorted(samples.items())
               if len(found) == len(SYNCS) and all("status" in s for s in found))  # fmt: skip
    rects = strip_rects(stopped.site / endpoint_page(key))
    start = parse_time(samples[key][0]["epoch"])

    def x(moment: datetime) -> float:
        return 8 + (moment - start) / (END - start) * (1000 - 16)

    gaps = [(round(x0), round(x0 + width)) for kind, x0, width, _ in rects if kind == "gap"]
    assert gaps == [
        (round(x(LONG_STOP[0] + HOUR)), round(x(LONG_STOP[1]))),
        (round(x(SHORT_STOP[0] + HOUR)), round(x(SHORT_STOP[1]))),
    ], rects
    assert all(title.endswith(": not recorded") for kind, *_, title in rects if kind == "gap")
    drawn = [(x0, x0 + width) for kind, x0, width, _ in rects if kind != "gap"]
    for stop in (LONG_STOP, SHORT_STOP):
        inside = (x(stop[0] + HOUR) + 0.5, x(stop[1]) - 0.5)
        assert not [span for span in drawn if span[0] < inside[1] and span[1] > inside[0]]


def test_the_uptime_line_ends_with_its_newest_measured_hour(stopped: Stopped) -> None:
    lagging = []
    for key in sorted(head_endpoints(stopped.repo)):
        hours = uptime_series(stopped.repo, key)
        if not hours or hours[-1][1] is None or parse_time(hours[-1][0]) + HOUR >= END:
            continue
        newest = parse_time(hours[-1][0])
        uptime = panes(stopped.site / endpoint_page(key))["uptime"]
        line = uptime.strokes[0]
        assert not crosses(line, newest + HOUR, END), (key, newest, line)
        label = uptime.data["series"][0]["label"]
        points = uptime.points(label)
        assert points[-1] == (newest + HOUR, None, "not recorded"), key
        assert points[-2][:2] == (newest, hours[-1][1]), key
        lagging.append(key)
    # Windows are fetched about once a day: most endpoints' newest hour is before the end.
    assert len(lagging) >= 5


def test_most_used_weights_a_request_count_by_the_time_it_was_recorded(stopped: Stopped) -> None:
    metrics = load_metrics(stopped.repo, None, [])
    compared = 0
    for key, found in sorted(metrics.items()):
        counts = {p.epoch: p.requests for p in found.points}
        if not found.points or any(value is None for value in counts.values()):
            continue
        # Each sync's count stands until the next sync, or for its hour before a stop; the
        # newest for the second the function gives a point at the chart's end.
        weighted = seconds = 0.0
        current = None
        for epoch, following in zip(SYNCS, [*SYNCS[1:], None], strict=True):
            current = counts.get(epoch, current)
            if current is None:
                continue
            gap = (following - epoch) if following else timedelta(0)
            span = gap if gap <= 2 * HOUR else HOUR
            span_seconds = max(span.total_seconds(), 1.0)
            weighted, seconds = weighted + current * span_seconds, seconds + span_seconds
        assert requests_per_window(found, END) == pytest.approx(weighted / seconds), key
        compared += 1
    assert compared >= 10


# --- the readout, in Chromium -------------------------------------------------------------------


def test_the_readout_says_not_recorded_inside_the_stop(stopped: Stopped) -> None:
    key = sorted(steady_priced(stopped))[0]
    inside = LONG_STOP[0] + timedelta(days=2)
    expected = {"input": ((inside, "not recorded"), (END - HOUR, "$")),
                "latency": ((inside, "not recorded"), (END - HOUR, " ms"))}  # fmt: skip
    with (
        serve_folder(stopped.site) as url,
        launch_chromium() as browser,
        recording_page(browser, "audit23-readout") as page,
    ):
        page.goto(url + endpoint_page(key))
        for block, pane in (("prices", "input"), ("telemetry", "latency")):
            box = page.locator(f"#{block} .pane.p-{pane} .plotbox")
            box.scroll_into_view_if_needed()
            data = orjson.loads(box.locator("xpath=../..").get_attribute("data-chart"))
            area = box.bounding_box()
            for moment, told in expected[pane]:
                # Where charts.py draws the moment: an inset of 8 units either side of 1,000.
                share = (moment.timestamp() - data["start"]) / (data["end"] - data["start"])
                page.mouse.move(area["x"] + area["width"] * (8 + share * 984) / 1000,
                                area["y"] + area["height"] / 2)  # fmt: skip
                readout = page.locator(f"#{block} .pane.p-{pane} .readout li b")
                assert told in readout.first.inner_text(), (pane, moment)


def _epochs(start: datetime, *steps: timedelta) -> list[datetime]:
    """Return the epochs from start, each step after the one before."""
    epochs = [start]
    for step in steps:
        epochs.append(epochs[-1] + step)
    return epochs


def test_an_archive_synced_daily_is_not_broken_day_by_day_but_a_missing_week_is() -> None:
    from archiver.site.gaps import PRICE_ALLOWANCE, TELEMETRY_ALLOWANCE, Record

    day = timedelta(days=1)
    # An archive imported from daily captures: its days are its cadence, not stops.
    daily = _epochs(DAY_ONE, day, day, day, 7 * day, day, day, day)
    for allowance in (PRICE_ALLOWANCE, TELEMETRY_ALLOWANCE):
        record = Record.of(daily, allowance)
        assert record.stops == ((daily[3], daily[4]),)
        assert not record.stopped_before(daily[-1] + day)
        assert record.stopped_before(daily[-1] + 3 * day)
    # Imported days, then the hourly job: the change of rhythm is no stop either.
    mixed = _epochs(DAY_ONE, day, day, day, HOUR, HOUR, HOUR, HOUR, HOUR, HOUR, HOUR)
    assert Record.of(mixed, TELEMETRY_ALLOWANCE).stops == ()
    # Hourly: a dropped run holds, three hours without a sync break telemetry, not prices.
    hourly = _epochs(DAY_ONE, HOUR, 2 * HOUR, HOUR, 3 * HOUR, HOUR, HOUR, 7 * HOUR, HOUR, HOUR)
    assert Record.of(hourly, TELEMETRY_ALLOWANCE).stops == (
        (hourly[3], hourly[4]),
        (hourly[6], hourly[7]),
    )
    assert Record.of(hourly, PRICE_ALLOWANCE).stops == ((hourly[6], hourly[7]),)


def test_the_daily_site_archive_draws_its_prices_unbroken(site_folder: Path) -> None:
    # The session's site archive holds captures a day apart: no chart breaks between them.
    pages = sorted((site_folder / "endpoint").rglob("*.html"))
    assert pages
    # A break is a "not recorded" point in the chart data, or a blank in the status strip.
    breaks = ('"not recorded"', 'class="st-gap"')
    broken = [page for page in pages if any(b in html.unescape(page.read_text()) for b in breaks)]
    assert not broken, broken[:3]
