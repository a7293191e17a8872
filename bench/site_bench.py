"""Static site build: time and size for the archive of all shared captures, and for a year.

    python bench/site_bench.py                  # both, a few minutes
    python bench/site_bench.py --hours 720      # a shorter synthetic history
    python bench/site_bench.py --skip-year      # the real archive only
    python bench/site_bench.py --skip-year --captures tests/captures   # the small ones

1. The real archive: every capture under ../shared/openrouter/captures (v1-models, then
   daily) imported with `archiver import`, then `build_site` run twice (the first run also
   builds the history index inside .git; the second is the hourly rebuild's case).
2. A synthetic year: bench/history_bench.py's 8,760 hourly commits (1,300 endpoints, ~0.3%
   changing per hour), then `build_site` on it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_bench import _newest_daily_capture, build_year, template_files

from archiver.backfill import import_captures
from archiver.site import SiteReport, build_site

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT.parent / "shared" / "openrouter" / "captures"
AIM_SECONDS = 30.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=8760, help="synthetic hours (default 8760)")
    parser.add_argument("--skip-year", action="store_true", help="only the real archive")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--captures", type=Path, default=CAPTURES, help=f"captures folder (default {CAPTURES})"
    )
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="site-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        lines = _real_archive(work, args.captures)
        if not args.skip_year:
            lines += _year(work, args.hours)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))
    return 0


def _real_archive(work: Path, folder: Path) -> list[str]:
    """Import every capture under folder (v1-models, then daily) and build its site twice."""
    captures = sorted((folder / "v1-models").glob("*.jsonl.gz"))
    captures += sorted((folder / "daily").glob("*.jsonl.gz"))
    if not captures:
        sys.exit(f"no captures under {folder}")
    repo = work / "archive"
    started = time.perf_counter()
    import_captures(repo, captures)
    imported = time.perf_counter() - started
    cold = _build(repo, work / "site")
    warm = _build(repo, work / "site")
    return [
        f"real archive: {len(captures)} captures imported in {imported:.0f}s",
        _row("  site, first build (history index built too)", cold),
        _row("  site, rebuild", warm),
    ]


def _year(work: Path, hours: int) -> list[str]:
    """Build the synthetic year and its site."""
    templates = template_files(_newest_daily_capture(), work / "template")
    year = build_year(work / "year.git", templates, hours, 1300, 0.003)
    changed = sum(year.changes.values())
    cold = _build(year.path, work / "year-site")
    warm = _build(year.path, work / "year-site")
    return [
        f"synthetic history: {hours} hourly commits, {changed} endpoint changes, "
        f"built in {year.seconds:.0f}s",
        _row("  site, first build (history index built too)", cold),
        _row("  site, rebuild", warm),
        f"  aim: a full build under {AIM_SECONDS:.0f}s of CPU: "
        f"{'met' if warm.cpu < AIM_SECONDS else 'MISSED'}",
    ]


@dataclass
class _Built:
    """A build's report and the CPU time it took (wall time suffers from other jobs)."""

    report: SiteReport
    cpu: float


def _build(repo: Path, out: Path) -> _Built:
    started = time.process_time()
    report = build_site(repo, out)
    return _Built(report, time.process_time() - started)


def _row(label: str, built: _Built) -> str:
    report = built.report
    return (
        f"{label}: {report.seconds:.1f}s wall, {built.cpu:.1f}s CPU, {report.pages} pages, "
        f"{report.files} files, {report.bytes / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    raise SystemExit(main())
