"""Telemetry format 2: a sync's epoch written once per file, every value read back exactly,
and archives written in format 1 (or half in each) read back as the same series."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from archiver import telemetry as telemetry_store
from archiver.archive.store import Store
from archiver.capture.files import read_capture
from archiver.errors import StoreError
from archiver.telemetry import TelemetryWriter, layout
from archiver.upstream.entities import observe
from tests.test_telemetry_store import fetched_from

# Six hourly syncs across the midnight from a Sunday to a Monday: two days of files, and two
# weeks of the model variants' files (a week a file).
FIRST_HOUR = datetime(2026, 7, 19, 22, tzinfo=UTC)
HOURS = 6
# The sync whose files are still written in format 1 when the archive is upgraded after it.
LAST_FORMAT_1_HOUR = 2


@dataclass
class Hour:
    """One simulated sync: its epoch, its figures and the variants it did not fetch."""

    epoch: datetime
    figures: dict[str, dict[str, Any]]
    unfetched: dict[str, set[str]]


@pytest.fixture(scope="module")
def hours(daily_paths: list[Path]) -> list[Hour]:
    """Return six hours of real figures: the daily captures in turn, with gaps and skips.

    Hour 2 loses every fifth endpoint (a gap each), hour 4 does not fetch half the variants
    (their figures stand) and hour 5 brings the lost endpoints back.
    """
    captured = [observe(fetched_from(read_capture(path))).telemetry for path in daily_paths]
    result: list[Hour] = []
    for index in range(HOURS):
        figures = {
            kind: {key: _decoded(value) for key, value in by_key.items()}
            for kind, by_key in captured[index % len(captured)].items()
        }
        unfetched: dict[str, set[str]] = {}
        if index == 2:
            lost = sorted(figures["endpoint"])[::5]
            figures["endpoint"] = {k: v for k, v in figures["endpoint"].items() if k not in lost}
        if index == 4:
            unfetched["model_variant"] = set(sorted(figures["model_variant"])[::2])
            figures["model_variant"] = {
                k: v
                for k, v in figures["model_variant"].items()
                if k not in unfetched["model_variant"]
            }
        result.append(Hour(FIRST_HOUR + timedelta(hours=index), figures, unfetched))
    return result


def _decoded(figures: Any) -> Any:
    """Return figures as an object (a sync holds endpoint figures as JSON bytes)."""
    return orjson.loads(figures) if isinstance(figures, bytes) else figures


def format_1(data: bytes) -> bytes:
    """Return a telemetry file as format 1 wrote it: every line naming its epoch."""
    head, _, body = data.partition(b"\n")
    rows: list[bytes] = []
    epoch = b""
    for line in body.split(b"\n")[:-1]:
        cell, _, rest = line.partition(b"\t")
        epoch = cell or epoch
        rows.append(epoch + b"\t" + rest + b"\n")
    return head + b"\n" + b"".join(rows)


def synced(repo: Path, hours: list[Hour], format_1_until: int = -1) -> Path:
    """Commit each hour's telemetry (hours up to `format_1_until` as format 1 wrote them:
    every line naming its epoch, every kind's files a day each)."""
    store = Store(repo)
    writer = TelemetryWriter()
    for index, hour in enumerate(hours):
        with pytest.MonkeyPatch.context() as format_1_layout:
            if index <= format_1_until:
                format_1_layout.setattr(layout, "FILE_DAYS", {})
            written = writer.writes(
                hour.figures, hour.epoch, store.tracked(), store.read, hour.unfetched
            )
        assert written.problems == []
        writes = written.writes
        if index <= format_1_until:
            writes = {path: format_1(data) for path, data in writes.items()}
        store.commit(writes, [], f"sync {hour.epoch:%Y-%m-%dT%H}")
    return repo


