"""Growth: packed repository size after a simulated year, ours vs one-file git scraping.

Both ways archive the same upstream responses, hour by hour. They start from the newest
daily capture (every response of a full sweep: listings, stats/endpoint per model variant,
effective pricing and model activity per variant) and change every hour the way upstream
does:

- telemetry, every hour: endpoints' `stats`, `statsByTier`, `status`, heuristics, models'
  design arena figures, drawn by bench/telemetry_bench.py's simulator around each one's real
  figures; variants' effective pricing and activity on the sync's own schedule (each
  variant every `DAILY_BUCKET_PERIOD` hours, `archiver.upstream.schedule`); and the hourly
  uptime windows of the endpoints due (a 24th of them each hour, 72 hours each, values
  drawn from the captured windows), stitched into the uptime series as a sync does;
- entities, at the rates of the daily captures: `--daily` (3%) of endpoints and of models
  get another field value a day (context, parameters, limits, descriptions), spread over
  the hours, and `--prices` (0.3%) of endpoints a new price every hour (RESEARCH.md).

Ours: every hour `entities.observe` of the responses, then `plan.make_plan` (entity files
whose canonical bytes changed) and a `telemetry.TelemetryWriter` (the day's telemetry
files), one commit. The usual way: each hour the responses as sent, in a few big files
(`models.json`, `catalog.json`, `providers.json`, `endpoints.json`, `effective-pricing.json`,
`model-activity.json`, each URL -> body), one commit. `git fast-import` writes both; then
`git repack -adf --depth=50 --window=10` (what `git gc` runs; `--window 250` is
`--aggressive`, minutes longer on the usual way's big files) and `git count-objects -v`
give the packed size.

A year of hours takes too long here, so it simulates `--hours` (whole days) and extrapolates
linearly: the packed size after them plus the growth per day after the first day (what the
first day's commits weigh in the pack, subtracted) times the days left. Ours writes a new
set of telemetry files each day (each week for variants, from Monday: the simulation starts
on a Thursday, so only runs of 5 days or more see a variants' week begin, and 8 days or more
weigh it as a year does), so growth is only linear over whole days, and weeks. The output
says what was extrapolated, and splits ours' growth by file family (each folder of data/,
trees, commits: the packed bytes of the objects added after the first day).

    python bench/growth_bench.py                 # 2 days, ~4 minutes
    python bench/growth_bench.py --hours 192 --no-usual  # 8 days, ours alone, ~20 minutes
    python bench/growth_bench.py --hours 6       # quick (rough extrapolation)
"""

from __future__ import annotations

import argparse
import math
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from telemetry_bench import Simulator, UptimeSimulator, load_templates, uptime_pool

from archiver.archive.plan import make_plan
from archiver.canonical import blob_id
from archiver.capture.files import canonical_url, read_capture
from archiver.sync import VARIANT_TELEMETRY, layout_readme
from archiver.telemetry import TelemetryWriter
from archiver.upstream import fields as telemetry
from archiver.upstream import sources
from archiver.upstream.entities import Fetched, catalog_variants, observe
from archiver.upstream.extra_sources import UPTIME_KIND
from archiver.upstream.fetch import Response
from archiver.upstream.schedule import Schedule

ROOT = Path(__file__).resolve().parents[1]
DAILY = ROOT.parent / "shared" / "openrouter" / "captures" / "daily"
START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_HOURS = 8760
SIGNATURE = "openrouter-archiver <openrouter-archiver@users.noreply.github.com>"
MB = 1e6
VARIANT_KIND = "model_variant"
# The usual way's files: which responses each one holds.
BASELINE_FILES = {
    sources.V1_MODELS: "models.json",
    sources.CATALOG_MODELS: "catalog.json",
    sources.ALL_PROVIDERS: "providers.json",
    sources.V1_PROVIDERS: "providers.json",
    sources.ENDPOINT_STATS: "endpoints.json",
    sources.EFFECTIVE_PRICING: "effective-pricing.json",
    sources.MODEL_ACTIVITY: "model-activity.json",
}


# --- the upstream being simulated -------------------------------------------------------


