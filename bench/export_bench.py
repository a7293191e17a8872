"""Export benchmark: `archiver export --format parquet` of a synthetic year.

The year of entities is bench/history_bench.py's: the files of one real sync of a daily
capture, endpoints cloned to `--endpoints` (1,300), ~0.3% of them changing every hour
(prices, context, parameters, limits, removals and returns), 8,760 hourly commits written
by `git fast-import`. Its telemetry is bench/telemetry_bench.py's simulation (every
endpoint's, model's and variant's figures moving hour by hour around real ones, and the
uptime windows stitched as a sync stitches them), written through the archive's own
`TelemetryWriter` into the work tree for the last `--telemetry-hours` (72) of the year
(each variant every 12 hours, as the sync's schedule fetches them), and committed in the
last hour's commit (the export reads telemetry at the commit it exports): a year of it would
take hours to simulate. Telemetry is exported a month at a time, each
month on its own, so its cost is linear in the months: the year's figure is the measured
one scaled to 8,760 hours, and the output says so.

Measured, in order: the history index built (derived data every archive keeps; not part of
an export), the full export into an empty folder, a rerun after one more hourly commit (the
hourly workflow's case), and a rerun with nothing new.

    python bench/export_bench.py                        # the year, ~3-5 minutes here
    python bench/export_bench.py --hours 720 --telemetry-hours 24   # a month, quicker
    python bench/export_bench.py --profile              # cProfile of the full export
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pygit2
from pygit2.enums import FileMode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_bench import START, build_year, template_files
from telemetry_bench import Simulator, UptimeSimulator, load_templates, uptime_pool

from archiver.canonical import canonical_bytes
from archiver.export import ExportReport, export_parquet
from archiver.history.index import HistoryIndex
from archiver.telemetry import TelemetryWriter
from archiver.telemetry.writer import UPTIME_KIND
from archiver.upstream.schedule import Schedule

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "openrouter" / "captures"
SMALL = Path(__file__).resolve().parents[1] / "tests" / "captures"
YEAR_HOURS = 8760
AIM_SECONDS = 60.0
SIGNATURE = ("openrouter-archiver", "openrouter-archiver@users.noreply.github.com")


def main(argv: list[str] | None = None) -> int:
    """Build the year, export it, print the report; return 1 if --check and the aim is missed."""
    args = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="export-bench-") as scratch:
        where = Path(args.keep) if args.keep else Path(scratch)
        repo = where / "year"
        if repo.exists():
            sys.exit(f"{repo} exists; pass --keep an empty or new folder")
        started = time.perf_counter()
        templates = template_files(_capture(args.capture), where / "template")
        year = build_year(repo / ".git", templates, args.hours, args.endpoints, args.rate)
        samples = write_telemetry(repo, args)
        commit_telemetry(repo)
        built = time.perf_counter() - started
        rows = measure(repo, where / "export", args.profile)
        total = _year_seconds(rows, args)
        print(_report(args, year.commits, samples, built, rows, total))
    return 1 if args.check and total >= AIM_SECONDS else 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=YEAR_HOURS, help="hourly commits (8760)")
    parser.add_argument("--endpoints", type=int, default=1300, help="endpoints (1300)")
    parser.add_argument("--rate", type=float, default=0.003, help="share changing per hour")
    parser.add_argument("--telemetry-hours", type=int, default=72, help="hours of telemetry")
    parser.add_argument("--models", type=int, default=900, help="models with telemetry (900)")
    parser.add_argument("--variants", type=int, default=800, help="model variants (800)")
    parser.add_argument("--capture", type=Path, help="daily capture to copy shapes from")
    parser.add_argument("--keep", help="build in this folder and keep it")
    parser.add_argument("--profile", action="store_true", help="cProfile the full export")
    parser.add_argument("--check", action="store_true", help="exit 1 when the aim is missed")
    return parser.parse_args(argv)


def _capture(given: Path | None) -> Path:
    """Return the daily capture to take shapes from: the given one, the newest shared, or small."""
    if given:
        return given
    found = sorted((SHARED / "daily").glob("*.jsonl.gz")) or sorted(
        (SMALL / "daily").glob("*.jsonl.gz")
    )
    if not found:
        sys.exit("no daily capture found; pass --capture PATH")
    return found[-1]


# -- telemetry --------------------------------------------------------------------------------


def write_telemetry(repo: Path, args: argparse.Namespace) -> int:
    """Simulate the year's last hours of telemetry into the work tree; return the samples."""
    folder = SHARED / "daily" if (SHARED / "daily").is_dir() else SMALL / "daily"
    simulator = Simulator(load_templates(folder), args.endpoints, args.models, args.variants)
    uptime = UptimeSimulator(simulator.ids, uptime_pool())
    writer = TelemetryWriter()
    tracked: dict[str, str] = {}
    blobs: dict[str, bytes] = {}
    samples = 0
    first = START + timedelta(hours=args.hours - args.telemetry_hours)
    previous: datetime | None = None
    for hour in range(args.telemetry_hours):
        epoch = first + timedelta(hours=hour)
        figures: dict[str, Any] = {**simulator.hour(epoch), UPTIME_KIND: uptime.windows(epoch)}
        # As a sync does: each variant is fetched every 12 hours (archiver.upstream.schedule),
        # the others stand.
        due, later = Schedule.between(previous, epoch).split(figures.get("model_variant", {}))
        figures["model_variant"] = {key: figures["model_variant"][key] for key in due}
        previous = epoch
        unfetched = {"model_variant": later}
        written = writer.writes(figures, epoch, tracked, blobs.__getitem__, unfetched)
        samples += written.samples
        for path, data in written.writes.items():
            tracked[path] = path + f"@{hour}"
            blobs[tracked[path]] = data
    for path, blob in tracked.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blobs[blob])
    return samples


