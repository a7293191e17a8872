"""Sync at scale: a synthetic catalog of N endpoints (shapes from a real capture), 1% changed
per sync. Ours (observe + plan + pygit2 commit) vs the usual way (write every file,
`git add -A`, `git commit`), each sync in its own process for honest time and peak memory.

    python bench/scale_bench.py [--endpoints 50000] [--syncs 3] [--changed 0.01]
        [--traffic-syncs 0] [--ways ours,usual] [--capture PATH] [--profile FOLDER]

Besides the table, the CPU seconds of each phase of our sync (parsing the bodies, observing
them, the plan, the telemetry writer, the commit, the rest); --profile writes a cProfile of
each measured sync (`python -m pstats FOLDER/ours-1.prof`).

To compare two trees under the same load, run this file from each with PYTHONPATH set to
that tree and --capture naming the same capture (a tree outside /work finds no ../shared).

HTTP is left out here (bench/fetch_bench.py measures it): each sync reads the responses'
bodies (JSON bytes) from a file one at a time, as if they had just arrived, and parses them;
parsing, observing, planning, telemetry and the commit are measured.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from archiver.capture.files import read_capture
from archiver.upstream.entities import Fetched, catalog_variants
from archiver.upstream.fetch import Response
from archiver.upstream.sources import ENDPOINT_STATS

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_NAME = "2026-07-17T180314Z.jsonl.gz"
SHARED_CAPTURE = ROOT.parent / "shared" / "openrouter" / "captures" / "daily" / TEMPLATE_NAME
# The shapes come from a real capture: the full one when ../shared is there, else the small
# one committed with the tests (same real objects, fewer of them).
CAPTURE = (
    SHARED_CAPTURE
    if SHARED_CAPTURE.exists()
    else ROOT / "tests" / "captures" / "daily" / TEMPLATE_NAME
)

ONE_SYNC = """
import pickle, sys, time
from pathlib import Path
import orjson
way, repo, data, epoch, profile = sys.argv[1:6]
index = pickle.loads(Path(data + ".index").read_bytes())
bodies = open(data, "rb")

def arriving(order):
    # Bodies as the network hands them over, one at a time: (model key, URL, bytes).
    for key, url, offset, size in order:
        bodies.seek(offset)
        yield key, url, bodies.read(size)

# CPU seconds by phase of the sync (ours): what the remaining work is made of.
phases = {}

def timed(label, work, *args):
    begun = time.process_time()
    try:
        return work(*args)
    finally:
        phases[label] = phases.get(label, 0.0) + time.process_time() - begun

def measured(owner, name, label):
    work = getattr(owner, name)
    setattr(owner, name, lambda *args, **kwargs: timed(label, lambda: work(*args, **kwargs)))

if profile:
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
started = time.perf_counter()
if way == "ours":
    # What archiver.sync does with each response as it arrives (fetch_sources), minus HTTP;
    # bodies are parsed as the fetch layer parses them (numbers exact).
    from archiver.jsonvalue import loads
    from archiver.upstream import sources
    from archiver.upstream.fetch import Response
    from archiver.upstream.entities import Observer
    from archiver.telemetry import packer
    from archiver.gc_pause import paused_gc
    from archiver.archive.store import Store
    import importlib
    sync = importlib.import_module("archiver.sync")  # The module: archiver.sync is the function.
    from archiver.archive.synclog import SyncLog
    from archiver.times import parse_time
    measured(sync, "make_plan", "plan")
    measured(sync, "telemetry_writes", "telemetry")
    measured(Store, "commit", "commit")
    store = Store(repo)
    observer = Observer(pack_figures=packer("endpoint"))
    with paused_gc():
        parsed = [timed("parse", loads, b) for _, _, b in arriving(index[0])]
        urls = [entry[1] for entry in index[0]]
        listings = [Response(u, body, status=200) for u, body in zip(urls, parsed)]
        names = {path: name for name, path in sources.LISTINGS.items()}
        observer.listings({names[response.url]: response for response in listings})
        del listings, parsed
        for key, url, body in arriving(index[1]):
            response = Response(url, timed("parse", loads, body), status=200)
            timed("observe", observer.endpoint_listing, key, response)
        del response
        arrived = time.perf_counter()
        observed = timed("observe", observer.observed)
    log = SyncLog(epoch=parse_time(epoch))
    sync.archive(store, observed, log, 0.10)
else:
    # The usual way archives the same data: every endpoint as sent, telemetry included.
    import json
    root = Path(repo) / "data" / "endpoint"
    root.mkdir(parents=True, exist_ok=True)
    for _, _, body in arriving(index[1]):
        for endpoint in orjson.loads(body)["data"]:
            text = json.dumps(endpoint, indent=2, sort_keys=True) + "\\n"
            (root / (endpoint["id"] + ".json")).write_text(text)
    arrived = time.perf_counter()
    import subprocess
    subprocess.run(["git", "-C", repo, "add", "-A", "data"], check=True)
    subprocess.run(["git", "-C", repo, "commit", "-qm", "sync"], check=False)
