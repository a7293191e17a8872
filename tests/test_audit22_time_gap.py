"""Time, as a class of problem, for an archive that runs hourly for years unattended (1 of 2):
gaps in the hourly job, a clock gone back, the same hour synced twice.

The class: every reader and writer places things by the sync's hour (telemetry day and week
folders, uptime windows, the fetch schedule, `--since/--until`, export months, the site's
charts). Time does not pass evenly for an unattended job: it stops for days, a runner's clock
lags, a delayed run repeats an hour. Each case here is a real archive of the small captures
(a quarter of the catalog, with their uptime windows moved to the hour synced), read by every
reader; nothing archived may change that should not, and each problem is one line.

Found and fixed:
- a sync at the machine's clock (no `--epoch`) whose hour lies before the latest sync
  (a runner whose clock lags, or after a sync given an epoch up to an hour ahead) was
  committed after the newer sync: history went back in time. It is refused in one line.
- an incremental `export --format parquet` after the same hour was committed twice kept the
  hour's first change summaries, naming models as they were before the rerun; a clean
  export names them as the hour's last sync left them. The rerun describes them again.
- the site's hourly uptime chart carried the last measured hour across hours no window
  held (the job stopped for days, or upstream's window had a hole): a line drawn through a
  gap. The line now breaks there.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.archive.store import Store
from archiver.capture.files import Capture, CapturedResponse
from archiver.capture.replay import ReplayServer
from archiver.capture.transport import ReplayTransport
from archiver.export import export_parquet
from archiver.site import build_site
from archiver.site.chart_blocks import telemetry_block
from archiver.site.metrics import EndpointMetrics
from archiver.sync import VARIANT_TELEMETRY, SyncOptions, sync
from archiver.telemetry.uptime import uptime_between, uptime_series
from archiver.times import format_epoch, hour_epoch, parse_time
from archiver.upstream import sources
from archiver.upstream.entities import catalog_variants
from archiver.upstream.fetch import Response
from tests.archive_helpers import built_once, git, head, status_clean
from tests.audit22_time_helpers import (
    Windows,
    asked_url,
    cli,
    cli_json,
    export_tables,
    months,
    moved,
    moving_endpoints,
    one_line_refusal,
    quarter_captures,
    stamps,
    sync_capture,
    uptime_windows,
)
from tests.small_captures import copy_archive, sync_small
from tests.small_captures import quarter_base as small_base
from tests.small_captures import quarter_captures as small_captures

__all__ = ["small_base", "small_captures"]

HOUR = timedelta(hours=1)
# Two hours, a stop of exactly three days (the uptime window's length), a stop of 45 days
# (all of August without a sync), then two hours again.
GAP = (
    datetime(2026, 7, 28, 22, tzinfo=UTC),
    datetime(2026, 7, 28, 23, tzinfo=UTC),
    datetime(2026, 7, 31, 23, tzinfo=UTC),
    datetime(2026, 9, 14, 23, tzinfo=UTC),
    datetime(2026, 9, 15, 0, tzinfo=UTC),
)
ORDER = (0, 1, 2, 0, 1)  # The small capture each hour syncs: figures move every hour.


@dataclasses.dataclass(frozen=True)
class GapArchive:
    """The archive synced at GAP, the captures each hour served, what each sync asked for."""

    path: Path
    incremental: Path  # Exported after every sync into one folder.
    captures: list[Capture]
    requests: list[list[str]]


@pytest.fixture(scope="module")
def quarter() -> list[Capture]:
    """Return the small captures cut to a quarter of the catalog, with their uptime windows."""
    return quarter_captures()


@pytest.fixture(scope="module")
def gap(tmp_path_factory: pytest.TempPathFactory, quarter: list[Capture]) -> GapArchive:
    captures = [moved(quarter[index], epoch) for index, epoch in zip(ORDER, GAP, strict=True)]

    def build(folder: Path) -> None:
        asked = []
        for capture in captures:
            log, requests = sync_capture(folder / "archive", capture)
            assert log.commit_id and not log.failures, log.failures
            export_parquet(folder / "archive", folder / "incremental")
            asked.append(requests)
        (folder / "requests.json").write_text(json.dumps(asked))

    folder = built_once(tmp_path_factory, "audit22-gap", build)
    requests = json.loads((folder / "requests.json").read_text())
    # A private copy: readers write their history index into .git.
    repo = copy_archive(folder / "archive", tmp_path_factory.mktemp("gap") / "archive")
    return GapArchive(repo, folder / "incremental", captures, requests)


# --- a long gap ------------------------------------------------------------------------------


def test_a_series_reads_straight_through_both_gaps(gap: GapArchive) -> None:
    repo = gap.path
    for key, figures in moving_endpoints(gap.captures).items():
        samples = cli_json(repo, "telemetry", "endpoint", key, "--format", "json")
        assert [sample["epoch"] for sample in samples] == stamps(*GAP), key
        assert [sample["status_heuristics"] for sample in samples] == figures, key
        # Bounds either side of each gap take exactly the samples between them.
        across = ("--since", format_epoch(GAP[2]), "--until", format_epoch(GAP[3]))
        found = cli_json(repo, "telemetry", "endpoint", key, "--format", "json", *across)
        assert [sample["epoch"] for sample in found] == stamps(GAP[2], GAP[3]), key
        inside = ("--since", "2026-08-01", "--until", "2026-08-31T23:59:59Z")
        one_line_refusal(cli(repo, "telemetry", "endpoint", key, *inside), "no telemetry")
    days = sorted(p.relative_to(repo / "data/telemetry/endpoint").as_posix()
                  for p in (repo / "data/telemetry/endpoint").glob("*/*"))  # fmt: skip
    assert days == ["2026/07-28", "2026/07-31", "2026/09-14", "2026/09-15"]


def variants_of(capture: Capture) -> dict[str, str]:
    """Return {effective-pricing URL: variant key} of every catalog variant of a capture."""
    catalog = next(r for r in capture.responses if r.url == sources.CATALOG_MODELS)
    variants = catalog_variants(Response(catalog.url, data=catalog.body, status=catalog.status))
    return {
        asked_url(variant.url(sources.EFFECTIVE_PRICING)): key for key, variant in variants.items()
    }


def test_after_each_gap_every_variant_is_fetched_and_idle_weeks_have_no_file(
    gap: GapArchive,
) -> None:
    per_variant = set(VARIANT_TELEMETRY.values())
    for hour, (capture, requests) in enumerate(zip(gap.captures, gap.requests, strict=True)):
        variants = variants_of(capture)
        asked = [url for url in requests if url.split("?")[0] in per_variant]
        fetched = {variants[asked_url(url)] for url in asked if asked_url(url) in variants}
        assert len(asked) == len(per_variant) * len(fetched), "each due variant: both sources"
        if hour in (0, 2, 3):  # The first sync, then after 3 and 45 days: every variant.
            assert fetched == set(variants.values()), format_epoch(GAP[hour])
        else:  # An hour after a sync: that hour's share only.
            assert 0 < len(fetched) < len(variants), format_epoch(GAP[hour])
    root = gap.path / "data/telemetry/model_variant"
    weeks = sorted(p.relative_to(root).as_posix() for p in root.glob("*/*"))
    assert weeks == ["2026/07-27", "2026/09-14"]  # The Mondays of the weeks synced, no more.


def stitched(gap: GapArchive) -> Windows:
    """Return every hour the uptime windows fetched held, the latest window's value winning."""
    expected: Windows = {}
    for capture, requests in zip(gap.captures, gap.requests, strict=True):
        for key, window in uptime_windows(capture, requests).items():
            expected.setdefault(key, {}).update(window)
    return expected


