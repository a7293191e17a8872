"""Fetch: syncs through the replay server with 100 ms per request, against the ideal.

The replay server (in this process) serves a real daily capture and holds every reply for
`--latency` seconds, concurrently, like a distant server would. Each sync runs in its own
process (its own interpreter and GIL, as cron or Actions runs it) at a given concurrency;
the ideal is `requests x latency / concurrency`, what perfect pipelining would take. The
archive already holds the capture (one unmeasured sync first), so every measured sync is
the hourly case: fetch everything, find nothing changed, no commit.

Two source sets: the entity sources alone (`SyncOptions(telemetry=False)`, ~430 requests:
listings and one stats/endpoint call per model variant) at every concurrency, and the full
sync (~2,030 requests, per-variant telemetry too) at the higher ones, where it is quick.
Each measured full sync runs a schedule period after the one before, so every variant's
daily-bucket telemetry is due: the most a sync ever fetches.

`--schedule` measures the request budget instead: 24 hourly syncs (simulated epochs, no
added latency) after a first one that fetches every variant, as the hourly workflow runs
them; it prints the requests per sync before (every variant every hour) and after (the
schedule of archiver.upstream.schedule), max and mean, and CPU seconds per request. The
syncs alternate between the two newest daily captures, so that each commits, as every real
hourly sync does (endpoint stats move every hour): the schedule counts the hours since the
last sync commit, and after a sync that committed nothing it fetches more, never less.

    python bench/fetch_bench.py                        # ~2 minutes
    python bench/fetch_bench.py --full 1 4 8 16        # the full sync at every concurrency
    python bench/fetch_bench.py --profile              # cProfile of the full sync at 8
    python bench/fetch_bench.py --entity 8 --full 8    # quick
    python bench/fetch_bench.py --schedule             # requests per hourly sync, ~2 minutes
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archiver.capture.replay import ReplayServer
from archiver.upstream.schedule import DAILY_BUCKET_PERIOD

ROOT = Path(__file__).resolve().parents[1]
DAILY = ROOT.parent / "shared" / "openrouter" / "captures" / "daily"
AIM_RATIO = 1.3
AIM_CONCURRENCY = 8

# One sync, timed from inside its process: the fetch ends with the last response.
ONE_SYNC = """
import json, sys, time
from datetime import datetime
from archiver.upstream.fetch import FetchPolicy
from archiver.sync import SyncOptions, sync
repo, base_url, concurrency, telemetry, profile, epoch = sys.argv[1:7]
options = SyncOptions(
    base_url=base_url,
    policy=FetchPolicy(concurrency=int(concurrency)),
    telemetry=telemetry == "1",
    epoch=datetime.fromisoformat(epoch),
)
stamps = []
def run():
    return sync(repo, options, on_response=lambda response: stamps.append(time.perf_counter()))
started = time.perf_counter()
if profile:
    import cProfile
    cProfile.run("log = run()", profile)
else:
    log = run()
done = time.perf_counter()
print(json.dumps({
    "requests": log.requests,
    "failed": log.requests_failed,
    "fetch": stamps[-1] - started,
    "sync": done - started,
    "committed": log.commit_id is not None,
}))
"""

# Hourly syncs at simulated epochs in one process: requests and CPU of each.
HOURLY_SYNCS = """
import json, sys, time
from datetime import datetime, timedelta
from archiver.sync import SyncOptions, sync
repo, start, hours, *base_urls = sys.argv[1:]
rows = []
for hour in range(int(hours) + 1):
    epoch = datetime.fromisoformat(start) + timedelta(hours=hour)
    cpu = time.process_time()
    base_url = base_urls[hour % len(base_urls)]
    log = sync(repo, SyncOptions(base_url=base_url, epoch=epoch))
    rows.append({
        "epoch": epoch.isoformat(),
        "requests": log.requests,
        "failed": log.requests_failed,
        "cpu": time.process_time() - cpu,
        "committed": log.commit_id is not None,
        "by_source": log.requests_by_source,
    })