# Peak memory of this program (ru_maxrss would count the parent's pages at fork) or of the
# biggest program it ran (git, the usual way).
import resource
status = Path("/proc/self/status").read_text()
own = int(status.split("VmHWM:")[1].split()[0]) / 1024
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
done = time.perf_counter()
if profile:
    profiler.disable()
    profiler.dump_stats(profile)
print(done - started, done - arrived, max(own, children))
print(orjson.dumps(phases).decode())
"""


def synthetic_fetched(
    endpoints: int, seed: int, template: Path = CAPTURE
) -> tuple[Fetched, list[dict[str, Any]]]:
    """Return Fetched responses of a catalog with this many endpoints, and the endpoint list."""
    capture = read_capture(template)
    by_path = {r.url.split("?")[0]: r for r in capture.responses}
    real = [
        e for r in capture.responses if r.url.startswith(ENDPOINT_STATS) for e in r.body["data"]
    ]
    catalog = Response(
        "/api/frontend/v1/catalog/models",
        by_path["/api/frontend/v1/catalog/models"].body,
        status=200,
    )
    variants = {k: v for k, v in catalog_variants(catalog).items() if v.has_endpoint}
    keys = sorted(variants)
    chance = random.Random(seed)
    made: list[dict[str, Any]] = []
    for number in range(endpoints):
        endpoint = copy.deepcopy(real[number % len(real)])
        endpoint["id"] = str(uuid.UUID(int=chance.getrandbits(128)))
        key = keys[number % len(keys)]
        endpoint["model_variant_slug"] = key
        made.append(endpoint)
    return _fetched(by_path, catalog, keys, variants, made), made


def _fetched(
    by_path: dict[str, Any],
    catalog: Response,
    keys: list[str],
    variants: Any,
    made: list[dict[str, Any]],
) -> Fetched:
    """Group endpoints into per-model listings, as the stats endpoint would answer."""
    lists: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    for endpoint in made:
        lists[endpoint["model_variant_slug"]].append(endpoint)
    return Fetched(
        v1_models=Response("/api/v1/models", by_path["/api/v1/models"].body, status=200),
        catalog=catalog,
        all_providers=Response(
            "/api/frontend/v1/all-providers",
            by_path["/api/frontend/v1/all-providers"].body,
            status=200,
        ),
        endpoint_lists={
            key: Response(variants[key].url(ENDPOINT_STATS), {"data": items}, status=200)
            for key, items in lists.items()
        },
    )


def change_some(made: list[dict[str, Any]], share: float, chance: random.Random) -> None:
    """Change a share of endpoints' prices in place, as upstream does (~1% an hour at most)."""
    for endpoint in chance.sample(made, int(len(made) * share)):
        pricing = endpoint.get("pricing") or {}
        old = float(pricing.get("prompt") or "0.000001")
        endpoint["pricing"] = {**pricing, "prompt": f"{old * chance.uniform(0.8, 1.2):.10f}"}


def move_telemetry(made: list[dict[str, Any]], share: float, chance: random.Random) -> None:
    """Give a share of endpoints new traffic figures, as an hour of real traffic does."""
    for endpoint in chance.sample(made, int(len(made) * share)):
        for holder in [endpoint.get("stats"), *(endpoint.get("statsByTier") or {}).values()]:
            if isinstance(holder, dict):
                for name, value in holder.items():
                    if name.endswith(("_latency", "_throughput")) and value is not None:
                        holder[name] = round(value * chance.uniform(0.7, 1.3), 2)
                    elif name == "request_count" and value is not None:
                        holder[name] = int(value * chance.uniform(0.7, 1.3)) + 1


def write_bodies(fetched: Fetched, data: Path) -> None:
    """Write the responses' bodies as sent (JSON bytes) and an index of where each one is."""
    listings = [fetched.v1_models, fetched.catalog, fetched.all_providers]
    order: tuple[list[Any], list[Any]] = ([], [])
    with data.open("wb") as out:
        for part, responses in (
            (order[0], [("", r) for r in listings if r is not None]),
            (order[1], list(fetched.endpoint_lists.items())),
        ):
            for key, response in responses:
                body = orjson.dumps(response.data)
                part.append((key, response.url, out.tell(), len(body)))
                out.write(body)
    Path(f"{data}.index").write_bytes(pickle.dumps(order))


PHASES = ("parse", "observe", "plan", "telemetry", "commit")


class Measured(NamedTuple):
    """One sync's figures."""

    seconds: float
    cpu: float
    peak_mb: float
    # In a real sync the work done as each body arrives overlaps the wait for the others.
    after_last_body: float
    # CPU seconds by phase (ours); "other" is the rest: start-up, reading the tree, ...
    phases: dict[str, float]


