"""Hourly syncs across New Year: a series, its time filters and the export's months read
whole across the year's folder boundary (data/telemetry/<kind>/2025/12-31 -> 2026/01-01).

The small captures are synced as four hours from 2025-12-31 22:00 (three distinct days of
figures, then the first again), so every endpoint seen in all four moves every hour.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.export import export_parquet
from archiver.sync import SyncOptions, sync
from archiver.times import format_epoch
from tests.archive_helpers import built_once, capture_entities
from tests.small_captures import small_captures  # noqa: F401 (a fixture)

START = datetime(2025, 12, 31, 22, tzinfo=UTC)
HOURS = 4


def hourly(captures: list[Capture]) -> list[Capture]:
    """Return the capture each of the four hours syncs."""
    return [captures[0], captures[1], captures[2], captures[0]]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]) -> Path:  # noqa: F811
    def build(folder: Path) -> None:
        for hour, capture in enumerate(hourly(small_captures)):
            replay = ReplayTransport(capture)
            epoch = START + timedelta(hours=hour)
            options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch)
            log = sync(folder / "archive", options)
            assert log.commit_id and not log.failures, log.failures

    return built_once(tmp_path_factory, "new-year", build) / "archive"


@pytest.fixture(scope="module")
def moving(small_captures: list[Capture]) -> dict[str, list[Any]]:  # noqa: F811
    """Return {endpoint id: its status_heuristics each hour} for endpoints in every capture
    whose figures differ from one hour to the next, as the captures hold them."""
    hours = [capture_entities(capture).endpoint_objects for capture in hourly(small_captures)]
    common = set.intersection(*(set(endpoints) for endpoints in hours))
    figures = {key: [hour[key].get("status_heuristics") for hour in hours] for key in common}
    chosen = {
        key: values
        for key, values in figures.items()
        if all(values) and all(a != b for a, b in itertools.pairwise(values))
    }
    assert len(chosen) >= 3, "the small captures hold endpoints whose figures move"
    return dict(sorted(chosen.items())[:3])


def telemetry(archive: Path, key: str, *options: str) -> list[dict[str, Any]]:
    """Return `archiver telemetry endpoint KEY --format json` with options, parsed."""
    args = ["telemetry", "endpoint", key, "--repo", str(archive), "--format", "json", *options]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    samples: list[dict[str, Any]] = json.loads(result.output)
    return samples


def test_each_series_reads_whole_across_new_year(
    archive: Path, moving: dict[str, list[Any]]
) -> None:
    assert (archive / "data/telemetry/endpoint/2025/12-31").is_dir()
    assert (archive / "data/telemetry/endpoint/2026/01-01").is_dir()
    epochs = [format_epoch(START + timedelta(hours=hour)) for hour in range(HOURS)]
    for key, figures in moving.items():
        samples = telemetry(archive, key)
        assert [sample["epoch"] for sample in samples] == epochs, key
        assert [sample["status_heuristics"] for sample in samples] == figures, key
        # The two hours either side of midnight, asked for by time.
        around = telemetry(archive, key, "--since", epochs[1], "--until", epochs[2])
        assert [sample["epoch"] for sample in around] == epochs[1:3], key
        assert telemetry(archive, key, "--since", "2026-01-01") == samples[2:], key


def test_the_export_puts_each_hour_in_its_own_years_month(
    archive: Path, moving: dict[str, list[Any]], tmp_path: Path
) -> None:
    export_parquet(archive, tmp_path / "out")
    folder = tmp_path / "out" / "telemetry_endpoint"
    assert sorted(path.name for path in folder.iterdir()) == ["month=2025-12", "month=2026-01"]
    table = ds.dataset(folder, partitioning="hive").to_table().to_pylist()
    for key in moving:
        rows = sorted((row["epoch"], str(row["month"])) for row in table if row["key"] == key)
        hours = [START + timedelta(hours=hour) for hour in range(HOURS)]
        assert [epoch.replace(tzinfo=UTC) for epoch, _ in rows] == hours, key
        assert [month for _, month in rows] == [f"{hour:%Y-%m}" for hour in hours], key