print(json.dumps(rows))
"""
# The first epoch measured; each full sync is a period later (every variant due again).
FIRST_EPOCH = datetime(2026, 7, 20, 0, tzinfo=UTC)
SCHEDULE_HOURS = 24


@dataclass(frozen=True)
class Measured:
    """One sync at one concurrency."""

    sources: str
    concurrency: int
    requests: int
    failed: int
    fetch: float
    sync: float
    latency: float

    @property
    def ideal(self) -> float:
        """Return requests x latency / concurrency."""
        return self.requests * self.latency / self.concurrency

    @property
    def ratio(self) -> float:
        """Return the sync's wall time over the ideal."""
        return self.sync / self.ideal


def run_sync(
    repo: Path,
    base_url: str,
    concurrency: int,
    telemetry: bool,
    profile: str = "",
    epoch: datetime = FIRST_EPOCH,
) -> dict[str, float]:
    """Run one sync in a child process at an epoch; return its figures."""
    command = [sys.executable, "-c", ONE_SYNC, str(repo), base_url, str(concurrency)]
    command += ["1" if telemetry else "0", profile, epoch.isoformat()]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"sync at concurrency {concurrency} failed:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def measure(args: argparse.Namespace, workdir: Path) -> list[Measured]:
    """Fill the archive once, then time a sync per source set and concurrency."""
    repo = workdir / "archive"
    with ReplayServer(args.capture) as server:
        run_sync(repo, server.base_url, 16, telemetry=False)
    plan = [("entity sources", False, c) for c in args.entity]
    plan += [("full sync", True, c) for c in args.full]
    results = []
    with ReplayServer(args.capture, delay=args.latency) as server:
        for position, (sources, telemetry, concurrency) in enumerate(plan, start=1):
            epoch = FIRST_EPOCH + timedelta(hours=DAILY_BUCKET_PERIOD * position)
            figures = run_sync(repo, server.base_url, concurrency, telemetry, epoch=epoch)
            measured = Measured(
                sources,
                concurrency,
                int(figures["requests"]),
                int(figures["failed"]),
                figures["fetch"],
                figures["sync"],
                args.latency,
            )
            results.append(measured)
            if args.progress:
                print(f"  {sources} at {concurrency}: {measured.sync:.1f}s", file=sys.stderr)
    return results


def profile(args: argparse.Namespace, workdir: Path) -> str:
    """Return the top of a cProfile of the full sync at the aim's concurrency."""
    import pstats

    repo = workdir / "archive"
    out = workdir / "sync.prof"
    with ReplayServer(args.capture) as server:
        run_sync(repo, server.base_url, 16, telemetry=False)
    with ReplayServer(args.capture, delay=args.latency) as server:
        epoch = FIRST_EPOCH + timedelta(hours=DAILY_BUCKET_PERIOD)
        run_sync(repo, server.base_url, AIM_CONCURRENCY, True, str(out), epoch)
    listing = io.StringIO()
    stats = pstats.Stats(str(out), stream=listing)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    return listing.getvalue()