def run_sync(way: str, repo: Path, data: Path, epoch: str, profile: Path | None) -> Measured:
    """Run one sync in a child process (profiled into the file `profile` names, if any)."""
    # Write back what earlier steps left dirty, so no sync pays for another's disk writes.
    os.sync()
    command = [sys.executable, "-c", ONE_SYNC, way, str(repo), str(data), epoch, str(profile or "")]
    child = subprocess.Popen(command, stdout=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    assert child.stdout is not None
    figures, phase_line = child.stdout.read().decode().splitlines()[-2:]
    child.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{way} sync failed")
    seconds, after, peak = (float(n) for n in figures.split())
    cpu = usage.ru_utime + usage.ru_stime
    phases: dict[str, float] = orjson.loads(phase_line)
    if phases:
        phases["other"] = cpu - sum(phases.values())
    return Measured(seconds, cpu, peak, after, phases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=50_000)
    parser.add_argument("--syncs", type=int, default=3, help="measured syncs after the first")
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument(
        "--traffic-syncs",
        type=int,
        default=0,
        help="then this many measured syncs in which every endpoint's traffic figures move too",
    )
    parser.add_argument("--ways", default="ours,usual", help="which ways to run, comma-separated")
    parser.add_argument("--capture", type=Path, default=CAPTURE, help="the template capture")
    parser.add_argument(
        "--profile", type=Path, help="write a cProfile of each measured sync into this folder"
    )
    parser.add_argument(
        "--keep", type=Path, help="build the archives in this new folder and keep them there"
    )
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    ways = [way for way in ("ours", "usual") if way in args.ways.split(",")]
    chance = random.Random(7)
    fetched, made = synthetic_fetched(args.endpoints, seed=7, template=args.capture)
    rows = {"": "", " traffic": ", every endpoint's traffic figures moving"}
    results: dict[str, list[Measured]] = {f"{way}{row}": [] for row in rows for way in ways}
    with contextlib.ExitStack() as cleanup:
        if args.keep:
            args.keep.mkdir(parents=True)
        work = args.keep or Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
        subprocess.run(["git", "init", "-q", "-b", "main", str(work / "usual")], check=True)
        data = work / "bodies"
        for number in range(1 + args.syncs + args.traffic_syncs):
            row = " traffic" if number > args.syncs else ""
            if row:
                move_telemetry(made, 1.0, chance)
                fetched = _fetched_again(fetched, made)
            write_bodies(fetched, data)
            # One sync an hour, from the start of a day.
            epoch = f"2026-07-20T{number:02}:00:00Z"
            for way in ways:
                profile = args.profile / f"{way}-{number}.prof" if args.profile and number else None
                measured = run_sync(way, work / way, data, epoch, profile)
                if number:  # the first sync builds the archive; the rest are the hourly case
                    results[f"{way}{row}"].append(measured)
            change_some(made, args.changed, chance)
            fetched = _fetched_again(fetched, made)
        size = sum(f.stat().st_size for f in (work / "ours" / "data" / "endpoint").iterdir())
        series = work / "ours" / "data" / "telemetry"
        day = sum(f.stat().st_size for f in series.rglob("*.tsv"))
    print(
        f"scale bench: {args.endpoints} endpoints, {args.changed:.0%} changed per sync, "
        f"{args.syncs} syncs (+{args.traffic_syncs} with traffic moving), "
        f"{os.cpu_count()} cores; endpoint files {size / 1e6:.0f} MB, the day's telemetry "
        f"files {day / 1e6:.0f} MB after {1 + args.syncs + args.traffic_syncs} hours"
    )
    print("| way | sync s (median) | CPU s | peak MB | s after the last body |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        if runs:
            print(
                f"| {name} | {statistics.median(r[0] for r in runs):.2f} | "
                f"{statistics.median(r[1] for r in runs):.2f} | {max(r[2] for r in runs):.0f} | "
                f"{statistics.median(r[3] for r in runs):.2f} |"
            )
    _print_phases(results)
    for row, label in rows.items():
        if results.get(f"ours{row}") and results.get(f"usual{row}"):
            ours, usual = (
                statistics.median(r[0] for r in results[f"{w}{row}"]) for w in ("ours", "usual")
            )
            print(f"usual / ours{label}: {usual / ours:.1f}x")


def _print_phases(results: dict[str, list[Measured]]) -> None:
    """Print the median CPU seconds of each phase, for the ways that report phases."""
    print()
    print(f"| CPU s by phase | {' | '.join((*PHASES, 'other'))} |")
    print(f"|---|{'---|' * (len(PHASES) + 1)}")
    for name, runs in results.items():
        if runs and runs[0].phases:
            cells = [statistics.median(r.phases.get(p, 0.0) for r in runs) for p in PHASES]
            cells.append(statistics.median(r.phases["other"] for r in runs))
            print(f"| {name} | {' | '.join(f'{cell:.2f}' for cell in cells)} |")
    print()


def _fetched_again(fetched: Fetched, made: list[dict[str, Any]]) -> Fetched:
    """Return the responses regrouped after changes (same listings, new bodies)."""
    lists: dict[str, list[dict[str, Any]]] = {key: [] for key in fetched.endpoint_lists}
    for endpoint in made:
        lists[endpoint["model_variant_slug"]].append(endpoint)
    return Fetched(
        v1_models=fetched.v1_models,
        catalog=fetched.catalog,
        all_providers=fetched.all_providers,
        endpoint_lists={
            key: Response(r.url, {"data": lists[key]}, status=200)
            for key, r in fetched.endpoint_lists.items()
        },
    )


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"bench took {time.perf_counter() - started:.0f}s")
