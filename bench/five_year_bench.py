"""Five years of hourly syncs: packed size per year and the hourly jobs' wall time, before/after.

Two code trees are measured in one invocation, alternating step by step so both see the same
load: `--before` (default /tmp/fiveyear-before, a worktree of the committed code) and
`--after` (default: this working tree).

Size per year (simulated, then extrapolated): each tree's own bench/growth_bench.py runs in a
child process with that tree on its path (`--growth-hours` hourly syncs of a real daily
capture moving on at the real rates: telemetry every hour with the uptime series, 3% of
entities a day, 0.3% of endpoints a new price an hour), repacked as `git gc` does. Year N is
its packed size plus its growth per hour after the first day times the hours left, i.e.
linear growth with a catalog of constant size: that assumption is the extrapolation.

Jobs (measured on real git repositories and real processes, wall seconds): for year N a bare
"GitHub" remote holds N x `--year-hours` synthetic hourly commits (bench/history_bench.py's
builder: ~1,300 endpoints, 0.3% changing an hour, small entity blobs, no telemetry), then one
real sync of capture A by that tree's archiver (the remote's HEAD is a real archive). Then,
as .github/workflows/sync.yml runs them:

- sync job: `git clone --depth 1`, `archiver sync --push --keepalive-days 50` of capture B
  one hour later through a replay server, pushing to the remote; `pip install .` into a fresh
  venv is timed once per tree (it does not depend on history) and added;
- site job, before: `git clone` of the whole history, `archiver site`;
- site job, after: the previous hour's run (partial clone of the commit before the sync,
  `archiver site`: its cache-miss time is printed) leaves `.git/archiver`; then the timed
  run: `git clone --depth 1 --filter=blob:none`, the cache copied in, `archiver site` (which
  deepens the clone to the cache's head, the commit before the sync).

The synthetic history lacks the real telemetry history's bytes: a full clone is charged the
missing bytes (the year's packed size from the growth simulation minus the clone's) at the
marginal bytes per second of clones of that tree's simulated history (real content: its
deltas cost what the real ones do; both trees' clones timed in turn). A shallow blob-less
clone is charged nothing: it fetches HEAD's trees and the commits since the cache, whose
size does not grow with history. Both are printed as extrapolated.

    python bench/five_year_bench.py                 # full: see bench/README.md for its time
    python bench/five_year_bench.py --quick         # tests' small captures, toy sizes: minutes
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
YEAR_HOURS = 8760
MB = 1e6
START = datetime(2026, 1, 1, tzinfo=UTC)
BASE_URL = "https://owner.github.io/archive/"
RESULTS_HEADING = "## Five years"
BOT = {
    "GIT_AUTHOR_NAME": "github-actions[bot]",
    "GIT_AUTHOR_EMAIL": "bot@example.invalid",
    "GIT_COMMITTER_NAME": "github-actions[bot]",
    "GIT_COMMITTER_EMAIL": "bot@example.invalid",
}


@dataclass
class Growth:
    """One tree's simulated growth: packed bytes after `hours`, growth per hour after day one."""

    hours: int
    packed: int
    per_hour: float
    tree_share: float
    seconds: float
    full_rate: float = 0.0
    partial_rate: float = 0.0

    def at_year(self, year: int) -> float:
        """Return the packed size after `year` years, extrapolated linearly."""
        return self.packed + self.per_hour * (year * YEAR_HOURS - self.hours)