def test_stitched_uptime_holds_the_hours_windows_held_and_none_in_the_gap(
    gap: GapArchive,
) -> None:
    expected = stitched(gap)
    assert len(expected) > 3
    # The windows fetched before the long gap end with it, those after begin 72 h before.
    gap_hours = [hour for points in expected.values() for hour in points
                 if "2026-08-01" <= hour < "2026-09-11"]  # fmt: skip
    assert gap_hours == []
    for key, hours in expected.items():
        assert dict(uptime_series(gap.path, key)) == hours, key
    assert uptime_between(gap.path, "2026-08-01T00:00:00Z", "2026-09-10T23:00:00Z") == {}
    key = max(expected, key=lambda k: len(expected[k]))
    result = cli(gap.path, "telemetry", "endpoint-uptime", key, "--since", "2026-08-01",
                 "--until", "2026-09-10T23:59:59Z")  # fmt: skip
    one_line_refusal(result, "no uptime")


def test_inside_a_gap_every_reader_answers_as_of_the_last_sync_before_it(
    gap: GapArchive,
) -> None:
    repo, before, inside = gap.path, format_epoch(GAP[2]), "2026-08-15T12:00:00Z"
    august = cli_json(repo, "changes", "--since", "2026-08-01", "--until", inside, "--json")
    assert august == []
    across = cli_json(repo, "changes", "--since", before, "--until", format_epoch(GAP[3]),
                      "--json")  # fmt: skip
    assert [group["epoch"] for group in across] == stamps(GAP[3], GAP[2])  # Newest first.
    everything = cli_json(repo, "show", "--all", "endpoint", "--at", inside)
    assert everything and everything == cli_json(repo, "show", "--all", "endpoint", "--at", before)
    endpoint = next(iter(moving_endpoints(gap.captures)))
    state = cli_json(repo, "show", "endpoint", endpoint, "--at", inside)
    model = state["model_variant_slug"]
    for args in (
        ("price", "endpoint", endpoint, "--json"),
        ("cost", model, "--input", "1000", "--output", "100", "--json"),
    ):
        in_gap = cli_json(repo, *args, "--at", inside)
        at_sync = cli_json(repo, *args, "--at", before)
        in_gap.pop("at", None), at_sync.pop("at", None)
        assert in_gap == at_sync, args
    versions = cli_json(repo, "log", "endpoint", endpoint, "--json")
    assert {version["epoch"] for version in versions} <= set(stamps(*GAP))