@dataclass
class Upstream:
    """Every response body of one sweep, changed in place hour by hour."""

    bodies: dict[str, Any]
    endpoint_lists: dict[str, str]
    variant_urls: dict[str, dict[str, str]]
    endpoint_copies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)

    def fetched(self, due: Collection[str]) -> Fetched:
        """Return the responses as a sync would have fetched them (variant telemetry: `due`)."""
        return Fetched(
            v1_models=self._response(sources.V1_MODELS),
            catalog=self._response(sources.CATALOG_MODELS),
            all_providers=self._response(sources.ALL_PROVIDERS),
            v1_providers=self._response(sources.V1_PROVIDERS),
            endpoint_lists={k: self._recorded(u) for k, u in self.endpoint_lists.items()},
            variant_telemetry={
                key: {name: self._recorded(url) for name, url in urls.items()}
                for key, urls in self.variant_urls.items()
                if key in due
            },
        )

    def _response(self, url: str) -> Response | None:
        """Return the current response for a URL (None: not in the capture)."""
        body = self.bodies.get(url)
        return None if body is None else Response(url, body, status=200)

    def _recorded(self, url: str) -> Response:
        """Return the current response for a URL the capture is known to hold."""
        return Response(url, self.bodies[url], status=200)


def load_upstream(capture: Path) -> Upstream:
    """Return the capture's responses, indexed the way a sync asks for them."""
    recorded = {canonical_url(r.url): r.body for r in read_capture(capture).responses}
    bodies: dict[str, Any] = {}
    for path in sources.LISTINGS.values():
        if path in recorded:
            bodies[path] = recorded[path]
    catalog = Response(sources.CATALOG_MODELS, bodies[sources.CATALOG_MODELS], status=200)
    endpoint_lists: dict[str, str] = {}
    variant_urls: dict[str, dict[str, str]] = {}
    for key, variant in catalog_variants(catalog).items():
        url = variant.url(sources.ENDPOINT_STATS)
        if variant.has_endpoint and canonical_url(url) in recorded:
            endpoint_lists[key] = url
            bodies[url] = recorded[canonical_url(url)]
        for name, path in VARIANT_TELEMETRY.items():
            url = variant.url(path)
            if canonical_url(url) in recorded:
                variant_urls.setdefault(key, {})[name] = url
                bodies[url] = recorded[canonical_url(url)]
    upstream = Upstream(bodies, endpoint_lists, variant_urls)
    for url in endpoint_lists.values():
        for item in bodies[url]["data"]:
            upstream.endpoint_copies.setdefault(item["id"], []).append(item)
    for entry in bodies[sources.CATALOG_MODELS]["data"]:
        featured = entry.get("endpoint")
        if isinstance(featured, dict) and featured.get("id") in upstream.endpoint_copies:
            upstream.endpoint_copies[featured["id"]].append(featured)
    upstream.models = {m["id"]: m for m in bodies[sources.V1_MODELS]["data"]}
    return upstream


def simulator(upstream: Upstream, seed: int, daily: Path) -> Simulator:
    """Return telemetry_bench's simulator, seeded with these endpoints, models and variants."""
    templates = load_templates(daily)
    endpoint_ids = sorted(upstream.endpoint_copies)
    templates.endpoints = [
        telemetry.split_endpoint(upstream.endpoint_copies[i][0])[1] for i in endpoint_ids
    ]
    model_keys = sorted(upstream.models)
    templates.models = [telemetry.split_model(upstream.models[k])[1] for k in model_keys]
    variant_keys = sorted(upstream.variant_urls)
    templates.variants = [
        {name: upstream.bodies[url]["data"] for name, url in upstream.variant_urls[k].items()}
        for k in variant_keys
    ]
    simulated = Simulator(
        templates, len(endpoint_ids), len(model_keys), len(variant_keys), seed=seed
    )
    simulated.ids, simulated.model_keys, simulated.variant_keys = (
        endpoint_ids,
        model_keys,
        variant_keys,
    )
    return simulated


