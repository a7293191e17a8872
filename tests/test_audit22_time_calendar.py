"""Time, as a class of problem, for an archive that runs hourly for years unattended (2 of 2):
the calendar's edges and its far end.

One archive of the small captures (a quarter of the catalog) synced at the hours around the
calendar's edges: ISO week 53 (2026-12-28 .. 2027-01-03: a week's file of variant figures
that spans a year end), the end of January, the leap day 2028-02-29, and 2099-12-31 ->
2100-01-01 -> 2100-02-28 -> 2100-03-01 (2100 is not a leap year; its first days sit in
week 53 of 2099). These hours lie past this machine's clock, which a sync refuses: they are
fetched and archived as `publish` applies a fetched sync. Every reader is asked about them;
the export, rerun after each sync, must equal a clean one. Then the far end: an archive in
the last hours of the year 9999, times past it, and captures taken at minute 59 or 00.

Found and fixed:
- a time with a UTC offset whose UTC hour lies outside the years 1 to 9999
  (`--since 0001-01-01T00:00:00+01:00`, `--at 9999-12-31T23:59:59-01:00`) raised an
  OverflowError traceback from every command taking a time, and from `import` when it was a
  capture's header time. It is refused in one line, as a malformed time is.
- the site of an archive synced at 9999-12-31 23:00 raised an OverflowError traceback (a
  chart spans at least an hour past its first point). Any reader reaching past the year
  9999 now stops with one line, exit 3.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from archiver.capture.files import Capture
from archiver.export import export_parquet
from archiver.export.months import month_of
from archiver.site import build_site
from archiver.times import format_epoch
from tests.archive_helpers import built_once, git
from tests.audit22_time_helpers import (
    cli,
    cli_json,
    export_tables,
    months,
    moved,
    moving_endpoints,
    one_line_refusal,
    quarter_captures,
    stamps,
    sync_ahead_of_the_clock,
)
from tests.small_captures import SMALL_DAILY


def hour(year: int, month: int, day: int, at: int) -> datetime:
    """Return a UTC hour."""
    return datetime(year, month, day, at, tzinfo=UTC)


CALENDAR = (
    hour(2026, 12, 27, 23),  # Sunday of ISO week 52
    hour(2026, 12, 28, 0),  # Monday of ISO week 53
    hour(2027, 1, 3, 23),  # its Sunday, in the next year
    hour(2027, 1, 4, 0),  # Monday of 2027's week 1
    hour(2027, 1, 31, 23),
    hour(2027, 2, 1, 0),
    hour(2028, 2, 28, 23),
    hour(2028, 2, 29, 0),  # the leap day
    hour(2028, 2, 29, 23),
    hour(2028, 3, 1, 0),
    hour(2099, 12, 31, 23),  # week 53 of 2099, which 2100-01-01 shares
    hour(2100, 1, 1, 0),
    hour(2100, 2, 28, 23),  # 2100 has no 29 February
    hour(2100, 3, 1, 0),
)


@dataclasses.dataclass(frozen=True)
class CalendarArchive:
    """The archive synced at CALENDAR, the captures each hour served, the rerun export."""

    path: Path
    incremental: Path
    captures: list[Capture]


@pytest.fixture(scope="module")
def quarter() -> list[Capture]:
    """Return the small captures cut to a quarter of the catalog, with their uptime windows."""
    return quarter_captures()


@pytest.fixture(scope="module")
def calendar(tmp_path_factory: pytest.TempPathFactory, quarter: list[Capture]) -> CalendarArchive:
    captures = [moved(quarter[n % 3], epoch) for n, epoch in enumerate(CALENDAR)]

    def build(folder: Path) -> None:
        for capture in captures:
            log, _ = sync_ahead_of_the_clock(folder / "archive", capture)
            assert log.commit_id and not log.failures, log.failures
            export_parquet(folder / "archive", folder / "incremental")

    folder = built_once(tmp_path_factory, "audit22-calendar", build)
    return CalendarArchive(folder / "archive", folder / "incremental", captures)


def folders(repo: Path, kind: str) -> list[str]:
    """Return a telemetry kind's day folders as YYYY/MM-DD."""
    root = repo / "data/telemetry" / kind
    return sorted(path.relative_to(root).as_posix() for path in root.glob("*/*"))


def monday(day: date) -> str:
    """Return the folder of the ISO week holding a day: its Monday as YYYY/MM-DD."""
    first = day - timedelta(days=day.weekday())
    return f"{first:%Y/%m-%d}"