@dataclass
class Side:
    """One code tree and what was measured of it."""

    name: str
    tree: Path
    venv: Path
    install: float = 0.0
    growth: Growth | None = None
    sync_job: dict[int, dict[str, float]] = field(default_factory=dict)
    site_job: dict[int, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# --- size: each tree's own growth simulation, in a child process --------------------------


def growth_child(tree: Path, hours: int, capture: Path, out: Path) -> None:
    """Run `tree`'s growth_bench (ours only where it can) and write its figures as JSON."""
    sys.path[:0] = [str(tree / "bench"), str(tree)]
    import growth_bench

    args = growth_bench.parse_args(["--hours", str(hours), "--capture", str(capture)])
    args.no_usual = True  # Older trees always build the usual way too; it is not reported.
    with tempfile.TemporaryDirectory(prefix="five-year-growth-") as folder:
        ours, _usual, _archive, seconds = growth_bench.run(args, Path(folder))
        # Kept for the clone rates, measured by the parent for both trees in turn.
        shutil.move(Path(folder) / "ours", out.with_suffix(".git"))
    families: dict[str, int] = getattr(ours, "families", {}) or {}
    total = sum(families.values())
    trees = families.get("trees", 0) + families.get("commits", 0)
    figures = {
        "hours": hours,
        "packed": ours.packed,
        "per_hour": ours.per_hour,
        "tree_share": trees / total if total else 0.0,
        "seconds": seconds,
    }
    out.write_text(json.dumps(figures))


def clone_rate(repo: Path, options: list[str]) -> float:
    """Return the bytes per second a clone of real archive history transfers and indexes.

    Marginal: the whole history's clone against its first hour's (tag hour-1), each the best
    of three, so a clone's fixed costs are not charged per byte; the plain rate if load noise
    makes the difference meaningless.
    """
    timed = {}
    for ref in ("main", "refs/tags/hour-1"):
        best, size = float("inf"), 0.0
        for attempt in range(3):
            target = repo.parent / f"clone-{attempt}"
            branch = ["--single-branch", "--branch", ref.rsplit("/", 1)[-1]]
            seconds = run(
                ["git", "clone", "-q", "--bare", *options, *branch, f"file://{repo}", str(target)]
            )
            best, size = min(best, seconds), _size(target)
            shutil.rmtree(target)
        timed[ref] = (best, size)
    (whole, whole_size), (first, first_size) = timed["main"], timed["refs/tags/hour-1"]
    if whole > first and whole_size > first_size:
        return (whole_size - first_size) / (whole - first)
    return whole_size / whole


def start_growth(side: Side, hours: int, capture: Path, work: Path) -> subprocess.Popen[bytes]:
    """Start one tree's growth simulation in its own process (both trees run at once)."""
    out = work / f"growth-{side.name}.json"
    command = [sys.executable, __file__, "--growth-child", str(side.tree), str(hours)]
    env = {**os.environ, "PYTHONPATH": str(side.tree)}
    return subprocess.Popen([*command, str(capture), str(out)], env=env, cwd=side.tree)


def finish_growth(side: Side, process: subprocess.Popen[bytes], work: Path) -> None:
    """Wait for a growth simulation and keep its figures."""
    if process.wait():
        raise SystemExit(f"the growth simulation of {side.tree} failed (exit {process.returncode})")
    side.growth = Growth(**json.loads((work / f"growth-{side.name}.json").read_text()))


def measure_clone_rates(sides: list[Side], work: Path) -> None:
    """Time clones of both trees' simulated histories, in turn, so both see the same load."""
    for options in ([], ["--filter=blob:none"]):
        for side in sides:
            assert side.growth is not None
            rate = clone_rate(work / f"growth-{side.name}.git", options)
            if options:
                side.growth.partial_rate = rate
            else:
                side.growth.full_rate = rate


# --- the jobs -----------------------------------------------------------------------------


def run(command: list[str], log: list[str] | None = None) -> float:
    """Run a command, its output added to `log` (or kept for errors); return its wall seconds."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env={**os.environ, **BOT})
    if done.returncode not in (0,):
        tail = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
        raise SystemExit(f"failed (exit {done.returncode}): {' '.join(command)}\n{tail}")
    if log is not None:
        output = (done.stdout + done.stderr).decode(errors="replace").splitlines()
        log += [line.strip() for line in output if line.strip()]
    return time.perf_counter() - started


def install(side: Side) -> None:
    """Time `pip install .` of the tree into a fresh venv, as the workflow's step runs it."""
    started = time.perf_counter()
    run([sys.executable, "-m", "venv", str(side.venv)])
    run([str(side.venv / "bin" / "pip"), "install", "-q", str(side.tree)])
    side.install = time.perf_counter() - started


def archiver(side: Side, *args: str) -> list[str]:
    """Return the command line of the tree's installed `archiver`."""
    return [str(side.venv / "bin" / "archiver"), *args]


def make_remote(synthetic: Path, hours: int, remote: Path) -> None:
    """Make a bare remote holding the first `hours` commits of the synthetic history."""
    run(["git", "init", "-q", "--bare", "-b", "main", str(remote)])
    for name, value in (
        ("uploadpack.allowFilter", "true"),
        ("uploadpack.allowAnySHA1InWant", "true"),
    ):
        run(["git", f"--git-dir={remote}", "config", name, value])
    run(["git", f"--git-dir={remote}", "fetch", "-q", f"file://{synthetic}", f"h{hours}:main"])


def seed_real_head(side: Side, remote: Path, work: Path, capture_url: str, epoch: datetime) -> None:
    """Put a real archive on the remote's HEAD: the tree's own sync of capture A, pushed."""
    seed = work / "seed"
    run(["git", "clone", "-q", "--depth", "1", f"file://{remote}", str(seed)])
    # The synthetic endpoints are not upstream: let this one sync remove them all.
    sync = ["sync", "--repo", str(seed), "--base-url", capture_url, "--epoch", _iso(epoch)]
    run(archiver(side, *sync, "--max-removal-share", "1.0", "--push"))
    shutil.rmtree(seed)


def sync_job(
    side: Side, remote: Path, work: Path, capture_url: str, epoch: datetime
) -> dict[str, float]:
    """Time the sync job's steps: a shallow clone, then `archiver sync --push`."""
    clone = work / "sync-job"
    steps = {"clone": run(["git", "clone", "-q", "--depth", "1", f"file://{remote}", str(clone)])}
    sync = ["sync", "--repo", str(clone), "--base-url", capture_url, "--epoch", _iso(epoch)]
    steps["sync + push"] = run(archiver(side, *sync, "--push", "--keepalive-days", "50"))
    shutil.rmtree(clone)
    return steps


def previous_site_run(side: Side, remote: Path, work: Path) -> tuple[Path, float]:
    """Run the previous hour's site job (blob-less clone, no cache); return its cache folder."""
    clone = work / "previous-site"
    run(["git", "clone", "-q", "--filter=blob:none", f"file://{remote}", str(clone)])
    seconds = run(
        archiver(
            side,
            "site",
            "--repo",
            str(clone),
            "--out",
            str(work / "site-previous"),
            "--base-url",
            BASE_URL,
        )
    )
    return clone / ".git" / "archiver", seconds


def site_job(side: Side, remote: Path, work: Path, cache: Path | None) -> dict[str, float]:
    """Time the site job: its clone (whole or blob-less), the cache restored, `archiver site`."""
    clone = work / "site-job"
    # As the workflow checks out: the whole history before; HEAD alone, blob-less, after.
    options = [] if cache is None else ["--depth", "1", "--filter=blob:none"]
    steps = {"clone": run(["git", "clone", "-q", *options, f"file://{remote}", str(clone)])}
    steps["clone bytes"] = _size(clone / ".git")
    if cache is not None:
        started = time.perf_counter()
        shutil.copytree(cache, clone / ".git" / "archiver")
        steps["restore"] = time.perf_counter() - started
    site = ["site", "--repo", str(clone), "--out", str(work / "site"), "--base-url", BASE_URL]
    steps["build"] = run(archiver(side, *site), side.notes)
    shutil.rmtree(clone)
    shutil.rmtree(work / "site")
    return steps


def measure_year(
    sides: list[Side],
    synthetic: Path,
    year: int,
    args: argparse.Namespace,
    urls: tuple[str, str],
    work: Path,
) -> None:
    """Measure both trees' jobs at year N, one tree after the other, step by step."""
    hours = year * args.year_hours
    epoch = START + timedelta(hours=hours)
    places = {side.name: work / f"{side.name}-y{year}" for side in sides}
    caches: dict[str, Path | None] = {}
    for side in sides:
        place = places[side.name]
        place.mkdir()
        make_remote(synthetic, hours, place / "remote.git")
        seed_real_head(side, place / "remote.git", place, urls[0], epoch)
        caches[side.name] = None
        if side.name == "after":
            caches[side.name], miss = previous_site_run(side, place / "remote.git", place)
            side.site_job.setdefault(year, {})["cache miss"] = miss
    for side in sides:
        remote = places[side.name] / "remote.git"
        side.sync_job[year] = sync_job(
            side, remote, places[side.name], urls[1], epoch + timedelta(hours=1)
        )
        side.sync_job[year]["install"] = side.install
    for side in sides:
        remote = places[side.name] / "remote.git"
        steps = site_job(side, remote, places[side.name], caches[side.name])
        steps["remote bytes"] = _size(remote)
        side.site_job.setdefault(year, {}).update(steps)
    for place in places.values():
        shutil.rmtree(place)


def build_synthetic(work: Path, capture: Path, years: int, year_hours: int) -> Path:
    """Write the synthetic history once (history_bench's builder), a branch per measured year."""
    from history_bench import build_year, template_files

    templates = template_files(capture, work / "template")
    synthetic = work / "synthetic.git"
    build_year(synthetic, templates, years * year_hours, 1300, 0.003)
    chain = subprocess.run(
        ["git", f"--git-dir={synthetic}", "rev-list", "--first-parent", "--reverse", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for year in range(1, years + 1):
        run(
            [
                "git",
                f"--git-dir={synthetic}",
                "update-ref",
                f"refs/heads/h{year * year_hours}",
                chain[year * year_hours - 1],
            ]
        )
    return synthetic


# --- extrapolation and report -------------------------------------------------------------


def site_seconds(side: Side, year: int) -> tuple[float, float]:
    """Return the site job's (measured, extrapolated) wall seconds at year N.

    A full clone is charged the bytes the synthetic history lacks at the rate a clone of the
    growth simulation's real history ran; the shallow clone (with a cache) nothing: what it
    fetches (HEAD, the commits since the cache) does not grow with history.
    """
    steps, growth = side.site_job[year], side.growth
    assert growth is not None
    measured = steps["clone"] + steps.get("restore", 0.0) + steps["build"]
    if "restore" in steps:
        return measured, measured
    real, rate = growth.at_year(year), growth.full_rate
    return measured, measured + max(0.0, real - steps["clone bytes"]) / rate


def sync_seconds(side: Side, year: int) -> float:
    """Return the sync job's wall seconds at year N: install, shallow clone, sync and push."""
    return sum(side.sync_job[year].values())


def report(sides: list[Side], args: argparse.Namespace, took: float) -> list[str]:
    """Return the Markdown report: what was simulated and measured, then the two tables."""
    before, after = sides
    assert before.growth is not None and after.growth is not None
    lines = [
        f"five-year bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average "
        f"{os.getloadavg()[0]:.1f}; before: {before.tree}, after: {after.tree}",
        "",
        f"Size: each tree's growth_bench simulated {after.growth.hours} hourly syncs of "
        f"{args.capture_b.name} (ours only), repacked as git gc does; years 1-5 extrapolated "
        "linearly (growth per hour after the first day x the hours left; constant catalog).",
        "",
        "| packed repository | " + " | ".join(f"year {y}" for y in range(1, 6)) + " |",
        "|---|" + "---|" * 5,
    ]
    for side in sides:
        assert side.growth is not None
        sizes = " | ".join(f"{side.growth.at_year(y) / MB:,.0f} MB" for y in range(1, 6))
        lines.append(f"| {side.name} | {sizes} |")
    lines += [
        "",
        f"Jobs: measured wall seconds on this machine, N x {args.year_hours:,} synthetic hourly "
        f"commits under a real archive (sync of {args.capture_a.name}), the sync job syncing "
        f"{args.capture_b.name} an hour later; `pip install .` measured once per tree "
        f"(before {before.install:.0f} s, after {after.install:.0f} s) and counted in every "
        "sync job. Site job: measured, then extrapolated to the real history's bytes "
        "(a full clone charged the missing bytes at its own rate; a shallow clone nothing).",
        "",
        "| year | sync job before | sync job after | site job before | site job after "
        "| site job before, measured | site job after, measured |",
        "|---|---|---|---|---|---|---|",
    ]
    for year in args.job_years:
        syncs = [f"{sync_seconds(s, year):.0f} s" for s in sides]
        sites = [site_seconds(s, year) for s in sides]
        lines.append(
            f"| {year} | {syncs[0]} | {syncs[1]} | {sites[0][1]:.0f} s | {sites[1][1]:.0f} s "
            f"| {sites[0][0]:.0f} s | {sites[1][0]:.0f} s |"
        )
    lines += ["", *step_lines(sides, args.job_years)]
    for side in sides:
        assert side.growth is not None
        lines.append(
            f"- {side.name}, clone rate of its simulated history: full "
            f"{side.growth.full_rate / MB:.1f} MB/s, blob-less {side.growth.partial_rate / MB:.1f}"
            f" MB/s; trees and commits {side.growth.tree_share:.1%} of its growth"
        )
        lines += [f"- {side.name}, `archiver site` said: {note}" for note in side.notes]
    first, last = args.job_years[0], args.job_years[-1]
    for side in sides:
        ratio = site_seconds(side, last)[1] / site_seconds(side, first)[1]
        lines.append(f"site job year {last} / year {first}, {side.name}: {ratio:.2f}x (aim 1.5x)")
    lines.append(f"bench took {took / 60:.0f} min")
    return lines


def step_lines(sides: list[Side], years: list[int]) -> list[str]:
    """Return one line per tree and year with every timed step, for whoever reads closer."""
    lines = []
    for side in sides:
        for year in years:
            steps = {**side.sync_job[year], **side.site_job[year]}
            shown = ", ".join(
                f"{name} {value / MB:.1f} MB" if "bytes" in name else f"{name} {value:.1f} s"
                for name, value in steps.items()
            )
            lines.append(f"- {side.name}, year {year}: {shown}")
    return lines


def write_results(lines: list[str], results: Path) -> None:
    """Put the report into RESULTS.md as its own section (replacing an older one)."""
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    section = f"{RESULTS_HEADING}\n\n" + "\n".join(lines) + "\n"
    start = text.find(RESULTS_HEADING + "\n")
    if start < 0:
        aims = text.find("\n## Aims")
        at = aims + 1 if aims >= 0 else len(text)
        text = text[:at] + section + "\n" + text[at:]
    else:
        end = text.find("\n## ", start + len(RESULTS_HEADING))
        text = text[:start] + section + (text[end:] if end >= 0 else "")
    results.write_text(text)


# --- the run ------------------------------------------------------------------------------


def _iso(epoch: datetime) -> str:
    return f"{epoch:%Y-%m-%dT%H:%M:%SZ}"


def _size(folder: Path) -> float:
    return float(sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Return the command-line options (--quick fills in toy sizes)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=Path("/tmp/fiveyear-before"))
    parser.add_argument("--after", type=Path, default=ROOT)
    parser.add_argument("--quick", action="store_true", help="tests' captures, toy sizes")
    parser.add_argument("--year-hours", type=int, help="commits per simulated year (8,760)")
    parser.add_argument("--growth-hours", type=int, help="hours the size simulation runs (48)")
    parser.add_argument("--job-years", type=int, nargs="+", default=[1, 3, 5])
    parser.add_argument("--captures", type=Path, help="folder of daily captures (A, B: newest two)")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--no-results", action="store_true", help="print only")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    shared = ROOT.parent / "shared" / "openrouter" / "captures" / "daily"
    folder = args.captures or (ROOT / "tests" / "captures" / "daily" if args.quick else shared)
    args.year_hours = args.year_hours or (24 if args.quick else YEAR_HOURS)
    args.growth_hours = args.growth_hours or (2 if args.quick else 48)
    found = sorted(folder.glob("*.jsonl.gz"))
    if len(found) < 2:
        parser.error(f"need two daily captures in {folder}")
    args.capture_a, args.capture_b = found[-2], found[-1]
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the bench: sizes by simulation, jobs measured at each year, both trees."""
    if argv is None and sys.argv[1:2] == ["--growth-child"]:
        tree, hours, capture, out = sys.argv[2:6]
        growth_child(Path(tree), int(hours), Path(capture), Path(out))
        return 0
    args = parse_args(argv)
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
    from archiver.capture.replay import ReplayServer

    started = time.perf_counter()
    work = args.keep or Path(tempfile.mkdtemp(prefix="five-year-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sides = [
        Side(name, tree.resolve(), work / f"venv-{name}")
        for name, tree in (("before", args.before), ("after", args.after))
    ]
    try:
        growing = [start_growth(side, args.growth_hours, args.capture_b, work) for side in sides]
        synthetic = build_synthetic(work, args.capture_a, max(args.job_years), args.year_hours)
        for side, process in zip(sides, growing, strict=True):
            finish_growth(side, process, work)
        measure_clone_rates(sides, work)
        for side in sides:
            install(side)
        with ReplayServer(args.capture_a) as first, ReplayServer(args.capture_b) as second:
            for year in args.job_years:
                measure_year(sides, synthetic, year, args, (first.base_url, second.base_url), work)
                print(f"  year {year}, {time.perf_counter() - started:.0f}s:", file=sys.stderr)
                print("\n".join(step_lines(sides, [year])), file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    lines = report(sides, args, time.perf_counter() - started)
    print("\n".join(lines))
    if not args.no_results:
        write_results(lines, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
