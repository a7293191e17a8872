"""The benchmark suite runs end to end at tiny sizes, so no bench can rot unnoticed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "bench" / "run.py"
# The benches read the full captures beside the project, not the small ones under tests/.
SHARED_DAILY = RUN.parents[2] / "shared" / "openrouter" / "captures" / "daily"
HANG_GUARD_SECONDS = 30 * 60
SECTIONS = (
    "## Machine",
    "## Sync, local cost (issue 7.1)",
    "## Sync at scale (issue 7.2)",
    "## Fetch (issue 7.3)",
    "## History (issues 4, 7.4)",
    "## Telemetry storage (issue 3)",
    "## Static site (issues 5, 7.4)",
    "## Growth (issue 7.5)",
    "## Aims",
)


def test_the_quick_suite_reports_every_bench_and_every_aim(
    daily_paths: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "RESULTS.md"
    # Only a guard against a hang, never a time limit: on a busy shared machine the quick
    # suite may take several times its idle time and still be right. Time belongs in bench/.
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = out.read_text()
    positions = [results.find(section) for section in SECTIONS]
    assert -1 not in positions, [s for s, p in zip(SECTIONS, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    machine = results[positions[0] : positions[1]]
    for item in ("- CPU:", "cores (`nproc`)", "- memory:", "pygit2", "libgit2", "- date:"):
        assert item in machine
    # Each bench's own table made it in, not just its heading.
    for figure in (
        "| no-change sync |",
        "| ours |",
        "| full sync | 8 |",
        "log: a typical endpoint (",
        "packed / xz",
        "site, rebuild:",
        "usual / ours after a year:",
    ):
        assert figure in results
    aims = results[positions[-1] :]
    issues = set(re.findall(r"^\| ([\d.]+) \|", aims, re.M))
    assert issues >= {"7.1", "7.2", "7.3", "4", "3", "7.5", "7"}
    assert "failed" not in aims
    # The suite's own time is reported (met or missed, whatever the load); never asserted.
    suite = r"^\| 7 \| the whole suite \(--quick\) \| [\d.]+ min \| < 10 min \|"
    assert re.search(suite, aims, re.M)