def commit_telemetry(repo: Path) -> None:
    """Put the work tree's telemetry into the head commit (same message and epoch): the export
    reads telemetry at the commit it exports, so files only in the work tree are not read."""
    git = pygit2.Repository(str(repo))
    head = git.head.peel(pygit2.Commit)
    index = pygit2.Index()
    index.read_tree(head.tree)
    for path in sorted((repo / "data" / "telemetry").rglob("*")):
        if path.is_file():
            blob = git.create_blob(path.read_bytes())
            name = path.relative_to(repo).as_posix()
            index.add(pygit2.IndexEntry(name, blob, FileMode.BLOB))
    tree = index.write_tree(git)
    parents = list(head.parent_ids)
    commit = git.create_commit(None, head.author, head.committer, head.message, tree, parents)
    git.references["refs/heads/main"].set_target(commit)


# -- measuring --------------------------------------------------------------------------------


def measure(repo: Path, out: Path, profile: bool) -> dict[str, tuple[float, ExportReport]]:
    """Time the index, the full export, a rerun after one commit and one with nothing new."""
    rows: dict[str, tuple[float, ExportReport]] = {}
    started = time.perf_counter()
    HistoryIndex(repo).close()
    rows["history index, built once"] = (time.perf_counter() - started, ExportReport(out, ""))
    profiler = cProfile.Profile() if profile else None
    rows["full export"] = _timed(lambda: export_parquet(repo, out), profiler)
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue(), file=sys.stderr)
    _add_hour(repo)
    rows["rerun after one hourly commit"] = _timed(lambda: export_parquet(repo, out), None)
    rows["rerun, nothing new"] = _timed(lambda: export_parquet(repo, out), None)
    return rows


def _timed(run: Any, profiler: cProfile.Profile | None) -> tuple[float, ExportReport]:
    """Return (seconds, report) of one export, profiled when a profiler is given; the CPU
    seconds of the process and of the git processes it ran go in the report's timings (on a
    shared machine, the fairer figure)."""
    started, cpu = time.perf_counter(), _cpu_seconds()
    report = profiler.runcall(run) if profiler is not None else run()
    report.timings["cpu"] = _cpu_seconds() - cpu
    return time.perf_counter() - started, report


def _cpu_seconds() -> float:
    """Return the CPU seconds of this process and of its children that have ended."""
    times = os.times()
    total: float = times.user + times.system + times.children_user + times.children_system
    return total