def test_each_day_and_week_has_its_folder_and_series_read_across_every_edge(
    calendar: CalendarArchive,
) -> None:
    repo = calendar.path
    assert folders(repo, "endpoint") == sorted({f"{e:%Y/%m-%d}" for e in CALENDAR})
    weeks = folders(repo, "model_variant")
    assert set(weeks) <= {monday(epoch.date()) for epoch in CALENDAR}
    assert "2026/12-28" in weeks and "2099/12-28" in weeks
    for key, figures in moving_endpoints(calendar.captures).items():
        samples = cli_json(repo, "telemetry", "endpoint", key, "--format", "json")
        assert [sample["epoch"] for sample in samples] == stamps(*CALENDAR), key
        assert [sample["status_heuristics"] for sample in samples] == figures, key
        leap = ("--since", "2028-02-29", "--until", "2028-02-29T23:59:59Z")
        found = cli_json(repo, "telemetry", "endpoint", key, "--format", "json", *leap)
        assert [sample["epoch"] for sample in found] == stamps(CALENDAR[7], CALENDAR[8]), key


def variant_epochs(repo: Path, since: str, until: str) -> set[str]:
    """Return the epochs of every model variant's samples between two times."""
    found: set[str] = set()
    for key in cli_json(repo, "show", "--all", "model", "--at", until):
        result = cli(repo, "telemetry", "model-variant", key, "--since", since, "--until", until,
                     "--format", "json")  # fmt: skip
        if result.exit_code == 0:
            found |= {sample["epoch"] for sample in json.loads(result.output)}
    return found


def test_a_week_file_spanning_a_year_end_is_read_by_either_years_bounds(
    calendar: CalendarArchive,
) -> None:
    repo = calendar.path
    # 2027-01-03 23:00 came six days after the previous sync: every variant was fetched,
    # and its figures went into the file of the week that began on 2026-12-28.
    assert variant_epochs(repo, "2027-01-01", "2027-01-03T23:59:59Z") == {format_epoch(CALENDAR[2])}
    assert format_epoch(CALENDAR[10]) in variant_epochs(repo, "2099-12-31", "2100-01-01T23:00Z")


def test_the_export_files_each_hour_in_its_month_and_reruns_equal_a_clean_export(
    calendar: CalendarArchive, tmp_path: Path
) -> None:
    clean = tmp_path / "clean"
    report = export_parquet(calendar.path, clean)
    assert not report.problems, report.problems
    expected = sorted({month_of(epoch) for epoch in CALENDAR})
    assert months(clean, "telemetry_endpoint") == expected
    tables = export_tables(clean)
    for table in ("telemetry_endpoint", "telemetry_model_variant", "changes"):
        for row in tables[table]:
            assert row["month"] == month_of(row["epoch"]), (table, row["epoch"], row["month"])
    variant_rows = tables["telemetry_model_variant"]
    assert {row["epoch"] for row in variant_rows if row["month"] == "2027-01"} >= {CALENDAR[2]}
    assert export_tables(calendar.incremental) == tables


def test_readers_on_and_around_the_leap_day_and_a_day_that_does_not_exist(
    calendar: CalendarArchive,
) -> None:
    repo = calendar.path
    for missing in ("2027-02-29", "2100-02-29T00:00:00Z"):
        one_line_refusal(cli(repo, "show", "--all", "model", "--at", missing), missing)
        one_line_refusal(cli(repo, "changes", "--since", missing), missing)
    # Mid-hour asks answer as of the hour's sync.
    for during, synced in (("2028-02-29T12:30:00Z", CALENDAR[7]),
                           ("2100-01-01T00:59:59Z", CALENDAR[11])):  # fmt: skip
        at = format_epoch(synced)
        everything = cli_json(repo, "show", "--all", "endpoint", "--at", during)
        assert everything and everything == cli_json(repo, "show", "--all", "endpoint", "--at", at)
        endpoint = next(iter(moving_endpoints(calendar.captures)))
        model = cli_json(repo, "show", "endpoint", endpoint, "--at", during)["model_variant_slug"]
        for args in (
            ("price", "endpoint", endpoint, "--json"),
            ("cost", model, "--input", "1000", "--output", "100", "--json"),
        ):
            asked, exact = cli_json(repo, *args, "--at", during), cli_json(repo, *args, "--at", at)
            asked.pop("at", None), exact.pop("at", None)
            assert asked == exact, (args, during)
    since_2100 = cli_json(repo, "changes", "--since", "2100-01-01", "--json")
    assert [group["epoch"] for group in since_2100] == stamps(*reversed(CALENDAR[11:]))
    epochs = git(repo, "log", "--format=%(trailers:key=Sync-Epoch,valueonly)").split()
    assert epochs == stamps(*reversed(CALENDAR))
    endpoint = next(iter(moving_endpoints(calendar.captures)))
    versions = cli_json(repo, "log", "endpoint", endpoint, "--json")
    assert versions and {version["epoch"] for version in versions} <= set(epochs)


def test_the_site_builds_at_2100_and_as_of_the_leap_day(
    calendar: CalendarArchive, tmp_path: Path
) -> None:
    for at, epoch in ((None, CALENDAR[-1]), (hour(2028, 2, 29, 12), CALENDAR[7])):
        report = build_site(calendar.path, tmp_path / f"site-{epoch:%Y}", at=at)
        assert not report.problems and not report.skipped, report.problems
        assert report.epoch == epoch