def next_hour(
    upstream: Upstream, simulated: Simulator, epoch: datetime, rates: Rates, rng: random.Random
) -> None:
    """Move the upstream one hour on: new telemetry everywhere, a few entity changes."""
    figures = simulated.hour(epoch)
    for endpoint_id, values in figures["endpoint"].items():
        for copy in upstream.endpoint_copies[endpoint_id]:
            # The catalog's featured copy carries only some of the telemetry fields.
            copy.update({k: v for k, v in values.items() if k in copy})
    for key, values in figures["model"].items():
        arena = values.get("benchmarks.design_arena")
        benchmarks = upstream.models[key].get("benchmarks")
        if arena is not None and isinstance(benchmarks, dict):
            benchmarks["design_arena"] = arena
    for key, values in figures.get("model_variant", {}).items():
        for name, data in values.items():
            url = upstream.variant_urls[key][name]
            upstream.bodies[url] = {**upstream.bodies[url], "data": data}
    endpoint_ids = sorted(upstream.endpoint_copies)
    for endpoint_id in rng.sample(endpoint_ids, _poisson(rng, len(endpoint_ids) * rates.prices)):
        _change_price(upstream.endpoint_copies[endpoint_id], rng)
    daily = rates.daily / 24
    for endpoint_id in rng.sample(endpoint_ids, _poisson(rng, len(endpoint_ids) * daily)):
        _change_endpoint(upstream.endpoint_copies[endpoint_id], rng)
    model_keys = sorted(upstream.models)
    for key in rng.sample(model_keys, _poisson(rng, len(model_keys) * daily)):
        _change_model(upstream.models[key], rng)


@dataclass(frozen=True)
class Rates:
    """How often entities change."""

    daily: float
    prices: float


def _poisson(rng: random.Random, mean: float) -> int:
    """Return a Poisson-distributed count (Knuth's method; the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _change_price(copies: list[dict[str, Any]], rng: random.Random) -> None:
    """Give an endpoint (every copy upstream sends of it) a new price."""
    factor = rng.choice([0.5, 0.8, 0.9, 1.1, 1.25, 2.0])
    for endpoint in copies:
        pricing = endpoint.get("pricing")
        if isinstance(pricing, dict):
            for name in ("prompt", "completion"):
                old = float(pricing.get(name) or "0.000001")
                pricing[name] = f"{old * factor:.12f}".rstrip("0")


def _change_endpoint(copies: list[dict[str, Any]], rng: random.Random) -> None:
    """Change one entity field of an endpoint, as the daily captures show them changing."""
    roll = rng.random()
    context = rng.choice([8192, 32768, 131072, 200000, 262144, 1048576])
    rpm = rng.choice([None, 20, 60, 600])
    for endpoint in copies:
        if roll < 0.4:
            endpoint["context_length"] = context
        elif roll < 0.8:
            parameters = endpoint.get("supported_parameters")
            if isinstance(parameters, list):
                endpoint["supported_parameters"] = (
                    [p for p in parameters if p != "tools"]
                    if "tools" in parameters
                    else [*parameters, "tools"]
                )
        else:
            endpoint["limit_rpm"] = rpm


def _change_model(model: dict[str, Any], rng: random.Random) -> None:
    """Change one field of a v1 model: its context length or its description."""
    if rng.random() < 0.5:
        model["context_length"] = rng.choice([8192, 32768, 131072, 200000, 1048576])
    else:
        model["description"] = f"{model.get('description') or ''} (updated)"


# --- the two ways -----------------------------------------------------------------------


class Ours:
    """The archiver's files, hour by hour: entity files that changed, the day's telemetry."""

    def __init__(self, uptime: UptimeSimulator) -> None:
        self.uptime = uptime
        self.previous: datetime | None = None
        self.tracked: dict[str, str] = {}
        self.blobs: dict[str, bytes] = {}
        self.problems: list[str] = []
        self.files_written = 0
        # One writer for every hour, as a process that syncs hour after hour keeps one.
        self.telemetry = TelemetryWriter()

    def read(self, blob: str) -> bytes:
        """Return a tracked blob's bytes."""
        return self.blobs[blob]

    def hour(self, upstream: Upstream, epoch: datetime) -> tuple[dict[str, bytes], list[str]]:
        """Return the files this hour's sync writes and removes."""
        # Variants' daily buckets are fetched on the sync's schedule (a few times a day each).
        schedule = Schedule.between(self.previous, epoch)
        due, later = schedule.split(sorted(upstream.variant_urls))
        observed = observe(upstream.fetched(frozenset(due)))
        plan = make_plan(observed, self.tracked, self.read)
        # The uptime windows due this hour, stitched as a sync stitches them.
        figures = {**observed.telemetry, UPTIME_KIND: self.uptime.windows(epoch)}
        unfetched = {VARIANT_KIND: later}
        written = self.telemetry.writes(figures, epoch, self.tracked, self.read, unfetched)
        self.previous = epoch
        self.problems += observed.problems + written.problems
        writes = {**plan.writes, **written.writes}
        if not self.tracked:
            writes["data/README.md"] = layout_readme()
        for path, data in writes.items():
            self._forget(path)
            self.tracked[path] = blob_id(data)
            self.blobs[self.tracked[path]] = data
        for path in plan.removals:
            self._forget(path)
        self.files_written += len(writes)
        return writes, plan.removals

    def _forget(self, path: str) -> None:
        """Drop a path's old blob (only the newest of each file is ever read)."""
        old = self.tracked.pop(path, None)
        if old is not None and old not in self.tracked.values():
            self.blobs.pop(old, None)


