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

    python bench/fetch_bench.py                        # ~2 minutes
    python bench/fetch_bench.py --full 1 4 8 16        # the full sync at every concurrency
    python bench/fetch_bench.py --profile              # cProfile of the full sync at 8
    python bench/fetch_bench.py --entity 8 --full 8    # quick
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
from pathlib import Path

from archiver.capture.replay import ReplayServer

ROOT = Path(__file__).resolve().parents[1]
DAILY = ROOT.parent / "shared" / "openrouter" / "captures" / "daily"
AIM_RATIO = 1.3
AIM_CONCURRENCY = 8

# One sync, timed from inside its process: the fetch ends with the last response.
ONE_SYNC = """
import json, sys, time
from archiver.upstream.fetch import FetchPolicy
from archiver.sync import SyncOptions, sync
repo, base_url, concurrency, telemetry, profile = sys.argv[1:6]
options = SyncOptions(
    base_url=base_url,
    policy=FetchPolicy(concurrency=int(concurrency)),
    telemetry=telemetry == "1",
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
    repo: Path, base_url: str, concurrency: int, telemetry: bool, profile: str = ""
) -> dict[str, float]:
    """Run one sync in a child process; return its figures."""
    command = [sys.executable, "-c", ONE_SYNC, str(repo), base_url, str(concurrency)]
    command += ["1" if telemetry else "0", profile]
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
        for sources, telemetry, concurrency in plan:
            figures = run_sync(repo, server.base_url, concurrency, telemetry)
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
        run_sync(repo, server.base_url, AIM_CONCURRENCY, True, str(out))
    listing = io.StringIO()
    stats = pstats.Stats(str(out), stream=listing)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    return listing.getvalue()


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
