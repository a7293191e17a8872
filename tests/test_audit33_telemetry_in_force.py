"""`archiver telemetry --since` after a key's last sample (audit 33).

Found and fixed: a sample is stored when a figure changes and holds until the next one,
and `--since` lists the samples recorded from then on (as `archiver changes` lists changes).
Asked from after an endpoint's last sample, it said "no telemetry for endpoint ...", though
that sample still held: a reader took the endpoint for one without figures. It now says no
telemetry was recorded from then and names the sample that still holds; a key without
telemetry still reads "no telemetry for ...".
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.telemetry import endpoint_series
from archiver.telemetry.reader import sample_in_force
from archiver.times import format_epoch, hour_epoch
from tests.archive_helpers import git
from tests.small_captures import copy_archive, small_captures, sync_small
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


def _endpoint(repo: Path) -> str:
    """Return an endpoint of the archive that has telemetry."""
    for path in sorted(git(repo, "ls-files", "data/endpoint").split()):
        key = path.removeprefix("data/endpoint/").removesuffix(".json")
        if endpoint_series(repo, key):
            return key
    raise AssertionError("no endpoint with telemetry in the archive")


def _telemetry(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["telemetry", "--repo", str(repo), *args])
    return result.exit_code, result.output


def test_a_since_after_the_last_sample_names_the_sample_that_holds(
    base: Path, cut: list[Capture]
) -> None:
    key = _endpoint(base)
    [sample] = endpoint_series(base, key)
    epoch = sample["epoch"]
    assert epoch == format_epoch(hour_epoch(cut[0].time))
    later = format_epoch(cut[0].time + timedelta(hours=5))
    code, output = _telemetry(base, "endpoint", key, "--since", later)
    assert code == 1
    assert "no telemetry recorded" in output
    assert f"its sample of {epoch} still holds" in output and f"--since {epoch}" in output
    # As it says, asked from that sample's epoch, the series shows it.
    code, output = _telemetry(base, "endpoint", key, "--since", epoch, "--format", "json")
    assert code == 0 and epoch in output
    # A key without any telemetry is still told as such.
    code, output = _telemetry(base, "endpoint", "no-such-endpoint", "--since", later)
    assert code == 1 and "no telemetry for endpoint 'no-such-endpoint'" in output


def test_the_sample_in_force_is_read_back_across_days(
    base: Path, cut: list[Capture], tmp_path: Path
) -> None:
    repo = copy_archive(base, tmp_path / "archive")
    assert sync_small(repo, cut[1]).commit_id
    key = _endpoint(repo)
    first, second = (format_epoch(hour_epoch(capture.time)) for capture in cut[:2])
    samples = endpoint_series(repo, key)
    assert [sample["epoch"] for sample in samples] == [first, second]
    # The next day's file begins after this hour: the sample in force is the first day's.
    second_hour = hour_epoch(cut[1].time)
    assert sample_in_force(repo, "endpoint", key, second_hour - timedelta(hours=2)) == samples[0]
    assert sample_in_force(repo, "endpoint", key, second_hour) == samples[0]
    assert sample_in_force(repo, "endpoint", key, second_hour + timedelta(hours=1)) == samples[1]
    assert sample_in_force(repo, "endpoint", key, hour_epoch(cut[0].time)) is None


@pytest.mark.parametrize("when", ["2026-07-16", "2026-07-17T18:00:00Z"])
def test_nothing_holds_before_the_first_sample(base: Path, when: str) -> None:
    assert sample_in_force(base, "endpoint", _endpoint(base), when) is None