# --- the far end ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def last_hours(tmp_path_factory: pytest.TempPathFactory, quarter: list[Capture]) -> Path:
    """Return an archive synced at 9999-12-31 22:00 and 23:00, its last possible hours."""
    repo = tmp_path_factory.mktemp("year-9999") / "archive"
    for number, epoch in enumerate((hour(9999, 12, 31, 22), hour(9999, 12, 31, 23))):
        log, _ = sync_ahead_of_the_clock(repo, moved(quarter[number], epoch))
        assert log.commit_id and not log.failures, log.failures
    return repo


def test_the_last_hours_of_9999_read_back_and_a_reader_past_them_stops_in_one_line(
    last_hours: Path, tmp_path: Path
) -> None:
    repo = last_hours
    groups = cli_json(repo, "changes", "--since", "9999-12-31T23:00:00Z", "--json")
    assert [group["epoch"] for group in groups] == ["9999-12-31T23:00:00Z"]
    endpoint = next((repo / "data/endpoint").glob("*.json")).stem
    assert cli_json(repo, "log", "endpoint", endpoint, "--json")
    assert cli(repo, "show", "--all", "model", "--at", "9999-12-31T23:59:59Z").exit_code == 0
    assert export_parquet(repo, tmp_path / "export").rows["changes"] > 0
    # A chart spans an hour past its first point: past the year 9999. One line, exit 3.
    result = cli(repo, "site", "--out", str(tmp_path / "site"), "--no-cache")
    assert result.exit_code == 3
    one_line_refusal(result, "9999")


@pytest.mark.parametrize(
    "args",
    [
        ("sync", "--epoch", "10000-01-01T00:00:00Z"),
        ("sync", "--epoch", "+10000-01-01"),
        ("changes", "--since", "0001-01-01T00:00:00+01:00"),
        ("changes", "--until", "9999-12-31T23:59:59-01:00"),
        ("show", "--all", "model", "--at", "9999-12-31T23:30:00-00:31"),
        ("telemetry", "endpoint", "any", "--since", "0001-01-01T00:59:00+01:00"),
        ("cost", "any/model", "--at", "0001-01-01T00:00+05:00", "--input", "1", "--output", "1"),
    ],
)
def test_a_time_beyond_the_years_1_to_9999_is_refused_in_one_line(
    last_hours: Path, args: tuple[str, ...]
) -> None:
    result = cli(last_hours, *args)
    assert result.exit_code == 2, result.output
    one_line_refusal(result, args[-1] if args[0] != "cost" else args[3])


def redated(source: Path, text: str, target: Path) -> Path:
    """Return a copy of a capture file whose header gives this capture time, as written."""
    with gzip.open(source, "rt") as file:
        lines = file.read().splitlines()
    header = {**json.loads(lines[0]), "capture": text}
    with gzip.open(target, "wt") as file:
        file.write("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    return target


def test_a_capture_dated_before_the_year_1_in_utc_is_refused_in_one_line(tmp_path: Path) -> None:
    path = redated(SMALL_DAILY[0], "0001-01-01T00:30:00+01:00", tmp_path / "early.jsonl.gz")
    result = cli(tmp_path / "archive", "import", str(path))
    assert result.exit_code == 3
    one_line_refusal(result, "early.jsonl.gz", "0001-01-01T00:30:00+01:00")
    assert not (tmp_path / "archive" / "data").exists()


def test_captures_at_minute_59_and_00_fall_in_their_own_hours(
    quarter: list[Capture], tmp_path: Path
) -> None:
    """18:00:00 and 18:59:59.999999 are one hour (the later sync's figures stand), 19:00:00
    the next; imported in any order, by their header times."""
    times = ("2026-07-20T18:59:59.999999+00:00", "2026-07-20T18:00:00+00:00",
             "2026-07-20T19:00:00Z")  # fmt: skip
    paths = [
        redated(SMALL_DAILY[number], text, tmp_path / f"capture-{number}.jsonl.gz")
        for number, text in enumerate(times)
    ]
    repo = tmp_path / "archive"
    result = cli(repo, "import", *map(str, paths))
    assert result.exit_code == 0, result.output
    epochs = git(repo, "log", "--reverse", "--format=%(trailers:key=Sync-Epoch,valueonly)")
    assert epochs.split() == ["2026-07-20T18:00:00Z"] * 2 + ["2026-07-20T19:00:00Z"]
    # The hour's samples are those of its later capture (18:59), one per series.
    for key, figures in moving_endpoints([quarter[0], quarter[2]]).items():
        samples = cli_json(repo, "telemetry", "endpoint", key, "--format", "json")
        assert [sample["epoch"] for sample in samples] == epochs.split()[1:], key
        assert [sample["status_heuristics"] for sample in samples] == figures, key