def usual_files(upstream: Upstream) -> dict[str, bytes]:
    """Return the usual way's files: each response as sent, grouped by source, URL -> body."""
    grouped: dict[str, dict[str, Any]] = {}
    for url, body in upstream.bodies.items():
        name = BASELINE_FILES[url.split("?", 1)[0]]
        grouped.setdefault(name, {})[url] = body
    return {name: orjson.dumps(responses) + b"\n" for name, responses in grouped.items()}


class Importer:
    """A `git fast-import` writing one branch of hourly commits into a new repository."""

    def __init__(self, path: Path) -> None:
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
        self.path = path
        self.marks = 0
        # No deltas while importing: the repack below searches them, the same way for both.
        command = ["git", "-C", str(path), "fast-import", "--quiet", "--big-file-threshold=1k"]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE)
        self.bytes = 0

    def commit(self, epoch: datetime, writes: dict[str, bytes], removals: list[str]) -> None:
        """Write one commit on main: these files written, those removed."""
        assert self.process.stdin is not None
        self.marks += 1
        stamp = int(epoch.timestamp()) + 240
        message = f"Sync {epoch:%Y-%m-%dT%H:%M:%SZ}\n".encode()
        parts = [
            b"commit refs/heads/main\nmark :%d\n" % self.marks,
            f"committer {SIGNATURE} {stamp} +0000\n".encode(),
            b"data %d\n%s\n" % (len(message), message),
        ]
        if self.marks > 1:
            parts.append(b"from :%d\n" % (self.marks - 1))
        parts += [f"D {path}\n".encode() for path in removals]
        for path, data in sorted(writes.items()):
            parts.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
            self.bytes += len(data)
        if self.marks in (1, 24):
            parts.append(b"\nreset refs/tags/hour-%d\nfrom :%d\n" % (self.marks, self.marks))
        self.process.stdin.write(b"".join(parts) + b"\n")

    def close(self) -> None:
        """Finish the import."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        if self.process.wait():
            raise SystemExit(f"git fast-import failed in {self.path}")


# --- packing ----------------------------------------------------------------------------


@dataclass
class Packed:
    """One way's figures: packed sizes after the first hour, the first day and every hour."""

    name: str
    hours: int
    raw_bytes: int = 0
    first_hour: int = 0
    first_day: int = 0
    packed: int = 0
    seconds: float = 0.0
    # {family: packed bytes of the objects added after the first day}.
    families: dict[str, int] = field(default_factory=dict)

    @property
    def whole_days(self) -> bool:
        """Tell whether growth is measured over whole days after the first (the best case)."""
        return self.hours >= 48 and self.hours % 24 == 0

    @property
    def per_hour(self) -> float:
        """Return the packed growth per hour after the first day (or hour, in a short run)."""
        if self.whole_days:
            return (self.packed - self.first_day) / (self.hours - 24)
        return (self.packed - self.first_hour) / max(1, self.hours - 1)

    @property
    def year(self) -> float:
        """Return the packed size after a year of hourly syncs, extrapolated linearly."""
        return self.packed + self.per_hour * (YEAR_HOURS - self.hours)


