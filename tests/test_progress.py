"""The fetch progress counts failures as the sync's summary does.

A source upstream does not offer (an optional one answering 404: the uptime windows, the
documented listings, before they existed) is "not offered" in the sync log, not a failure;
the progress line counted it as one, so every healthy hourly run logged "(12 failed)".
The command line in-process against the replay server serving a real small capture.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.faults import Fault
from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from tests.small_captures import small_captures

__all__ = ["small_captures"]

PROVIDERS = "/api/v1/providers"


@pytest.mark.parametrize("broken", [0, 1], ids=["healthy", "one-source-failing"])
def test_progress_counts_failed_requests_not_sources_not_offered(
    small_captures: list[Capture], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: int
) -> None:
    monkeypatch.setenv("CI", "true")  # The plain progress line, as the hourly job logs it.
    faults = [Fault(PROVIDERS, status=500)] if broken else []
    with ReplayServer(small_captures[0], faults=faults) as server:
        command = ["sync", "--repo", str(tmp_path / "archive"), "--base-url", server.base_url]
        result = CliRunner().invoke(main, [*command, "--retries", "0"])
    assert result.exit_code in (0, 1), result.output
    assert "not offered (HTTP 404)" in result.output  # The capture lacks optional sources.
    progress = re.findall(r"fetched (\d+)/(\d+) \((\d+) failed\)", result.stderr)
    done, total, failed = map(int, progress[-1])
    assert done == total and failed == broken