def test_the_export_leaves_the_idle_month_out_and_reruns_equal_a_clean_export(
    gap: GapArchive, tmp_path: Path
) -> None:
    clean = tmp_path / "clean"
    report = export_parquet(gap.path, clean)
    assert not report.problems, report.problems
    for table in ("changes", "telemetry_endpoint", "telemetry_model_variant", "uptime"):
        assert months(clean, table) == ["2026-07", "2026-09"], table
    for table in ("models", "endpoints", "providers"):
        assert "2026-08" not in months(clean, table), table  # No version ended in August.
    versions = export_tables(clean)["endpoints"]
    spanning = [row for row in versions
                if row["valid_from"] == GAP[2] and row["valid_to"] == GAP[3]]  # fmt: skip
    assert spanning and {row["month"] for row in spanning} == {"2026-09"}
    assert export_tables(gap.incremental) == export_tables(clean)


def test_the_site_builds_across_the_gap_and_its_uptime_line_breaks_at_it(
    gap: GapArchive, tmp_path: Path
) -> None:
    expected = stitched(gap)
    # An endpoint whose hours run up to the long gap and resume after it.
    key = next(k for k, hours in sorted(expected.items())
               if min(hours) < "2026-08" < max(hours))  # fmt: skip
    for at in (None, parse_time("2026-08-15T12:00:00Z")):
        report = build_site(gap.path, tmp_path / f"site-{at is None}", at=at)
        assert not report.problems and not report.skipped, report.problems
        assert report.epoch == (GAP[-1] if at is None else GAP[2])
    # Before the first sync: one line, the time spelled as every other message spells it.
    early = cli(gap.path, "site", "--out", str(tmp_path / "early"), "--at", "2026-07-01")
    one_line_refusal(early, "2026-07-01T00:00:00Z is before the archive began")
    points = tuple((parse_time(when), value) for when, value in uptime_series(gap.path, key))
    block = telemetry_block(EndpointMetrics((), uptime=points), GAP[-1])
    assert block is not None
    chart = next(tab.chart for tab in block.tabs if tab.id == "uptime")
    path = str(chart.svg).split('class="ln"', 1)[1].split('d="', 1)[1].split('"', 1)[0]
    # Each run of consecutive measured hours is its own stroke ("M" starts one): a null hour
    # or an hour no window held ends it, and the long gap is one of those.
    strokes = sum(
        1
        for before, (when, value) in zip([None, *points], points, strict=False)
        if value is not None and (before is None or before[1] is None or when - before[0] > HOUR)
    )
    assert any(b[0] - a[0] > timedelta(days=40) for a, b in itertools.pairwise(points))
    assert path.count("M") == strokes, path


