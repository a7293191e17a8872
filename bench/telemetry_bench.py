"""Telemetry benchmark: simulated hourly telemetry, stored, packed and read back.

Every hour ~1,300 endpoints and ~900 models (and, with --variants, model variants' effective
pricing and activity) get new telemetry drawn from the real value distributions of the newest
daily capture; a `telemetry.TelemetryWriter` turns it into files and each hour becomes
one commit, built straight into the object database with pygit2. Then it reports:

- the packed size (`git repack -adf --depth=50 --window=250`) against `xz -9` of the same
  series (what the readers return) written as one CSV;
- the time to read one endpoint's whole series and every endpoint's last 30 days.

`xz -9` of a year's CSV alone would take about an hour here, so by default it simulates 288
hours (12 days) and scales sizes and read times to a year and to 30 days: storage is one
folder of files per day, so both grow linearly. The output says which figures are scaled.

    python bench/telemetry_bench.py                     # 288 hours, ~5-8 minutes
    python bench/telemetry_bench.py --hours 1000 --no-xz --progress   # longer, no baseline
    python bench/telemetry_bench.py --hours 24 --endpoints 50 --models 30 --variants 8
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pygit2
from pygit2.enums import FileMode

from archiver import telemetry as telemetry_store
from archiver.capture.files import read_capture
from archiver.upstream import fields as telemetry
from archiver.upstream import sources

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "openrouter" / "captures"
# The full captures when ../shared is there, else the small ones committed with the tests.
CAPTURES = SHARED if SHARED.is_dir() else Path(__file__).resolve().parents[1] / "tests" / "captures"
# Uptime windows were captured only for the tests (the shared captures predate the source).
EXTRA = Path(__file__).resolve().parents[1] / "tests" / "captures" / "extra"
START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_HOURS = 8760
SIGNATURE = ("openrouter-archiver", "openrouter-archiver@users.noreply.github.com")
AIM_RATIO = 1.5
AIM_MB_PER_YEAR = 300
AIM_ONE_SECONDS = 1.0
AIM_RECENT_SECONDS = 5.0
# Hourly odds, from the captures and RESEARCH.md: status moves on ~7% of endpoints an hour;
# ~12% of endpoints' stats stay the same from one day to the next (idle endpoints).
STATUS_MOVES = 0.07
STATS_IDLE = 0.12
DEFAULT_TIER_SAME = 0.62
ARENA_MOVES = 0.03
ACTIVITY_REFRESH = 0.6
PRICING_REFRESH = 0.3
QUANTILES = (("p50", 0.5), ("p75", 0.75), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99))


# --- what the captures hold -------------------------------------------------------------


@dataclass
class Templates:
    """Real telemetry from the daily captures, the seeds of the simulation."""

    endpoints: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    variants: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[Any] = field(default_factory=list)
    float_share: dict[str, float] = field(default_factory=dict)
    # How often statsByTier.default equals stats whole, and its leaves' share equal when not.
    default_same: float = DEFAULT_TIER_SAME
    default_leaf_same: float = 0.0


def load_templates(folder: Path = CAPTURES / "daily") -> Templates:
    """Return the telemetry of the newest daily capture, with value distributions."""
    paths = sorted(folder.glob("*.jsonl.gz"))
    if not paths:
        raise SystemExit(f"no daily captures under {folder}; the benchmark needs them")
    templates = Templates()
    variants: dict[str, dict[str, Any]] = {}
    for response in read_capture(paths[-1]).responses:
        _take(templates, variants, response.url, response.body)
    templates.variants = list(variants.values())
    templates.float_share = _float_share(templates.endpoints)
    templates.default_same, templates.default_leaf_same = _default_tier_share(templates.endpoints)
    return templates


def _default_tier_share(endpoints: list[dict[str, Any]]) -> tuple[float, float]:
    """Return the share of endpoints whose statsByTier.default equals stats, and the share of
    leaves equal in those where it does not (in the captures: about 65% and 52%)."""
    pairs = [
        (figures["stats"], figures["statsByTier"]["default"])
        for figures in endpoints
        if isinstance(figures.get("stats"), dict)
        and isinstance((figures.get("statsByTier") or {}).get("default"), dict)
    ]
    differing = [(stats, default) for stats, default in pairs if stats != default]
    leaves = sum(len(stats) for stats, _ in differing)
    equal = sum(repr(default.get(k)) == repr(v) for s, default in differing for k, v in s.items())
    if not pairs or not leaves:
        return DEFAULT_TIER_SAME, 0.0
    return 1 - len(differing) / len(pairs), equal / leaves


def _take(templates: Templates, variants: dict[str, dict[str, Any]], url: str, body: Any) -> None:
    """Add one captured response's telemetry to the templates."""
    path, _, query = url.partition("?")
    if path == sources.ENDPOINT_STATS:
        for item in body["data"]:
            figures = telemetry.split_endpoint(item)[1]
            templates.endpoints.append(figures)
            templates.statuses.append(figures.get("status", 0))
    elif path == sources.V1_MODELS:
        templates.models += [telemetry.split_model(item)[1] for item in body["data"]]
    elif path in (sources.EFFECTIVE_PRICING, sources.MODEL_ACTIVITY):
        name = "effective_pricing" if path == sources.EFFECTIVE_PRICING else "model_activity"
        variants.setdefault(query, {})[name] = body["data"]