def schedule(args: argparse.Namespace, workdir: Path) -> str:
    """Return the requests per hourly sync over a simulated day, before and after."""
    repo = workdir / "archive"
    start = FIRST_EPOCH + timedelta(hours=DAILY_BUCKET_PERIOD)
    others = [
        path for path in sorted(args.capture.parent.glob("*.jsonl.gz")) if path < args.capture
    ]
    other = others[-1] if others else args.capture
    with ReplayServer(args.capture) as server, ReplayServer(other) as second:
        run_sync(repo, server.base_url, 16, telemetry=True)
        command = [sys.executable, "-c", HOURLY_SYNCS, str(repo), start.isoformat()]
        # The first measured sync serves the other capture: it commits, as each after it.
        command += [str(SCHEDULE_HOURS), second.base_url, server.base_url]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the hourly syncs failed:\n{done.stderr}")
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    # The first sync comes a period after the last: every variant is due, as every hour was.
    before, hourly = rows[0], rows[1:]
    counts = [row["requests"] for row in hourly]
    cpu = sum(row["cpu"] for row in hourly) / sum(counts)
    by_source: dict[str, int] = {}
    for row in hourly:
        for path, count in row["by_source"].items():
            by_source[path] = by_source.get(path, 0) + count
    lines = [
        "| hourly sync | requests per sync: max | mean | failed | CPU ms per request |",
        "|---|---|---|---|---|",
        f"| before: every variant every hour | {before['requests']:,} | {before['requests']:,} "
        f"| {before['failed']} | {before['cpu'] / before['requests'] * 1000:.2f} |",
        f"| after: each variant every {DAILY_BUCKET_PERIOD} h ({len(hourly)} syncs) "
        f"| {max(counts):,} | {sum(counts) / len(counts):,.0f} "
        f"| {sum(row['failed'] for row in hourly)} | {cpu * 1000:.2f} |",
        "",
        f"{sum(row['committed'] for row in hourly)} of {len(hourly)} hourly syncs committed",
        "mean requests per hourly sync, by source: "
        + ", ".join(f"{path} {n / len(hourly):.0f}" for path, n in sorted(by_source.items())),
    ]
    return "\n".join(lines)


def table(results: list[Measured]) -> str:
    """Return the figures as a Markdown table, then the verdict on the aim."""
    lines = [
        "| sources | concurrency | requests | ideal s | fetch s | sync s | sync / ideal |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in results:
        failed = f" ({m.failed} failed)" if m.failed else ""
        lines.append(
            f"| {m.sources} | {m.concurrency} | {m.requests:,}{failed} | {m.ideal:.1f} "
            f"| {m.fetch:.1f} | {m.sync:.1f} | {m.ratio:.2f}x |"
        )
    # The aim is the full sync's; the entity sources stand in when it was not measured.
    aimed = sorted(
        (m for m in results if m.concurrency == AIM_CONCURRENCY),
        key=lambda m: m.sources != "full sync",
    )
    if aimed:
        verdict = "met" if aimed[0].ratio <= AIM_RATIO else "MISSED"
        lines += [
            "",
            f"aim: within {AIM_RATIO}x of ideal at concurrency {AIM_CONCURRENCY}: "
            f"{aimed[0].ratio:.2f}x ({aimed[0].sources}), {verdict}",
        ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture", type=Path, help="capture to serve (default: newest daily)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added per request")
    parser.add_argument(
        "--entity", type=int, nargs="*", default=[1, 4, 8, 16], help="concurrencies, entities"
    )
    parser.add_argument("--full", type=int, nargs="*", default=[8, 16], help="concurrencies, full")
    parser.add_argument("--profile", action="store_true", help="profile the full sync at 8")
    parser.add_argument("--schedule", action="store_true", help="requests per hourly sync")
    parser.add_argument("--progress", action="store_true", help="report each sync on stderr")
    args = parser.parse_args(argv)
    if args.capture is None:
        found = sorted(DAILY.glob("*.jsonl.gz"))
        if not found:
            raise SystemExit(f"no daily capture under {DAILY}; pass --capture PATH")
        args.capture = found[-1]
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    args = parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fetch-bench-") as folder:
        if args.profile:
            print(profile(args, Path(folder)))
            return 0
        if args.schedule:
            print(f"fetch bench, request budget: {args.capture.name}, hourly simulated epochs")
            print(schedule(args, Path(folder)))
            print(f"bench took {time.perf_counter() - started:.0f}s")
            return 0
        results = measure(args, Path(folder))
    print(
        f"fetch bench: {args.capture.name} through the replay server, "
        f"{args.latency * 1000:.0f} ms per request; each sync in its own process, "
        "the archive already up to date (the hourly case)"
    )
    print(table(results))
    print(f"bench took {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
