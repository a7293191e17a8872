"""The history benchmark runs: a tiny synthetic year, so the script cannot rot unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "history_bench.py"
# A guard against a hang, not a time limit: a busy shared machine may take many times longer.
HANG_GUARD_SECONDS = 30 * 60


def test_a_two_day_history_benchmark_runs_and_reports_every_figure(daily_paths: list[Path]) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--hours",
            "48",
            "--repeat",
            "1",
            "--capture",
            str(daily_paths[-1]),
        ],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    report = done.stdout
    assert "synthetic year: 48 hourly commits, 1,300 endpoints" in report
    for row in (
        "index: build from scratch",
        "log: a typical endpoint (",
        "log: the busiest endpoint, git with commit-graph",
        "changes --since one day (25 syncs",  # both ends inclusive
        "show --at mid-year --all endpoint",
        "index: update after one new commit",
    ):
        assert row in report
    # The benchmark itself checks versions() against git log and fails loudly if they differ.
    assert "differ from git log" not in done.stderr