def _add_hour(repo: Path) -> None:
    """Commit one more hourly sync on top of HEAD: a few endpoints get a new price."""
    git = pygit2.Repository(str(repo))
    head = git.head.peel(pygit2.Commit)
    index = pygit2.Index()
    index.read_tree(head.tree)
    rng = random.Random(11)
    folder = head.tree["data/endpoint"]
    assert isinstance(folder, pygit2.Tree)
    for entry in rng.sample([e for e in folder if e.name], 4):
        blob = git.get(entry.id)
        assert isinstance(blob, pygit2.Blob)
        endpoint = orjson.loads(blob.data)
        endpoint.setdefault("pricing", {})["prompt"] = f"0.000000{rng.randint(10, 99)}"
        data = git.create_blob(canonical_bytes(endpoint))
        index.add(pygit2.IndexEntry(f"data/endpoint/{entry.name}", data, FileMode.BLOB))
    epoch = _head_epoch(head) + timedelta(hours=1)
    signature = pygit2.Signature(*SIGNATURE, int(epoch.timestamp()) + 240, 0)
    message = f"Sync\n\nSync-Epoch: {epoch:%Y-%m-%dT%H:%M:%SZ}\n"
    tree = index.write_tree(git)
    git.create_commit("refs/heads/main", signature, signature, message, tree, [head.id])


def _head_epoch(head: pygit2.Commit) -> datetime:
    """Return the epoch the head commit's trailer names."""
    return datetime.fromisoformat(head.message_trailers["Sync-Epoch"].replace("Z", "+00:00"))


def _year_seconds(rows: dict[str, tuple[float, ExportReport]], args: argparse.Namespace) -> float:
    """Return the full export's time with telemetry scaled from the hours simulated to a year."""
    seconds, report = rows["full export"]
    telemetry = report.timings.get("telemetry", 0.0)
    scaled: float = seconds - telemetry + telemetry * _scale(args)
    return scaled


def _scale(args: argparse.Namespace) -> float:
    """Return how many times the simulated hours of telemetry a year holds."""
    hours: int = args.telemetry_hours
    return YEAR_HOURS / max(hours, 1)


def _report(
    args: argparse.Namespace,
    commits: int,
    samples: int,
    built: float,
    rows: dict[str, tuple[float, ExportReport]],
    total: float,
) -> str:
    """Return the report as Markdown."""
    _, full = rows["full export"]
    lines = [
        f"Synthetic archive: {commits:,} hourly commits, {args.endpoints:,} endpoints, "
        f"{args.telemetry_hours} hours of telemetry ({samples:,} samples); built in {built:.0f} s.",
        "",
        "| step | seconds | CPU seconds | files written | rows | export size |",
        "|---|---|---|---|---|---|",
    ]
    for what, (seconds, report) in rows.items():
        rows_written = sum(report.rows.values())
        cpu = report.timings.get("cpu", seconds)
        lines.append(
            f"| {what} | {seconds:.2f} | {cpu:.2f} | {len(report.written)} | {rows_written:,} | "
            f"{report.size / 1e6:.1f} MB |"
        )
    lines += ["", "Full export by part (seconds): " + _parts(full)]
    lines += ["", "Rows by table: " + ", ".join(f"{t} {n:,}" for t, n in sorted(full.rows.items()))]
    seconds, _ = rows["full export"]
    telemetry = full.timings.get("telemetry", 0.0)
    verdict = "met" if total < AIM_SECONDS else "missed"
    lines += [
        "",
        f"History ({args.hours:,} hours, measured whole): entities and changes "
        f"{seconds - telemetry:.1f} s. Telemetry: {telemetry:.1f} s for {args.telemetry_hours} "
        f"hours, {telemetry * _scale(args):.0f} s scaled x{_scale(args):.0f} to a year.",
        "",
        f"A year (telemetry scaled x{_scale(args):.0f} from "
        f"{args.telemetry_hours} hours): **{total:.1f} s**; "
        f"aim under {AIM_SECONDS:.0f} s: {verdict}.",
    ]
    return "\n".join(lines)


def _parts(report: ExportReport) -> str:
    """Return the full export's time per part."""
    parts = {part: s for part, s in report.timings.items() if part != "cpu"}
    return ", ".join(f"{part} {seconds:.1f}" for part, seconds in parts.items())


if __name__ == "__main__":
    raise SystemExit(main())