@pytest.fixture(scope="module")
def archive(hours: list[Hour], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an archive of the six hours written in format 2 throughout."""
    return synced(tmp_path_factory.mktemp("format-2") / "archive", hours)


@pytest.fixture(scope="module")
def mixed(hours: list[Hour], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the same hours with the first three written in format 1, then format 2 on."""
    return synced(tmp_path_factory.mktemp("mixed") / "archive", hours, LAST_FORMAT_1_HOUR)


def expected_series(hours: list[Hour], kind: str) -> dict[str, list[dict[str, Any]]]:
    """Return {key: samples} as the readers should give them: one per change, gaps empty."""
    series: dict[str, list[dict[str, Any]]] = {}
    now: dict[str, dict[str, Any]] = {}
    for hour in hours:
        figures = hour.figures.get(kind, {})
        standing = hour.unfetched.get(kind, set())
        for key in sorted(set(now) | set(figures)):
            current = figures.get(key, now.get(key, {}) if key in standing else {})
            if current != now.get(key, {}) or key not in series:
                series.setdefault(key, []).append({"epoch": iso(hour.epoch), **current})
            now[key] = current
    return series


def iso(moment: datetime) -> str:
    """Return a time as the readers print epochs."""
    return f"{moment:%Y-%m-%dT%H:%M:%SZ}"


def read_all(repo: Path, kind: str) -> dict[str, list[dict[str, Any]]]:
    """Return every key's samples of one kind, as `iter_samples` replays them."""
    result: dict[str, list[dict[str, Any]]] = {}
    for key, sample in telemetry_store.iter_samples(repo, kind):
        result.setdefault(key, []).append(sample)
    return result


def telemetry_files(repo: Path) -> Iterator[Path]:
    """Yield the archive's telemetry day files (uptime has none here)."""
    yield from sorted((repo / "data" / "telemetry").rglob("*.tsv"))


# --- format 2 ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["endpoint", "model", "model_variant"])
def test_every_value_of_every_key_reads_back_exactly(
    archive: Path, hours: list[Hour], kind: str
) -> None:
    expected = expected_series(hours, kind)
    assert read_all(archive, kind) == expected
    # Each key found on its own (the search that skips other keys' lines) gives the same.
    for key in sorted(expected)[::9]:
        assert telemetry_store.series(archive, kind, key) == expected[key]


def test_each_file_names_the_epoch_of_each_sync_once(archive: Path, hours: list[Hour]) -> None:
    epochs = {f'"{iso(hour.epoch)}"' for hour in hours}
    named = 0
    for path in telemetry_files(archive):
        rows = path.read_text().splitlines()[1:]
        given = [row.split("\t", 1)[0] for row in rows if not row.startswith("\t")]
        assert given == sorted(set(given)) and set(given) <= epochs, path
        assert rows[0].split("\t", 1)[0] in epochs
        named += len(given)
    lines = sum(len(path.read_text().splitlines()) - 1 for path in telemetry_files(archive))
    # Most lines leave the epoch to the line above: one sync writes many rows to a file.
    assert named * 10 < lines


def test_the_chart_reader_gives_the_chart_figures_of_every_sample(
    archive: Path, hours: list[Hour]
) -> None:
    recent = telemetry_store.recent_endpoint_series(archive, days=2)
    expected = expected_series(hours, "endpoint")
    for key in sorted(expected)[::7]:
        charted = [_chart_figures(sample) for sample in expected[key]]
        deduplicated = [s for n, s in enumerate(charted) if n == 0 or _same(s, charted[n - 1])]
        assert recent[key] == deduplicated, key


def _chart_figures(sample: dict[str, Any]) -> dict[str, Any]:
    """Return a sample cut to the figures the site charts (as CHART_FIELDS names them)."""
    cut: dict[str, Any] = {"epoch": sample["epoch"]}
    for name in telemetry_store.CHART_FIELDS:
        top, _, leaf = name.partition(".")
        value = sample.get(top)
        if not leaf and top in sample:
            cut[top] = value
        elif leaf and isinstance(value, dict) and leaf in value:
            cut.setdefault(top, {})[leaf] = value[leaf]
    return cut


def _same(sample: dict[str, Any], before: dict[str, Any]) -> bool:
    """Tell whether a chart sample's figures differ from the one before (kept if so)."""
    return {k: v for k, v in sample.items() if k != "epoch"} != {
        k: v for k, v in before.items() if k != "epoch"
    }


def test_arrival_order_never_changes_a_byte(hours: list[Hour], tmp_path: Path) -> None:
    reordered = [
        Hour(
            hour.epoch,
            {
                kind: dict(reversed(by_key.items()))
                for kind, by_key in reversed(hour.figures.items())
            },
            hour.unfetched,
        )
        for hour in hours[:3]
    ]
    first = synced(tmp_path / "a", hours[:3])
    second = synced(tmp_path / "b", reordered)
    assert [p.read_bytes() for p in telemetry_files(first)] == [
        p.read_bytes() for p in telemetry_files(second)
    ]


def test_a_file_starting_without_an_epoch_is_refused_by_name(archive: Path, tmp_path: Path) -> None:
    path = next(telemetry_files(archive))
    damaged = tmp_path / path.relative_to(archive)
    damaged.parent.mkdir(parents=True)
    head, _, body = path.read_bytes().partition(b"\n")
    damaged.write_bytes(head + b"\n" + body.partition(b"\t")[2].join([b"\t", b""]))
    kind = damaged.relative_to(tmp_path).parts[2]
    with pytest.raises(StoreError, match=damaged.name):
        list(telemetry_store.iter_samples(tmp_path, kind))
    key = orjson.loads(body.split(b"\t")[1])
    with pytest.raises(StoreError, match=damaged.name):
        telemetry_store.series(tmp_path, kind, key)


# --- older layouts ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["endpoint", "model", "model_variant"])
def test_an_archive_half_in_format_1_reads_back_as_one_series(
    mixed: Path, archive: Path, hours: list[Hour], kind: str
) -> None:
    assert read_all(mixed, kind) == expected_series(hours, kind) == read_all(archive, kind)
    assert telemetry_store.recent_endpoint_series(mixed, 2) == (
        telemetry_store.recent_endpoint_series(archive, 2)
    )


def test_a_day_begun_in_format_1_is_continued_in_format_2(
    mixed: Path, archive: Path, hours: list[Hour]
) -> None:
    upgrade = hours[LAST_FORMAT_1_HOUR].epoch
    folder = f"data/telemetry/endpoint/{upgrade:%Y/%m-%d}"
    paths = sorted((mixed / folder).glob("*.tsv"))
    assert paths
    for path in paths:
        rows = path.read_text().splitlines()[1:]
        named = [row.split("\t", 1)[0] for row in rows if not row.startswith("\t")]
        # The day's first sync (format 1) names its epoch on each of its rows...
        assert named.count(f'"{iso(upgrade)}"') > 1
        # ...the later ones (format 2) once each, after it.
        later = [epoch for epoch in named if epoch != f'"{iso(upgrade)}"']
        assert later == sorted(set(later)) and later
        assert any(row.startswith("\t") for row in rows)
        # Past the upgrade, the rows are the ones format 2 wrote from the start.
        same = archive / path.relative_to(mixed)
        assert format_1(path.read_bytes()) == format_1(same.read_bytes())


def test_variants_files_hold_a_week_and_endpoints_a_day(archive: Path, mixed: Path) -> None:
    def folders(repo: Path, kind: str) -> list[str]:
        root = repo / "data" / "telemetry" / kind
        return sorted(f"{p.parent.name}-{p.name}" for p in root.glob("*/*"))

    assert folders(archive, "endpoint") == ["2026-07-19", "2026-07-20"]
    assert folders(archive, "model_variant") == ["2026-07-13", "2026-07-20"]
    # Format 1 wrote a folder a day; format 2 goes on in the latest one of the week.
    assert folders(mixed, "model_variant") == ["2026-07-19", "2026-07-20"]


def test_a_week_begun_in_daily_folders_goes_on_in_the_latest_one() -> None:
    files = layout.TrackedFiles(
        {
            "data/telemetry/model_variant/2026/07-20/a.tsv": "1",
            "data/telemetry/model_variant/2026/07-21/a.tsv": "2",
            "data/telemetry/endpoint/2026/07-21/a.tsv": "3",
        }
    )
    assert files.folder_for("model_variant", date(2026, 7, 23)) == date(2026, 7, 21)
    assert files.folder_for("model_variant", date(2026, 7, 27)) == date(2026, 7, 27)
    assert files.folder_for("endpoint", date(2026, 7, 23)) == date(2026, 7, 23)


def test_the_archive_readme_documents_this_format_version() -> None:
    readme = (Path(__file__).resolve().parents[1] / "archiver" / "archive_readme.md").read_text()
    assert f"The telemetry format is **{telemetry_store.FORMAT}**" in readme
    assert all(f"format {n}" in readme for n in range(1, telemetry_store.FORMAT + 1))


# --- the growth bench ---------------------------------------------------------------------


def test_growth_bench_includes_uptime_and_splits_growth_by_family(
    daily_paths: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(__file__).resolve().parents[1] / "bench" / "growth_bench.py"
    spec = importlib.util.spec_from_file_location("growth_bench", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up while being defined.
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    hours = ["--hours", "3", "--no-usual", "--capture", str(daily_paths[-1])]
    assert bench.main([*hours, "--keep", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| ours (entity files + telemetry series) |" in out and "sync problems" not in out
    families = bench.family_growth(tmp_path / "ours", "refs/tags/hour-1")
    # The hours after the first: endpoint figures every hour, uptime windows of the due.
    assert {"data/telemetry/endpoint", "data/telemetry/endpoint_uptime", "commits"} <= set(families)
    assert all(size > 0 for size in families.values())