# --- the clock goes backwards ------------------------------------------------------------------


def test_a_clock_behind_the_latest_sync_is_refused_in_one_line_and_changes_nothing(
    small_base: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    repo = copy_archive(small_base, tmp_path / "archive")
    # A sync an hour ahead of this clock (allowed: clocks differ by minutes), then the
    # hourly job at this clock's hour: earlier than the sync it follows.
    if datetime.now(UTC) > hour_epoch() + HOUR - timedelta(seconds=20):
        # The hour must not turn while the test runs: its next sync would then be on time.
        time.sleep((hour_epoch() + HOUR - datetime.now(UTC)).total_seconds() + 1)
    ahead = hour_epoch() + HOUR
    log = sync_small(repo, dataclasses.replace(small_captures[1], time=ahead))
    assert log.commit_id and not log.failures
    before, tree = head(repo), git(repo, "ls-tree", "-r", "HEAD")
    with ReplayServer(small_captures[2]) as server:
        result = cli(repo, "sync", "--base-url", server.base_url)
        given = cli(repo, "sync", "--base-url", server.base_url, "--epoch",
                    format_epoch(ahead - 2 * HOUR))  # fmt: skip
        asked = list(server.requests)
    one_line_refusal(result, "clock", format_epoch(ahead))
    assert result.exit_code == 3
    one_line_refusal(given, "latest sync", format_epoch(ahead))
    assert asked == []  # Refused before a single request.
    assert head(repo) == before and git(repo, "ls-tree", "-r", "HEAD") == tree
    assert status_clean(repo)
    # The right time again (the same hour as the latest sync): it archives, on top.
    replay = ReplayTransport(small_captures[2])
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=ahead)
    assert sync(repo, options).commit_id
    assert git(repo, "rev-parse", "HEAD~1").strip() == before
    assert Store(repo, create=False).latest_epoch() == ahead


# --- the same hour committed twice --------------------------------------------------------------


def renamed(capture: Capture) -> Capture:
    """Return a capture whose models all carry another name (catalog and v1 alike)."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url in (sources.CATALOG_MODELS, sources.V1_MODELS):
            data = [{**model, "name": f"Renamed {model.get('name')}"} for model in body["data"]]
            body = {**body, "data": data}
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return dataclasses.replace(capture, responses=tuple(responses))


def changes_rows(out: Path) -> Iterator[dict[str, Any]]:
    """Yield the exported change rows."""
    yield from export_tables(out)["changes"]


def test_an_export_rerun_after_an_hour_synced_twice_equals_a_clean_export(
    quarter: list[Capture], tmp_path: Path
) -> None:
    repo, incremental = tmp_path / "archive", tmp_path / "incremental"
    hour = GAP[1]
    assert sync_capture(repo, moved(quarter[0], GAP[0]))[0].commit_id
    assert sync_capture(repo, moved(quarter[1], hour))[0].commit_id
    export_parquet(repo, incremental)
    first = {(row["commit"], row["key"]): row["summary"] for row in changes_rows(incremental)}
    # The hour again (a rerun of the scheduled job): upstream renamed every model meanwhile.
    rerun, _ = sync_capture(repo, renamed(moved(quarter[1], hour)))
    assert rerun.commit_id and rerun.epoch == hour
    report = export_parquet(repo, incremental)
    assert not report.full and not report.problems
    clean = tmp_path / "clean"
    export_parquet(repo, clean)
    assert export_tables(incremental) == export_tables(clean)
    # The first sync of the hour is described with the names the hour ended with.
    again = {(row["commit"], row["key"]): row["summary"] for row in changes_rows(incremental)}
    moved_names = [key for key, summary in first.items() if again[key] != summary]
    assert moved_names and all("Renamed " in again[key] for key in moved_names)
