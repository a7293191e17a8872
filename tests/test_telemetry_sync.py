"""Telemetry through the real sync path: one sample per sync, equal to what upstream sent."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture, read_capture
from archiver.capture.replay import Fault, ReplayServer
from archiver.cli import main
from archiver.times import format_epoch, hour_epoch
from tests.archive_helpers import capture_entities, commit_count, git, keys_at


@pytest.fixture(scope="module")
def captures(daily_paths: list[Path]) -> list[Capture]:
    """Return the three daily captures."""
    return [read_capture(path) for path in daily_paths]


@pytest.fixture(scope="module")
def archive(daily_imported_archive: Path) -> Path:
    """Return the session's archive of the three daily captures, imported (read only)."""
    return daily_imported_archive


def raw_stats(capture: Capture) -> dict[str, Any]:
    """Return {endpointId: stats} exactly as the capture's stats/endpoint bodies hold them."""
    found: dict[str, Any] = {}
    for response in capture.responses:
        if response.url.startswith("/api/frontend/v1/stats/endpoint?"):
            for endpoint in response.body["data"]:
                if "stats" in endpoint:
                    found.setdefault(endpoint["id"], endpoint["stats"])
    return found


def test_three_samples_per_endpoint_equal_to_the_captures(
    archive: Path, captures: list[Capture]
) -> None:
    per_capture = [raw_stats(c) for c in captures]
    everywhere = sorted(set.intersection(*(set(s) for s in per_capture)))
    # Not vacuous: most endpoints of the newest capture carry stats in all three.
    assert len(everywhere) > len(capture_entities(captures[-1]).endpoints) // 2
    epochs = [format_epoch(hour_epoch(c.time)) for c in captures]
    for endpoint_id in everywhere[::10]:
        result = CliRunner().invoke(
            main, ["telemetry", "--repo", str(archive), "endpoint", endpoint_id, "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        samples = orjson.loads(result.output)
        assert [s["epoch"] for s in samples] == epochs, endpoint_id
        for sample, stats in zip(samples, per_capture, strict=True):
            assert sample["stats"] == stats[endpoint_id], endpoint_id


def test_csv_has_one_row_per_sample(archive: Path, captures: list[Capture]) -> None:
    endpoint_id = sorted(raw_stats(captures[-1]))[0]
    result = CliRunner().invoke(
        main, ["telemetry", "--repo", str(archive), "endpoint", endpoint_id]
    )
    lines = result.output.splitlines()
    assert lines[0].startswith("epoch,")
    assert "stats.p50_latency" in lines[0]
    assert 2 <= len(lines) - 1 <= 3


def test_a_resync_of_the_same_capture_writes_no_telemetry(
    archive: Path, captures: list[Capture], tmp_path: Path
) -> None:
    repo = Path(shutil.copytree(archive, tmp_path / "copy"))
    with ReplayServer(captures[-1]) as server:
        result = CliRunner().invoke(
            main,
            [
                "sync",
                "--repo",
                str(repo),
                "--base-url",
                server.base_url,
                "--epoch",
                format_epoch(hour_epoch(captures[-1].time)),
            ],
        )
    assert result.exit_code == 0, result.output
    assert "telemetry 0 samples" in result.output
    assert commit_count(repo) == 3


def test_failing_telemetry_never_stops_the_entity_sync(
    captures: list[Capture], tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    faults = [Fault("/api/frontend/v1/stats/effective-pricing*", status=500)]
    with ReplayServer(captures[0], faults=faults) as server:
        result = CliRunner().invoke(
            main, ["sync", "--repo", str(repo), "--base-url", server.base_url, "--retries", "0"]
        )
    assert result.exit_code == 1
    assert "effective pricing of" in result.stderr and "HTTP 500" in result.stderr
    assert keys_at(repo)["endpoint"] == capture_entities(captures[0]).endpoints
    assert "data/telemetry/endpoint/" in git(repo, "ls-tree", "-r", "--name-only", "HEAD")
