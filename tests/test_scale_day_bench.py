"""The day bench runs at a tiny size, so the through-the-day figures cannot rot unnoticed."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pygit2

from tests.small_captures import SMALL_DAILY

DAY_BENCH = Path(__file__).resolve().parents[1] / "bench" / "day_bench.py"


def test_day_bench_reports_every_hour_and_keeps_a_real_archive(tmp_path: Path) -> None:
    keep = tmp_path / "day"
    command = [sys.executable, str(DAY_BENCH), "--endpoints", "300", "--hours", "2"]
    # The committed small capture as the template: the bench's default, the full one in
    # ../shared, cost each sync seconds of parsing its catalog for the same code paths.
    command += ["--capture", str(SMALL_DAILY[0])]
    # A guard against a hang, never a time limit.
    done = subprocess.run(
        [*command, "--keep", str(keep)], capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    row = r"^\| (\d\d) \| (\d+) \| ([\d.]+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \|$"
    rows = re.findall(row, done.stdout, re.M)
    assert [hour for hour, *_ in rows] == ["00", "01"]
    assert all(float(cpu) > 0 and int(peak) > 0 for _, _, cpu, peak, *_ in rows)
    # The second hour moved every endpoint's figures: each commit wrote telemetry.
    repo = pygit2.Repository(str(keep / "archive"))
    commits = list(repo.walk(repo.head.target))
    assert len(commits) == 2
    for commit, parent in itertools.pairwise(commits):
        paths = [delta.new_file.path for delta in repo.diff(parent, commit).deltas]
        assert any(path.startswith("data/telemetry/endpoint/") for path in paths), paths
