"""The hourly site job's own work at a small and a large history: today's against incremental.

    python bench/site_job_bench.py                      # 1 and 5 years: long (see RESULTS)
    python bench/site_job_bench.py --years 0.25 1       # a quicker pair

One synthetic history (bench/history_bench.py's builder: ~1,300 endpoints, ~0.3% changing
per hour, one commit an hour) is written once, as long as the largest size; each size is
its prefix (a branch at that hour). For each size, the job as it ran before issue 15 and as
it runs now, each step timed:

- before: a full clone (every blob of history), then `build_site` reading all history;
- now, as .github/workflows/sync.yml runs it: the previous hour's run leaves its cache (a
  shallow blob-less clone at the previous commit, built without a cache: it fetches the
  whole history and reads it all, fetching every blob it needs in one request; timed too,
  as the cost of a cache miss); then the hour's run: a shallow blob-less clone (`--depth 1
  --filter=blob:none`), the cache folder copied in (as actions/cache restores it), and the
  incremental build, which deepens the clone to the cached commit and reads one new commit.

Not timed: installing Python and the archiver, the cache's upload and download (it is
compressed by actions/cache; its size is printed), the Pages upload (the whole site every
time: Pages takes no partial upload). Times are CPU seconds (the clones' git processes
included): this machine's other jobs make wall times meaningless; a clone from GitHub adds
the transfer of the sizes printed.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_bench import _newest_daily_capture, build_year, template_files

from archiver.history.index import INDEX_FILE
from archiver.site import SiteReport, build_site

HOURS_PER_YEAR = 8760
AIM_RATIO = 1.5
T = TypeVar("T")


@dataclass
class Job:
    """One size's timings (seconds) and sizes (bytes)."""

    hours: int
    full_clone: float = 0.0
    full_build: float = 0.0
    partial_clone: float = 0.0
    restore: float = 0.0
    incremental_build: float = 0.0
    cache_miss_build: float = 0.0
    cache_bytes: int = 0
    full_clone_bytes: int = 0
    partial_clone_bytes: int = 0
    commits_read: int = 0
    history_note: str = ""
    # Wall seconds of each timed step, by the name of its CPU field.
    wall: dict[str, float] = field(default_factory=dict)

    @property
    def before(self) -> float:
        return self.full_clone + self.full_build

    @property
    def now(self) -> float:
        return self.partial_clone + self.restore + self.incremental_build

    def walls(self, *steps: str) -> float:
        return sum(self.wall.get(step, 0.0) for step in steps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, nargs=2, default=[1.0, 5.0], metavar="Y")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    sizes = sorted(max(2, round(years * HOURS_PER_YEAR)) for years in args.years)
    work = args.keep or Path(tempfile.mkdtemp(prefix="site-job-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        source, built = _history(work, sizes[-1])
        jobs = [_measure(work, source, hours) for hours in sizes]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(_report(jobs, built))
    return 0


def _history(work: Path, hours: int) -> tuple[Path, str]:
    """Write the synthetic history and let clones filter and fetch blobs by id."""
    templates = template_files(_newest_daily_capture(), work / "template")
    year = build_year(work / "source.git", templates, hours, 1300, 0.003)
    for name, value in (
        ("uploadpack.allowFilter", "true"),
        ("uploadpack.allowAnySHA1InWant", "true"),
    ):
        _git(year.path, "config", name, value)
    changed = sum(year.changes.values())
    return (
        year.path,
        f"{hours} hourly commits, {changed} endpoint changes, written in {year.seconds:.0f}s",
    )


def _measure(work: Path, source: Path, hours: int) -> Job:
    """Time the job before and now at a history of `hours` commits."""
    job = Job(hours)
    chain = _git(source, "rev-list", "--first-parent", "--reverse", "main").split()
    _git(source, "update-ref", f"refs/heads/h{hours}", chain[hours - 1])
    _git(source, "update-ref", f"refs/heads/h{hours}-previous", chain[hours - 2])
    here = work / f"h{hours}"
    shutil.rmtree(here, ignore_errors=True)
    # Before: every blob of history, and a build that reads all of it.
    job.full_clone = _timed(
        job, "full_clone", lambda: _clone(source, here / "full", f"h{hours}", partial=False)
    )
    job.full_build = _timed(
        job, "full_build", lambda: build_site(here / "full", here / "site-full")
    )
    job.full_clone_bytes = _size(here / "full" / ".git")
    # The previous hour's run, whose cache this hour's run restores.
    _clone(source, here / "previous", f"h{hours}-previous", partial=True)
    # Its cache miss fetched the whole history (timed with the build).
    job.cache_miss_build = _timed(
        job,
        "cache_miss_build",
        lambda: build_site(
            here / "previous", here / "site-previous", cache=_cache(here / "previous")
        ),
    )
    # Now: a shallow blob-less clone, the cache restored, one new commit fetched and read.
    job.partial_clone = _timed(
        job, "partial_clone", lambda: _clone(source, here / "now", f"h{hours}", partial=True)
    )
    job.partial_clone_bytes = _size(here / "now" / ".git")
    cached = here / "previous" / ".git" / INDEX_FILE.parent
    job.cache_bytes = _size(cached)
    job.restore = _timed(
        job, "restore", lambda: shutil.copytree(cached, here / "now" / ".git" / INDEX_FILE.parent)
    )
    report: SiteReport | None = None

    def incremental() -> None:
        nonlocal report
        report = build_site(here / "now", here / "site-now", cache=_cache(here / "now"))

    job.incremental_build = _timed(job, "incremental_build", incremental)
    assert report is not None
    job.commits_read = report.commits_read
    job.history_note = report.history
    _check_same_site(here / "site-full", here / "site-now")
    shutil.rmtree(here, ignore_errors=True)
    return job


def _cache(clone: Path) -> Path:
    return clone / ".git" / INDEX_FILE.parent / "site-cache"


def _clone(source: Path, target: Path, branch: str, partial: bool) -> None:
    """Clone one branch of source over the file:// protocol, as CI clones over https.

    partial: as the site job checks out, the branch's head alone without blobs; else all.
    """
    blobs = ["--depth", "1", "--filter=blob:none"] if partial else []
    command = ["git", "clone", "--quiet", "--no-local", *blobs, "--branch", branch]
    subprocess.run([*command, f"file://{source}", str(target)], check=True)


def _check_same_site(full: Path, incremental: Path) -> None:
    """Fail when the incremental build differs from the full one but for the build time."""
    names = sorted(p.relative_to(full).as_posix() for p in full.rglob("*") if p.is_file())
    other = sorted(
        p.relative_to(incremental).as_posix() for p in incremental.rglob("*") if p.is_file()
    )
    if names != other:
        raise SystemExit(f"the incremental site has other files than the full one: {full}")


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _timed(job: Job, step: str, action: Callable[[], T]) -> float:
    """Return the CPU seconds an action took, its git subprocesses' included; keep its wall."""
    started, wall = time.process_time() + _children_cpu(), time.perf_counter()
    action()
    job.wall[step] = time.perf_counter() - wall
    return time.process_time() + _children_cpu() - started


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", f"--git-dir={repo}", *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def _report(jobs: list[Job], built: str) -> str:
    lines = [f"synthetic history: {built}", ""]
    lines.append(
        "| history | before: full clone + build | now: partial clone + restore + build "
        "| wall before / now | cache miss | cache | .git full / partial |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for job in jobs:
        steps = f"{job.partial_clone:.1f} + {job.restore:.1f} + {job.incremental_build:.1f}"
        lines.append(
            f"| {job.hours / HOURS_PER_YEAR:.2f} y ({job.hours} commits) "
            f"| {job.before:.1f} s ({job.full_clone:.1f} + {job.full_build:.1f}) "
            f"| {job.now:.1f} s ({steps}; {job.commits_read} commit read) "
            f"| {job.walls('full_clone', 'full_build'):.1f} s / "
            f"{job.walls('partial_clone', 'restore', 'incremental_build'):.1f} s "
            f"| {job.cache_miss_build:.1f} s | {job.cache_bytes / 1e6:.0f} MB "
            f"| {job.full_clone_bytes / 1e6:.0f} / {job.partial_clone_bytes / 1e6:.0f} MB |"
        )
    small, large = jobs[0], jobs[-1]
    before, now = large.before / small.before, large.now / small.now
    now_steps = ("partial_clone", "restore", "incremental_build")
    now_wall = large.walls(*now_steps) / small.walls(*now_steps)
    lines += [
        "",
        f"large/small, CPU: before {before:.2f}x, now {now:.2f}x "
        f"(aim: now within {AIM_RATIO}x: {'met' if now <= AIM_RATIO else 'MISSED'}); "
        f"wall, now: {now_wall:.2f}x",
        f"incremental build said: {large.history_note}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
