"""A failed telemetry fetch leaves the series as they were: no gap, no half sample.

A failed endpoint listing wrote a gap (`-`) into the series of every endpoint it holds, and
the next hour restated their figures: two changes for an hour of HTTP 500. A failed
model-activity fetch kept the variant's effective pricing alone, so the series read
"model activity gone" until the variant's next slot, twelve hours later.

Three hours of one UTC day: the first small capture (the base archive), then the second
served over HTTP by the replay server with one endpoint listing and every model-activity
request failing, then the third, clean. The same hours fault-free give what each series
must read: every key the faults missed exactly as there, every key they hit as it was
before the failed hour, then as the clean run has it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.replay import Fault, ReplayServer
from archiver.cli import main
from archiver.telemetry import Sample, iter_samples
from archiver.times import format_epoch
from tests.small_captures import copy_archive, small_archive, small_base, small_captures, sync_small

__all__ = ["small_archive", "small_base", "small_captures"]

STATS = "/api/frontend/v1/stats/endpoint"
ACTIVITY = "/api/frontend/v1/stats/model-activity"
KINDS = ("endpoint", "model_variant")
Series = dict[tuple[str, str], list[Sample]]


@dataclass(frozen=True)
class Hours:
    """The three syncs' captures, dated an hour apart on the base archive's day."""

    captures: list[Capture]

    @property
    def epochs(self) -> list[str]:
        """Return each sync's epoch as the series spell it."""
        return [format_epoch(capture.time.replace(minute=0, second=0)) for capture in self.captures]


@dataclass(frozen=True)
class Runs:
    """The series after a clean run and after the faulty one, and what the faults hit."""

    clean: Series
    faulty: Series
    listing_endpoints: set[str]
    failed_variants: set[str]
    failed_lines: list[str]
    epochs: list[str]


def all_series(repo: Path) -> Series:
    """Return every telemetry series of the kinds a listing or a variant source feeds."""
    found: Series = {}
    for kind in KINDS:
        for key, sample in iter_samples(repo, kind):
            found.setdefault((kind, key), []).append(sample)
    return found


def state_at(series: list[Sample], epoch: str) -> dict[str, Any] | None:
    """Return a series' figures in force at an epoch (None: none yet; {}: a gap)."""
    state = None
    for sample in series:
        if sample["epoch"] <= epoch:
            state = {name: value for name, value in sample.items() if name != "epoch"}
    return state


@pytest.fixture(scope="module")
def hours(small_captures: list[Capture]) -> Hours:
    """Return the three small captures as three consecutive hours of the first one's day."""
    first = small_captures[0].time
    return Hours(
        [
            dataclasses.replace(capture, time=first + timedelta(hours=n))
            for n, capture in enumerate(small_captures)
        ]
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, small_base: Path, hours: Hours) -> Runs:
    """Sync the second and third hour cleanly, and with the faults over HTTP."""
    root = tmp_path_factory.mktemp("held")
    clean = copy_archive(small_base, root / "clean")
    for capture in hours.captures[1:]:
        assert not sync_small(clean, capture).failures
    faulty = copy_archive(small_base, root / "faulty")
    second = hours.captures[1]
    listing = next(r for r in second.responses if r.url.startswith(STATS + "?") and r.body["data"])
    faults = [Fault(listing.url, status=500), Fault(ACTIVITY, status=500)]
    with ReplayServer(second, faults=faults) as server:
        result = _sync_cli(faulty, server.base_url, second.time)
        asked = [url for url in server.requests if url.startswith(ACTIVITY + "?")]
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    sync_small(faulty, hours.captures[2])
    failed = [line for line in result.stderr.splitlines() if "FAILED:" in line]
    # "FAILED: model activity of <modelKey>: HTTP 500 ..." (a modelKey may hold a colon)
    variants = {line.split("activity of ", 1)[1].partition(": HTTP 500")[0] for line in failed[1:]}
    assert asked and len(variants) == len(asked), failed  # every due variant failed, once
    return Runs(
        all_series(clean),
        all_series(faulty),
        {endpoint["id"] for endpoint in listing.body["data"]},
        variants,
        failed,
        hours.epochs,
    )


def _sync_cli(repo: Path, base_url: str, epoch: datetime) -> Any:
    """Run `archiver sync` in this process, no retries, at an epoch."""
    command = ["sync", "--repo", str(repo), "--base-url", base_url, "--retries", "0"]
    return CliRunner().invoke(main, [*command, "--epoch", format_epoch(epoch)])


def _hit(runs: Runs) -> set[tuple[str, str]]:
    """Return the series the faults hit."""
    return {("endpoint", key) for key in runs.listing_endpoints} | {
        ("model_variant", key) for key in runs.failed_variants
    }


def test_the_failures_are_reported_one_line_each(runs: Runs) -> None:
    assert runs.failed_lines[0].startswith("  FAILED: endpoints of ")
    assert len(runs.failed_lines) == 1 + len(runs.failed_variants)


def test_a_failed_fetch_writes_no_sample_into_the_series_it_feeds(runs: Runs) -> None:
    before, failed_hour, after = runs.epochs
    for series_key in sorted(_hit(runs)):
        # A variant new that hour is due at once; one with no figures has no series at all.
        faulty, clean = runs.faulty.get(series_key, []), runs.clean.get(series_key, [])
        assert failed_hour not in [sample["epoch"] for sample in faulty], series_key
        # The hour that failed reads as the hour before; the next one as a clean run has it.
        assert state_at(faulty, failed_hour) == state_at(clean, before), series_key
        assert state_at(faulty, after) in (state_at(clean, after), state_at(clean, before))


def test_an_endpoint_listing_that_failed_once_reads_as_clean_the_next_hour(runs: Runs) -> None:
    after = runs.epochs[2]
    for endpoint_id in sorted(runs.listing_endpoints):
        series_key = ("endpoint", endpoint_id)
        assert state_at(runs.faulty[series_key], after) == state_at(runs.clean[series_key], after)


def test_the_series_no_fault_hit_are_exactly_as_in_a_clean_run(runs: Runs) -> None:
    untouched = (runs.clean.keys() | runs.faulty.keys()) - _hit(runs)
    assert untouched
    assert {k: runs.faulty.get(k) for k in untouched} == {k: runs.clean.get(k) for k in untouched}