def _float_share(endpoints: list[dict[str, Any]]) -> dict[str, float]:
    """Return, per stats field, the share of values upstream sent as non-integers."""
    counts: dict[str, list[int]] = {}
    for figures in endpoints:
        stats = figures.get("stats")
        for name, value in (stats or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                seen = counts.setdefault(name, [0, 0])
                seen[0] += isinstance(value, float)
                seen[1] += 1
    return {name: floats / total for name, (floats, total) in counts.items()}


# --- the simulation ---------------------------------------------------------------------


def _number(value: float) -> int | float:
    """Return a value as upstream writes it: integral values as integers."""
    return int(value) if value == int(value) else value


class Simulator:
    """Hourly telemetry for N endpoints, models and variants, seeded by real figures."""

    def __init__(
        self, templates: Templates, endpoints: int, models: int, variants: int, seed: int = 7
    ) -> None:
        self.rng = random.Random(seed)
        self.templates = templates
        self.ids = [self._uuid() for _ in range(endpoints)]
        self.endpoint_base = [
            templates.endpoints[i % len(templates.endpoints)] for i in range(endpoints)
        ]
        self.endpoint_now: list[dict[str, Any]] = [{} for _ in range(endpoints)]
        self.model_keys = [f"sim-author-{i % 60}/model-{i}" for i in range(models)]
        bases = [templates.models[i % len(templates.models)] for i in range(models)]
        self.model_now = [dict(base) for base in bases]
        self.variant_keys = [f"sim-author-{i % 60}/variant-{i}" for i in range(variants)]
        self.variant_now = [
            _copy(templates.variants[i % len(templates.variants)]) for i in range(variants)
        ]

    def _uuid(self) -> str:
        """Return a random UUID (version 4 shaped)."""
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"

    def hour(self, epoch: datetime) -> dict[str, dict[str, dict[str, Any]]]:
        """Return one hour's observed telemetry, as `entities.observe` builds it."""
        observed: dict[str, dict[str, dict[str, Any]]] = {"endpoint": {}, "model": {}}
        for i, endpoint_id in enumerate(self.ids):
            figures = self._endpoint(i, endpoint_id)
            if figures:
                observed["endpoint"][endpoint_id] = figures
        for i, key in enumerate(self.model_keys):
            if self.model_now[i]:
                observed["model"][key] = self._model(i)
        if self.variant_keys:
            observed["model_variant"] = {
                key: self._variant(i, epoch) for i, key in enumerate(self.variant_keys)
            }
        return observed

    def _endpoint(self, i: int, endpoint_id: str) -> dict[str, Any]:
        """Return one endpoint's figures for the next hour."""
        base, now, rng = self.endpoint_base[i], self.endpoint_now[i], self.rng
        figures: dict[str, Any] = {}
        if "status" in base:
            moved = rng.random() < STATUS_MOVES or "status" not in now
            figures["status"] = rng.choice(self.templates.statuses) if moved else now["status"]
        for name, value in base.items():
            if name.startswith("status_heuristics") and isinstance(value, dict):
                figures[name] = {k: self._count(v) for k, v in value.items()}
        if isinstance(base.get("stats"), dict):
            idle = rng.random() < STATS_IDLE and "stats" in now
            stats = now["stats"] if idle else self._stats(base["stats"], endpoint_id)
            figures["stats"] = stats
            figures["statsByTier"] = self._tiers(base.get("statsByTier") or {}, stats, endpoint_id)
        elif "stats" in base:
            figures["stats"] = None
        if isinstance(base.get("routing_heuristics_by_tier"), dict):
            figures["routing_heuristics_by_tier"] = {
                tier: {k: self._jitter(v) for k, v in values.items()}
                for tier, values in base["routing_heuristics_by_tier"].items()
            }
        self.endpoint_now[i] = figures
        return figures

    def _count(self, value: Any) -> Any:
        """Return a request count for the next hour near the real one."""
        if not isinstance(value, int) or isinstance(value, bool):
            return value
        if value == 0:
            return self.rng.randint(1, 3) if self.rng.random() < 0.02 else 0
        return max(0, int(value * self.rng.lognormvariate(0, 0.25)))

    def _jitter(self, value: Any) -> Any:
        """Return a routing figure for the next hour near the real one."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value
        if isinstance(value, int):
            return max(0, int(value * self.rng.lognormvariate(0, 0.2)))
        if 0 < value < 1e-3:  # prices: they seldom move
            return value
        return value * self.rng.lognormvariate(0, 0.05)

    def _stats(self, base: dict[str, Any], endpoint_id: str) -> dict[str, Any]:
        """Return a stats object: percentiles interpolated from integer samples, as upstream."""
        rng = self.rng
        count = max(1, int(base.get("request_count", 10) * rng.lognormvariate(0, 0.4)))
        stats: dict[str, Any] = {"endpoint_id": endpoint_id}
        for measure in ("throughput", "latency"):
            low = max(1.0, float(base.get(f"p50_{measure}") or 1))
            high = max(low + 1, float(base.get(f"p99_{measure}") or low + 1))
            value = low * rng.lognormvariate(0, 0.15)
            for name, quantile in QUANTILES:
                field_name = f"{name}_{measure}"
                step = (high - low) * quantile / 4 * rng.random()
                value = int(value + step)
                if rng.random() < self.templates.float_share.get(field_name, 0.5):
                    position = quantile * (count - 1)
                    gap = rng.randint(1, max(1, int(step) + 1))
                    stats[field_name] = _number(value + gap * (position - int(position)))
                else:
                    stats[field_name] = value
        stats["request_count"] = count
        stats["window_minutes"] = base.get("window_minutes", 30)
        return stats

    def _tiers(
        self, base: dict[str, Any], stats: dict[str, Any], endpoint_id: str
    ) -> dict[str, Any]:
        """Return statsByTier: `default` mostly equals stats, other tiers drawn on their own.

        A `default` that is not stats whole still shares about half its leaves with it, as
        in the captures (drawn leaf by leaf at the captures' share).
        """
        tiers: dict[str, Any] = {}
        templates = self.templates
        for tier, values in base.items():
            same = tier == "default" and self.rng.random() < templates.default_same
            if same or not isinstance(values, dict):
                tiers[tier] = dict(stats) if same else values
                continue
            drawn = self._stats(values, endpoint_id)
            if tier == "default":
                for name, value in stats.items():
                    if self.rng.random() < templates.default_leaf_same:
                        drawn[name] = value
            tiers[tier] = drawn
        return tiers

    def _model(self, i: int) -> dict[str, Any]:
        """Return a model's figures: design arena rows whose elo moves now and then."""
        figures = self.model_now[i]
        arena = figures.get("benchmarks.design_arena")
        if isinstance(arena, list) and arena and self.rng.random() < ARENA_MOVES:
            rows = [dict(row) for row in arena]
            row = self.rng.choice(rows)
            if isinstance(row.get("elo"), int):
                row["elo"] += self.rng.randint(-8, 8)
                row["win_rate"] = round(self.rng.uniform(35, 70), 1)
            figures = {**figures, "benchmarks.design_arena": rows}
            self.model_now[i] = figures
        return figures

    def _variant(self, i: int, epoch: datetime) -> dict[str, Any]:
        """Return a variant's effective pricing and activity: daily rows, refreshed hourly."""
        now: dict[str, Any] = self.variant_now[i]
        activity = now.get("model_activity")
        refresh = self.rng.random()
        if isinstance(activity, dict) and activity.get("analytics") and refresh < ACTIVITY_REFRESH:
            now["model_activity"] = self._activity(activity, epoch)
        pricing = now.get("effective_pricing")
        summaries = isinstance(pricing, dict) and pricing.get("providerSummaries")
        if summaries and isinstance(pricing, dict) and refresh < PRICING_REFRESH:
            now["effective_pricing"] = self._pricing(pricing, epoch)
        return now

    def _activity(self, activity: dict[str, Any], epoch: datetime) -> dict[str, Any]:
        """Return model activity after a cache refresh: today's row grows, days roll over."""
        rows = [dict(row) for row in activity["analytics"]]
        today = f"{epoch:%Y-%m-%d} 00:00:00"
        if rows[0].get("date") != today:
            fresh = {k: (0 if isinstance(v, int) else v) for k, v in rows[0].items()}
            rows = [{**fresh, "date": today}, *rows][: len(activity["analytics"])]
        row, usual = rows[0], activity["analytics"][-1]
        for name, value in row.items():
            # Figures a model does not use (images, audio...) stay at zero.
            if type(value) is int and usual.get(name):
                row[name] = value + int(self.rng.expovariate(1) * (usual[name] // 24 + 1))
        cached = int(epoch.timestamp() * 1000) - self.rng.randint(0, 3_600_000)
        return {**activity, "analytics": rows, "cachedAt": cached}

    def _pricing(self, pricing: dict[str, Any], epoch: datetime) -> dict[str, Any]:
        """Return effective pricing after a refresh: tokens grow, charts gain a point a day."""
        result = dict(pricing)
        result["providerSummaries"] = [
            {**row, "totalTokens": int(row.get("totalTokens", 0) * self.rng.uniform(1, 1.02))}
            for row in pricing["providerSummaries"]
        ]
        day = f"{epoch:%Y-%m-%d} 00:00:00"
        for chart in ("inputChartData", "outputChartData"):
            points = pricing.get(chart)
            if isinstance(points, list) and points and points[-1].get("x") != day:
                result[chart] = [*points[1:], {**points[-1], "x": day}]
        return result


def _copy(value: Any) -> Any:
    """Return a deep copy of JSON data."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# --- hourly uptime windows ---------------------------------------------------------------

# Upstream's window: about 72 hours back from the current (still open) hour.
UPTIME_WINDOW_HOURS = 72
# Share of hours a window leaves out (no requests that hour), as in the extra captures.
UPTIME_HOLES = 0.04


def uptime_pool(folder: Path = EXTRA) -> list[Any]:
    """Return every hourly uptime value of the extra captures (the simulation draws from them)."""
    pool: list[Any] = []
    for path in sorted(Path(folder).glob("*.jsonl.gz")):
        for response in read_capture(path).responses:
            if response.url.startswith(sources.UPTIME_HOURLY) and isinstance(response.body, dict):
                history = (response.body.get("data") or {}).get("history") or []
                pool += [point.get("uptime") for point in history if isinstance(point, dict)]
    return pool or [100, 100, 99.5, None]


class UptimeSimulator:
    """Each sync's uptime windows, as `archiver.upstream.uptime` schedules and reads them.

    Every endpoint is due once a day (its slot by the sync's own schedule) and gets a window
    of the last 72 hours. A closed hour has one value for good; the current hour is still
    open, so its value is drawn again when the hour closes (the revision upstream makes).
    """

    def __init__(self, endpoint_ids: list[str], pool: list[Any], seed: int = 7) -> None:
        self.endpoint_ids = endpoint_ids
        self.pool = pool
        self.seed = seed
        self.previous: datetime | None = None

    def windows(self, epoch: datetime) -> dict[str, dict[str, Any]]:
        """Return {endpointId: {hour: uptime}} of the windows the sync at epoch fetches."""
        # Imported here: the benchmark's other simulations do not need the upstream schedule.
        from archiver.upstream.uptime import due_endpoints, uptime_schedule_at

        due = due_endpoints(self.endpoint_ids, uptime_schedule_at(self.previous, epoch))
        self.previous = epoch
        return {endpoint_id: self._window(endpoint_id, epoch) for endpoint_id in due}

    def _window(self, endpoint_id: str, epoch: datetime) -> dict[str, Any]:
        """Return one endpoint's window ending at the sync's (open) hour."""
        window: dict[str, Any] = {}
        for back in range(UPTIME_WINDOW_HOURS):
            hour = epoch - timedelta(hours=back)
            # Seeded by endpoint and hour: overlapping windows agree on every closed hour.
            rng = random.Random(f"{self.seed}/{endpoint_id}/{hour:%Y%m%d%H}/{back == 0}")
            if rng.random() >= UPTIME_HOLES:
                window[f"{hour:%Y-%m-%dT%H}:00:00Z"] = rng.choice(self.pool)
        return window


# --- the repository ---------------------------------------------------------------------


class Archive:
    """A bare repository the benchmark commits to, hour by hour, through the writer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.repo = pygit2.init_repository(str(path), initial_head="main")
        self.tracked: dict[str, str] = {}
        self.head: pygit2.Oid | None = None
        self.commits = 0
        self.samples = 0
        self.problems: list[str] = []
        self.signature = pygit2.Signature(*SIGNATURE)
        # One writer for every hour, as a process that syncs hour after hour keeps one.
        self.writer = telemetry_store.TelemetryWriter()

    def read(self, blob: str) -> bytes:
        """Return a blob's bytes."""
        return bytes(self.repo[blob].peel(pygit2.Blob).data)

    def sync(self, observed: dict[str, dict[str, dict[str, Any]]], epoch: datetime) -> None:
        """Write one hour's telemetry and commit it, as a sync would."""
        result = self.writer.writes(observed, epoch, self.tracked, self.read)
        self.samples += result.samples
        self.problems += result.problems
        if result.writes:
            self._commit(result.writes, epoch, result.samples)

    def _commit(self, writes: dict[str, bytes], epoch: datetime, samples: int) -> None:
        """Commit these files on top of HEAD."""
        index = pygit2.Index()
        if self.head is not None:
            index.read_tree(self.repo[self.head].peel(pygit2.Tree))
        for path, data in writes.items():
            blob = self.repo.create_blob(data)
            index.add(pygit2.IndexEntry(path, blob, FileMode.BLOB))
            self.tracked[path] = str(blob)
        tree = index.write_tree(self.repo)
        stamp = f"{epoch:%Y-%m-%dT%H:%M:%SZ}"
        message = (
            f"Sync {stamp}: telemetry\n\nSync-Epoch: {stamp}\n"
            f"Sync-Telemetry-Samples: {samples}\nSync-Duration: 41.0s\n"
        )
        parents = [self.head] if self.head is not None else []
        self.head = self.repo.create_commit(
            "refs/heads/main", self.signature, self.signature, message, tree, parents
        )
        self.commits += 1

    def pack(self) -> tuple[int, float]:
        """Repack everything as `git gc --aggressive` would; return (pack bytes, seconds)."""
        started = time.monotonic()
        git = ["git", "-C", str(self.path)]
        subprocess.run([*git, "repack", "-adfq", "--depth=50", "--window=250"], check=True)
        seconds = time.monotonic() - started
        packs = (self.path / ".git" / "objects" / "pack").glob("*.pack")
        return sum(p.stat().st_size for p in packs), seconds

    def check_out(self) -> None:
        """Write HEAD's files into the work tree, where the readers read them."""
        subprocess.run(["git", "-C", str(self.path), "reset", "-q", "--hard"], check=True)


# --- measurements -----------------------------------------------------------------------


def csv_rows(repo: Path, kinds: list[str]) -> Iterator[list[str]]:
    """Yield the whole stored series as one CSV: kind, key, epoch, then every column."""
    columns = list(
        dict.fromkeys(c for kind in kinds for c in telemetry_store.csv_columns(repo, kind))
    )
    yield ["kind", "key", "epoch", *columns]
    for kind in kinds:
        for key, sample in telemetry_store.iter_samples(repo, kind):
            cells = telemetry_store.csv_cells(sample)
            yield [kind, key, sample["epoch"], *(cells.get(column, "") for column in columns)]


def xz_of_csv(repo: Path, kinds: list[str]) -> tuple[int, int]:
    """Return (raw bytes, `xz -9` bytes) of the series as one CSV."""
    command = ["xz", "-9", "-T1", "-c"]
    raw = [0]
    with (
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as process,
        tempfile.TemporaryFile() as out,
    ):
        assert process.stdin is not None and process.stdout is not None
        # A thread drains xz's output, so that writing its input never blocks on a full pipe.
        drain = threading.Thread(target=shutil.copyfileobj, args=(process.stdout, out))
        drain.start()
        writer = csv.writer(_Counting(process.stdin, raw), lineterminator="\n")
        writer.writerows(csv_rows(repo, kinds))
        process.stdin.close()
        drain.join()
        return raw[0], out.tell()


class _Counting:
    """A text sink that encodes to a binary stream and counts the bytes."""

    def __init__(self, stream: Any, count: list[int]) -> None:
        self.stream, self.count = stream, count

    def write(self, text: str) -> int:
        """Write text as UTF-8."""
        data = text.encode()
        self.count[0] += len(data)
        self.stream.write(data)
        return len(text)


def timed(function: Any, *args: Any) -> tuple[Any, float]:
    """Return (result, seconds) of the best of three calls."""
    best, result = math.inf, None
    for _ in range(3):
        started = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - started)
    return result, best


# --- the run ----------------------------------------------------------------------------


@dataclass
class Report:
    """The figures of one run."""

    hours: int
    endpoints: int
    models: int
    variants: int
    commits: int = 0
    samples: int = 0
    pack_bytes: int = 0
    csv_bytes: int = 0
    xz_bytes: int = 0
    one_seconds: float = 0.0
    one_samples: int = 0
    recent_seconds: float = 0.0
    recent_samples: int = 0
    build_seconds: float = 0.0
    pack_seconds: float = 0.0
    xz_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def scale(self) -> float:
        """Return the factor from this run to a year of hourly syncs."""
        return YEAR_HOURS / self.hours


def run(args: argparse.Namespace, workdir: Path) -> Report:
    """Build the archive, pack it and measure it."""
    templates = load_templates()
    simulator = Simulator(templates, args.endpoints, args.models, args.variants, args.seed)
    archive = Archive(workdir / "archive")
    report = Report(args.hours, args.endpoints, args.models, args.variants)
    started = time.monotonic()
    for hour in range(args.hours):
        epoch = START + timedelta(hours=hour)
        archive.sync(simulator.hour(epoch), epoch)
        if args.progress and hour % 100 == 99:
            print(f"  {hour + 1} hours, {time.monotonic() - started:.0f}s", file=sys.stderr)
    report.build_seconds = time.monotonic() - started
    report.commits, report.samples, report.problems = (
        archive.commits,
        archive.samples,
        archive.problems,
    )
    report.pack_bytes, report.pack_seconds = archive.pack()
    archive.check_out()
    if simulator.ids:
        _measure_reads(archive.path, simulator.ids[0], report)
    kinds = ["endpoint", "model"] + (["model_variant"] if args.variants else [])
    if not args.no_xz:
        started = time.monotonic()
        report.csv_bytes, report.xz_bytes = xz_of_csv(archive.path, kinds)
        report.xz_seconds = time.monotonic() - started
    return report


def _measure_reads(repo: Path, endpoint_id: str, report: Report) -> None:
    """Time the two reads the site and the CLI make."""
    one, report.one_seconds = timed(telemetry_store.endpoint_series, repo, endpoint_id)
    recent, report.recent_seconds = timed(telemetry_store.recent_endpoint_series, repo, 30)
    report.one_samples = len(one)
    report.recent_samples = sum(len(samples) for samples in recent.values())


Row = tuple[str, str, str]
MB = 1e6


def table(report: Report) -> str:
    """Return the figures as a table: measured, scaled to a year, and the aims."""
    rows = [
        (
            "simulated",
            f"{report.hours} h, {report.endpoints} endpoints, {report.models} models, "
            f"{report.variants} variants; {report.commits} commits, {report.samples} rows",
            "",
        ),
        ("build (writer + commits)", f"{report.build_seconds / report.hours * 1000:.0f} ms/h", ""),
        ("git repack -adf --depth=50 --window=250", f"{report.pack_seconds:.0f} s", ""),
        *_size_rows(report),
        *_read_rows(report),
    ]
    width = max(len(label) for label, _, _ in rows)
    lines = [
        f"{label:<{width}}  {value}" + (f"   [{aim}]" if aim else "") for label, value, aim in rows
    ]
    if report.problems:
        lines.append(f"writer problems: {len(report.problems)}, e.g. {report.problems[0]}")
    return "\n".join(lines)


def _scaled(report: Report) -> str:
    """Return how year figures were obtained."""
    return (
        "measured" if report.hours >= YEAR_HOURS else f"x{report.scale:.2f} from {report.hours} h"
    )


def _size_rows(report: Report) -> list[Row]:
    """Return the rows about sizes."""
    rows = [
        ("packed repository", f"{report.pack_bytes / MB:.1f} MB", ""),
        (
            f"packed growth per year ({_scaled(report)})",
            f"{report.pack_bytes * report.scale / MB:.0f} MB",
            f"aim < {AIM_MB_PER_YEAR} MB",
        ),
    ]
    if report.xz_bytes:
        rows += [
            ("CSV of the same series", f"{report.csv_bytes / MB:.1f} MB", ""),
            ("xz -9 of that CSV", f"{report.xz_bytes / MB:.1f} MB ({report.xz_seconds:.0f} s)", ""),
            ("packed / xz", f"{report.pack_bytes / report.xz_bytes:.2f}x", f"aim <= {AIM_RATIO}x"),
            (
                f"xz -9 per year ({_scaled(report)})",
                f"{report.xz_bytes * report.scale / MB:.0f} MB",
                "the data itself",
            ),
        ]
    return rows


def _read_rows(report: Report) -> list[Row]:
    """Return the rows about read times, scaled to a year and to 30 days when shorter."""
    days = report.hours / 24
    rows = [
        ("one endpoint, whole series", f"{report.one_seconds:.3f} s ({report.one_samples})", ""),
        (
            f"one endpoint, a year ({_scaled(report)})",
            f"{report.one_seconds * report.scale:.3f} s",
            f"aim < {AIM_ONE_SECONDS} s",
        ),
        (
            f"every endpoint, last {min(30, days):.0f} days",
            f"{report.recent_seconds:.2f} s ({report.recent_samples} samples)",
            f"aim < {AIM_RECENT_SECONDS} s" if days >= 30 else "",
        ),
    ]
    if days < 30:
        rows.append(
            (
                f"every endpoint, last 30 days (x{30 / days:.2f})",
                f"{report.recent_seconds * 30 / days:.2f} s",
                f"aim < {AIM_RECENT_SECONDS} s",
            )
        )
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=int, default=288, help="hours to simulate (year: 8760)")
    parser.add_argument("--endpoints", type=int, default=1300)
    parser.add_argument("--models", type=int, default=900)
    parser.add_argument("--variants", type=int, default=0, help="model variants (real: ~800)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the archive here and keep it")
    parser.add_argument("--progress", action="store_true", help="report every 100 hours")
    parser.add_argument("--no-xz", action="store_true", help="skip the CSV and xz baseline")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> Report:
    """Run the benchmark and print its table."""
    args = parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        report = run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="telemetry-bench-") as folder:
            report = run(args, Path(folder))
    print(table(report))
    return report


if __name__ == "__main__":
    main()
