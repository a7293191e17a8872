"""Sync cost on real captures: ours vs the usual git-scraping way, side by side in one run.

Each measured step runs as its own process (the way cron or Actions runs it), so wall
time, CPU time (user + system) and peak memory (max RSS) are the process's own. The
replay server runs in this process, with no added latency.

    python bench/sync_bench.py [--captures DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from archiver.capture.replay import ReplayServer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CAPTURES = ROOT.parent / "shared" / "openrouter" / "captures" / "daily"

# The usual way, as git-scraping projects do it: every response written to a file (as
# received: telemetry included), then `git add -A && git commit`. Same data as ours archives.
BASELINE = """
import asyncio, json, pathlib, subprocess, sys, urllib.parse
from archiver.upstream import sources
from archiver.upstream.entities import catalog_variants
from archiver.upstream.fetch import Fetcher
from archiver.sync import VARIANT_TELEMETRY
repo, base_url = sys.argv[1], sys.argv[2]

async def fetch_everything():
    # The same URLs as a sync, with the archiver's own client (the usual way gets no worse one).
    async with Fetcher(base_url) as fetcher:
        listings = await fetcher.get_many(sources.LISTINGS.values())
        by_name = dict(zip(sources.LISTINGS, listings, strict=True))
        variants = catalog_variants(by_name["catalog"]).values()
        urls = [v.url(sources.ENDPOINT_STATS) for v in variants if v.has_endpoint]
        urls += [v.url(path) for v in variants for path in VARIANT_TELEMETRY.values()]
        return listings + await fetcher.get_many(urls)

root = pathlib.Path(repo) / "data"
for response in asyncio.run(fetch_everything()):
    if response.ok:
        name = urllib.parse.quote(response.url.lstrip("/"), safe="") + ".json"
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(response.data, indent=2, sort_keys=True) + "\\n")
subprocess.run(["git", "-C", repo, "add", "-A", "data"], check=True)
subprocess.run(["git", "-C", repo, "commit", "-qm", "sync"], capture_output=True)
"""


@dataclass
class Run:
    """One measured process."""

    wall: float
    cpu: float
    max_rss_mb: float


def measure(command: list[str], allowed: tuple[int, ...] = (0,)) -> Run:
    """Run a command as a child process; return its own wall time, CPU time and peak memory."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode() if child.stderr else ""
    if child.stderr:
        child.stderr.close()
    if child.returncode not in allowed:
        raise SystemExit(f"{command} failed ({child.returncode}):\n{errors}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def ours(repo: Path, base_url: str) -> list[str]:
    """Return the command for one archiver sync."""
    return [sys.executable, "-m", "archiver", "sync", "--repo", str(repo), "--base-url", base_url]


def usual(repo: Path, base_url: str) -> list[str]:
    """Return the command for one sync the usual way."""
    return [sys.executable, "-c", BASELINE, str(repo), base_url]


def init_plain_repo(repo: Path) -> None:
    """Create an empty git repository for the baseline."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)


def scenario(captures: list[Path], workdir: Path, rounds: int) -> dict[str, dict[str, list[Run]]]:
    """Measure full, next-day and no-change syncs, ours and the usual way, interleaved."""
    results: dict[str, dict[str, list[Run]]] = {}
    for round_number in range(rounds):
        for who, command in (("ours", ours), ("usual", usual)):
            repo = workdir / f"{who}-{round_number}"
            if who == "usual":
                init_plain_repo(repo)
            steps = (
                ("full sync", captures[0]),
                ("next-day sync", captures[1]),
                ("no-change sync", captures[1]),
            )
            for step, capture in steps:
                with ReplayServer(capture) as server:
                    # Exit 1 is a sync that archived what it could (a capture may lack a URL).
                    run = measure(command(repo, server.base_url), (0, 1) if who == "ours" else (0,))
                results.setdefault(step, {}).setdefault(who, []).append(run)
            files = subprocess.run(
                ["git", "-C", str(repo), "ls-tree", "-r", "--name-only", "HEAD"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.count("\n")
            if files < 50:  # a daily capture gives ~2,000; the quick subset ~200
                raise SystemExit(
                    f"{who}: only {files} files archived in {repo}; the bench is broken"
                )
            shutil.rmtree(repo)
    return results


def report(results: dict[str, dict[str, list[Run]]]) -> str:
    """Return a Markdown table of medians and ratios."""
    lines = [
        "| step | ours wall s | usual wall s | wall ratio | ours CPU s | usual CPU s | CPU ratio "
        "| ours peak MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for step, runs in results.items():
        ow = statistics.median(r.wall for r in runs["ours"])
        uw = statistics.median(r.wall for r in runs["usual"])
        oc = statistics.median(r.cpu for r in runs["ours"])
        uc = statistics.median(r.cpu for r in runs["usual"])
        peak = max(r.max_rss_mb for r in runs["ours"])
        lines.append(
            f"| {step} | {ow:.2f} | {uw:.2f} | {uw / ow:.2f}x | {oc:.2f} | {uc:.2f} "
            f"| {uc / oc:.2f}x | {peak:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=Path, default=DEFAULT_CAPTURES)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    captures = sorted(args.captures.glob("*.jsonl.gz"))
    if len(captures) < 2:
        raise SystemExit(f"need two daily captures in {args.captures}")
    with tempfile.TemporaryDirectory() as workdir:
        env_note = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
        print(
            f"sync bench: {captures[0].name} then {captures[1].name}, "
            f"{args.rounds} rounds, {env_note}"
        )
        print(report(scenario(captures, Path(workdir), args.rounds)))


if __name__ == "__main__":
    main()