def pack(repo: Path, packed: Packed, window: int) -> None:
    """Repack as `git gc` does, then measure what the first hour and first day weigh in it."""
    started = time.perf_counter()
    git = ["git", "-C", str(repo)]
    options = [f"--window={window}", "--depth=50"]
    subprocess.run([*git, "repack", "-adfq", *options], check=True)
    counted = subprocess.run(
        [*git, "count-objects", "-v"], capture_output=True, text=True, check=True
    ).stdout
    figures = dict(line.split(": ", 1) for line in counted.splitlines())
    packed.packed = int(figures["size-pack"]) * 1024
    # Deltas reused from the full pack: the first hours' share of it, not a pack of their own.
    for hour in (1, 24) if packed.hours > 24 else (1,):
        size = len(
            subprocess.run(
                [*git, "pack-objects", "--revs", "--stdout", "-q", *options],
                input=b"refs/tags/hour-%d\n" % hour,
                capture_output=True,
                check=True,
            ).stdout
        )
        if hour == 1:
            packed.first_hour = size
        else:
            packed.first_day = size
    if packed.whole_days:
        packed.families = family_growth(repo, "refs/tags/hour-24")
    packed.seconds = time.perf_counter() - started


def family_growth(repo: Path, since: str) -> dict[str, int]:
    """Return the packed bytes of the objects added after `since`, by file family.

    A family is a folder of data/ (data/endpoint, data/telemetry/endpoint_uptime...), or the
    trees and commits; an object's bytes are its size in the pack (a delta where git made one).
    """
    git = ["git", "-C", str(repo)]
    listed = subprocess.run(
        [*git, "rev-list", "--objects", "main", f"^{since}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    paths = dict(line.partition(" ")[::2] for line in listed)
    checked = subprocess.run(
        [*git, "cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize:disk)"],
        input="".join(f"{name}\n" for name in paths),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    families: dict[str, int] = {}
    for line in checked:
        name, kind, size = line.split()
        family = _family(kind, paths[name])
        families[family] = families.get(family, 0) + int(size)
    return families


def _family(kind: str, path: str) -> str:
    """Return the family of an object: trees, commits, or its folder under data/."""
    if kind != "blob":
        return f"{kind}s"
    depth = 3 if path.startswith("data/telemetry/") else 2
    return "/".join(path.split("/")[:depth])


# --- the run ----------------------------------------------------------------------------


def run(args: argparse.Namespace, workdir: Path) -> tuple[Packed, Packed | None, Ours, float]:
    """Simulate the hours, import both ways (or ours alone), pack them; return the figures."""
    started = time.perf_counter()
    upstream = load_upstream(args.capture)
    simulated = simulator(upstream, args.seed, args.capture.parent)
    rng = random.Random(args.seed)
    rates = Rates(args.daily, args.prices)
    ours = Ours(UptimeSimulator(sorted(upstream.endpoint_copies), uptime_pool(), args.seed))
    mine = Importer(workdir / "ours")
    theirs = None if args.no_usual else Importer(workdir / "usual")
    for hour in range(args.hours):
        epoch = START + timedelta(hours=hour)
        if hour:
            next_hour(upstream, simulated, epoch, rates, rng)
        writes, removals = ours.hour(upstream, epoch)
        mine.commit(epoch, writes, removals)
        if theirs is not None:
            theirs.commit(epoch, usual_files(upstream), [])
        if args.progress and hour % 24 == 23:
            print(f"  {hour + 1} hours, {time.perf_counter() - started:.0f}s", file=sys.stderr)
    simulated_seconds = time.perf_counter() - started
    results: list[Packed | None] = []
    for name, importer in (("ours", mine), ("usual", theirs)):
        if importer is None:
            results.append(None)
            continue
        importer.close()
        packed = Packed(name, args.hours, raw_bytes=importer.bytes)
        pack(importer.path, packed, args.window)
        results.append(packed)
    assert results[0] is not None
    return results[0], results[1], ours, simulated_seconds


def table(
    args: argparse.Namespace, ours: Packed, usual: Packed | None, archive: Ours
) -> Iterator[str]:
    """Yield the report: what was simulated, then a Markdown table of both ways."""
    if args.hours >= YEAR_HOURS:
        scaled = "measured"
    elif ours.whole_days:
        scaled = f"extrapolated linearly from {args.hours} h: growth per day after the first"
    else:
        scaled = f"rough: extrapolated from {args.hours} h, less than two days"
    yield (
        f"growth bench: {args.hours} hourly syncs of {args.capture.name} moving on "
        f"(telemetry every hour; {args.daily:.0%} of endpoints and models changed a day, "
        f"{args.prices:.1%} of endpoints' prices an hour); "
        f"git repack -adf --window={args.window} --depth=50"
    )
    yield ""
    yield (
        f"| way | bytes committed | packed after {args.hours} h | growth per day "
        f"| packed after a year ({scaled}) |"
    )
    yield "|---|---|---|---|---|"
    for packed, label in (
        (ours, "ours (entity files + telemetry series)"),
        (usual, "usual (responses as sent, a few big files)"),
    ):
        if packed is None:
            continue
        yield (
            f"| {label} | {packed.raw_bytes / MB:,.0f} MB | {packed.packed / MB:,.1f} MB "
            f"| {packed.per_hour * 24 / MB:,.2f} MB | {packed.year / MB:,.0f} MB |"
        )
    if usual is not None:
        ratio = usual.year / ours.year
        yield ""
        yield f"usual / ours after a year: {ratio:.1f}x ({'smaller' if ratio > 1 else 'LARGER'})"
    yield from family_table(ours)
    if archive.problems:
        yield f"sync problems: {len(archive.problems)}, e.g. {archive.problems[0]}"


def family_table(ours: Packed) -> Iterator[str]:
    """Yield ours' growth per year by file family (measured after the first day), largest first."""
    if not ours.families:
        return
    scale = (YEAR_HOURS - 24) / (ours.hours - 24) / MB
    yield ""
    yield f"ours' growth a year by family (objects added after the first day, x{scale * MB:.0f}):"
    yield ""
    yield "| family | per day | a year |"
    yield "|---|---|---|"
    total = sum(ours.families.values())
    for family, size in sorted([*ours.families.items(), ("total", total)], key=lambda i: -i[1]):
        per_day = size * 24 / (ours.hours - 24) / MB
        yield f"| {family} | {per_day:,.2f} MB | {size * scale:,.0f} MB |"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=48, help="hours to simulate (default 48)")
    parser.add_argument("--daily", type=float, default=0.03, help="entities changed a day")
    parser.add_argument("--prices", type=float, default=0.003, help="prices changed an hour")
    parser.add_argument("--window", type=int, default=10, help="repack --window (default 10)")
    parser.add_argument("--capture", type=Path, help="daily capture (default: the newest)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the repositories here and keep them")
    parser.add_argument("--progress", action="store_true", help="report every simulated day")
    parser.add_argument("--no-usual", action="store_true", help="measure ours alone (faster)")
    args = parser.parse_args(argv)
    if args.hours < 2 or (args.hours > 24 and args.hours % 24):
        parser.error("--hours: give 2 to 24 hours, or whole days (48, 72, 168...)")
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
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        ours, usual, archive, simulated = run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="growth-bench-") as folder:
            ours, usual, archive, simulated = run(args, Path(folder))
    print("\n".join(table(args, ours, usual, archive)))
    usual_seconds = f" and {usual.seconds:.0f}s (usual)" if usual else ""
    print(
        f"simulated in {simulated:.0f}s, packed in {ours.seconds:.0f}s (ours){usual_seconds}; "
        f"bench took {time.perf_counter() - started:.0f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
