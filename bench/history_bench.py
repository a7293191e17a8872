"""History benchmark: a synthetic year of hourly syncs, the archiver's history reads against git's.

The archive is built fast, not through the sync: real endpoint files (one real sync of a
daily capture supplies them, with its models and providers) are cloned to ~1,300
endpoints, then every hour ~0.3% of them change (prices, context, supported parameters,
limits; now and then one is removed or returns) in one commit carrying a `Sync-Epoch`
trailer, like a sync's. `git fast-import` writes the year as one packfile, as a clone holds
it (pygit2 loose objects plus a repack took 10x longer). Then, in one run and on the same
files, it reports:

- `history.versions()` against `git log -p -- <file>` (without and with a commit-graph);
- `history.changes(since=one day ago)`;
- the derived index built from scratch and brought up to date after one new commit.

    python bench/history_bench.py               # the full year (8,760 commits), ~1 minute
    python bench/history_bench.py --hours 48    # a quick run
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pygit2

from archiver.canonical import canonical_bytes
from archiver.capture.replay import ReplayServer
from archiver.history import versions as history
from archiver.history.index import INDEX_FILE, HistoryIndex
from archiver.sync import SyncOptions, sync

CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "openrouter" / "captures"
START = datetime(2026, 1, 1, tzinfo=UTC)
SIGNATURE = ("openrouter-archiver", "openrouter-archiver@users.noreply.github.com")
AIM_SECONDS = 0.3
AIM_RATIO = 20.0
T = TypeVar("T")


@dataclass
class Year:
    """The synthetic archive: its repository and what the build did."""

    path: Path
    commits: int
    endpoints: int
    static_files: int
    changes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _State:
    """The endpoints while the year is built: live ones (in a stable order) and removed ones."""

    live: dict[str, dict[str, Any]]
    gone: dict[str, dict[str, Any]]
    order: list[str]
    changes: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        """Count one change of a kind."""
        self.changes[kind] = self.changes.get(kind, 0) + 1


def main(argv: list[str] | None = None) -> int:
    """Build the synthetic year, measure, print the table; return 1 if an aim was missed."""
    args = _arguments(argv)
    capture = args.capture or _newest_daily_capture()
    with tempfile.TemporaryDirectory(prefix="history-bench-") as scratch:
        where = Path(args.keep) if args.keep else Path(scratch)
        if (where / "year.git").exists():
            sys.exit(f"{where / 'year.git'} exists; pass --keep an empty or new folder")
        templates = template_files(capture, where / "template")
        year = build_year(where / "year.git", templates, args.hours, args.endpoints, args.rate)
        rows, aims = measure(year, args.repeat)
        print(_report(year, rows, args.rate, aims))
    return 0 if aims or not args.check else 1


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=8760, help="hourly commits (default 8760)")
    parser.add_argument("--endpoints", type=int, default=1300, help="endpoints (default 1300)")
    parser.add_argument("--rate", type=float, default=0.003, help="share changing per hour")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (median)")
    parser.add_argument("--capture", type=Path, help="daily capture to copy shapes from")
    parser.add_argument("--keep", help="build in this folder and keep it")
    parser.add_argument("--check", action="store_true", help="exit 1 when an aim is missed")
    return parser.parse_args(argv)


def _newest_daily_capture() -> Path:
    """Return the newest daily capture, or exit with a clear message."""
    found = sorted((CAPTURES / "daily").glob("*.jsonl.gz"))
    if not found:
        sys.exit(f"no daily capture under {CAPTURES / 'daily'}; pass --capture PATH")
    return found[-1]


# -- building the year ----------------------------------------------------------------


def template_files(capture: Path, repo: Path) -> dict[str, bytes]:
    """Return {path: bytes} of the archive one real sync of capture writes."""
    with ReplayServer(capture) as server:
        sync(repo, SyncOptions(base_url=server.base_url, epoch=server.capture.time))
    files: dict[str, bytes] = {}
    for path in (repo / "data").rglob("*.json"):
        files[path.relative_to(repo).as_posix()] = path.read_bytes()
    return files


def build_year(
    path: Path, templates: dict[str, bytes], hours: int, endpoints: int, rate: float
) -> Year:
    """Write the synthetic year into a new bare repository at path with `git fast-import`."""
    started = time.perf_counter()
    rng = random.Random(20260101)
    pygit2.init_repository(str(path), bare=True, initial_head="main")
    shapes = [orjson.loads(data) for p, data in sorted(templates.items()) if "/endpoint/" in p]
    live = {}
    for number in range(endpoints):
        endpoint = orjson.loads(orjson.dumps(shapes[number % len(shapes)]))
        endpoint["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        live[endpoint["id"]] = endpoint
    static = {p: data for p, data in templates.items() if "/endpoint/" not in p}
    state = _State(live=live, gone={}, order=sorted(live))
    first = {**static, **{_path(i): canonical_bytes(e) for i, e in live.items()}}
    # fast-import writes one packfile, as a clone holds it: no loose objects, no repack.
    command = ["git", f"--git-dir={path}", "fast-import", "--quiet", "--done"]
    with subprocess.Popen(command, stdin=subprocess.PIPE) as importer:
        assert importer.stdin is not None
        importer.stdin.write(_commit_record(START, "Initial archive", first, mark=1))
        for hour in range(1, hours):
            files = _hour(state, rng, endpoints * rate)
            epoch = START + timedelta(hours=hour)
            importer.stdin.write(_commit_record(epoch, f"Sync hour {hour}", files, mark=hour + 1))
        importer.stdin.write(b"done\n")
        importer.stdin.close()
    if importer.returncode:
        raise SystemExit(f"git fast-import failed (exit {importer.returncode})")
    year = Year(path, hours, endpoints, len(static), state.changes)
    year.seconds = time.perf_counter() - started
    return year


def _path(endpoint_id: str) -> str:
    return f"data/endpoint/{endpoint_id}.json"


def _hour(state: _State, rng: random.Random, mean: float) -> dict[str, bytes | None]:
    """Return the files one hour changes ({path: new bytes or None for deleted})."""
    files: dict[str, bytes | None] = {}
    for _ in range(_poisson(rng, mean)):
        endpoint_id, endpoint = _mutate(state, rng)
        files[_path(endpoint_id)] = None if endpoint is None else canonical_bytes(endpoint)
    return files


def _commit_record(epoch: datetime, summary: str, files: dict[str, Any], mark: int) -> bytes:
    """Return one fast-import commit: a sync at epoch writing and deleting files."""
    stamp = int(epoch.timestamp()) + 240  # committed a few minutes into the hour
    message = f"{summary}\n\nSync-Epoch: {epoch:%Y-%m-%dT%H:%M:%SZ}\n".encode()
    name, email = SIGNATURE
    parts = [
        f"commit refs/heads/main\nmark :{mark}\n".encode(),
        f"committer {name} <{email}> {stamp} +0000\n".encode(),
        b"data %d\n%s\n" % (len(message), message),
    ]
    if mark > 1:
        parts.append(b"from :%d\n" % (mark - 1))
    for path, data in sorted(files.items()):
        if data is None:
            parts.append(f"D {path}\n".encode())
        else:
            parts.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
    return b"".join(parts) + b"\n"


def _poisson(rng: random.Random, mean: float) -> int:
    """Return a Poisson-distributed count (Knuth's method; the mean here is small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _mutate(state: _State, rng: random.Random) -> tuple[str, dict[str, Any] | None]:
    """Change one endpoint the way real ones change, remove one, or bring one back."""
    roll = rng.random()
    if roll < 0.02 and len(state.live) > 1:
        endpoint_id = rng.choice(state.order)
        state.order.remove(endpoint_id)
        state.gone[endpoint_id] = state.live.pop(endpoint_id)
        state.count("removed")
        return endpoint_id, None
    if roll < 0.04 and state.gone:
        endpoint_id = rng.choice(sorted(state.gone))
        state.live[endpoint_id] = state.gone.pop(endpoint_id)
        state.order.append(endpoint_id)
        state.count("returned")
        return endpoint_id, state.live[endpoint_id]
    endpoint_id = rng.choice(state.order)
    state.count(_change_field(state.live[endpoint_id], rng))
    return endpoint_id, state.live[endpoint_id]


def _change_field(endpoint: dict[str, Any], rng: random.Random) -> str:
    """Change one field of an endpoint in place; return what kind of change it was."""
    roll = rng.random()
    if roll < 0.5:
        pricing = endpoint.setdefault("pricing", {})
        factor = rng.choice([0.5, 0.8, 0.9, 1.1, 1.25, 2.0])
        for name in ("prompt", "completion"):
            old = float(pricing.get(name) or "0.000001")
            pricing[name] = f"{old * factor:.12f}".rstrip("0")
        return "price"
    if roll < 0.7:
        endpoint["context_length"] = rng.choice([8192, 32768, 131072, 200000, 262144, 1048576])
        return "context"
    if roll < 0.9:
        parameters = endpoint.setdefault("supported_parameters", [])
        if "tools" in parameters:
            parameters.remove("tools")
        else:
            parameters.append("tools")
        return "parameters"
    endpoint["limit_rpm"] = rng.choice([None, 20, 60, 600])
    return "limits"


# -- measuring ------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the report: what was timed, the archiver's figure, git's, their ratio."""

    what: str
    archiver: float
    git: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Return how many times faster the archiver was than git."""
        return self.git / self.archiver if self.git and self.archiver else None


def measure(year: Year, repeat: int) -> tuple[list[Row], bool]:
    """Time every query on the year; return the rows and whether the aims were met."""
    repo = year.path
    rebuild = Row("index: build from scratch", _time(lambda: _rebuild(repo), 3))
    plain, aims = [], True
    for label, path in zip(
        ("a typical endpoint", "the busiest endpoint"), _sample_files(repo), strict=True
    ):
        key = Path(path).stem
        found = history.versions(repo, "endpoint", key)
        _check_versions(repo, path, found)
        seconds = _time(functools.partial(history.versions, repo, "endpoint", key), repeat)
        git_seconds = _time(functools.partial(_git_log_p, repo, path), repeat)
        plain.append((f"{label} ({len(found)} versions)", path, seconds, git_seconds))
        aims &= seconds < AIM_SECONDS and git_seconds / seconds >= AIM_RATIO
    rows = [rebuild]
    rows += [Row(f"log: {label}", seconds, git, "git log -p") for label, _, seconds, git in plain]
    # git's best case: changed-path Bloom filters (the index does not need them).
    subprocess.run(["git", f"--git-dir={repo}", "commit-graph", "write", "--reachable",
                    "--changed-paths"], check=True, capture_output=True)  # fmt: skip
    for label, path, seconds, _ in plain:
        graphed = _time(functools.partial(_git_log_p, repo, path), repeat)
        rows.append(Row(f"log: {label.split(' (')[0]}, git with commit-graph", seconds, graphed))
    rows += _query_rows(repo, repeat)
    rows.append(Row("index: update after one new commit", _time_new_commit(repo, repeat)))
    rows.append(Row("index: up to date, open and check HEAD", _time(lambda: _reopen(repo), repeat)))
    return rows, aims


def _query_rows(repo: Path, repeat: int) -> list[Row]:
    """Time changes(since one day) and the state of the archive at mid-year."""
    newest = history.changes(repo)[0].epoch
    since = newest - timedelta(days=1)
    day = history.changes(repo, since=since)
    count = sum(len(group.changes) for group in day)
    middle = newest - (newest - START) / 2
    endpoints = history.category_at(repo, "endpoint", middle)
    key = sorted(endpoints)[len(endpoints) // 2]
    return [
        Row(
            f"changes --since one day ({len(day)} syncs, {count} changes)",
            _time(lambda: history.changes(repo, since=since), repeat),
        ),
        Row(
            "show --at mid-year: one endpoint",
            _time(lambda: history.entity_at(repo, "endpoint", key, middle), repeat),
        ),
        Row(
            f"show --at mid-year --all endpoint ({len(endpoints)})",
            _time(lambda: history.category_at(repo, "endpoint", middle), repeat),
        ),
    ]


def _sample_files(repo: Path) -> tuple[str, str]:
    """Return (a file with the median number of commits, the file with the most)."""
    out = subprocess.run(
        ["git", f"--git-dir={repo}", "log", "--format=", "--name-only", "--", "data/endpoint/"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    counts: dict[str, int] = {}
    for path in out.split():
        counts[path] = counts.get(path, 0) + 1
    ranked = sorted(counts, key=lambda path: (counts[path], path))
    changed = [path for path in ranked if counts[path] > 1] or ranked
    return changed[len(changed) // 2], ranked[-1]


def _check_versions(repo: Path, path: str, found: list[history.Version]) -> None:
    """Fail loudly unless versions() lists exactly the commits git log lists for the file."""
    listed = subprocess.run(
        ["git", f"--git-dir={repo}", "log", "--format=%H", "--", path],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    if [version.commit for version in found] != listed:
        raise SystemExit(f"versions() of {path} differ from git log: the index is wrong")


def _git_log_p(repo: Path, path: str) -> None:
    """Run git log -p on one file, output discarded."""
    subprocess.run(
        ["git", f"--git-dir={repo}", "log", "-p", "--", path], check=True, stdout=subprocess.PIPE
    )


def _rebuild(repo: Path) -> None:
    """Delete the index and build it again."""
    (repo / INDEX_FILE).unlink(missing_ok=True)
    HistoryIndex(repo).close()


def _reopen(repo: Path) -> None:
    """Open the index when it is already up to date."""
    HistoryIndex(repo).close()


def _time_new_commit(repo: Path, repeat: int) -> float:
    """Return the median time to bring the index up to date after one new hourly commit."""
    git_repo = pygit2.Repository(str(repo))
    rng = random.Random(7)
    timings = []
    for _ in range(repeat):
        HistoryIndex(repo).close()
        _add_hour(git_repo, rng)
        started = time.perf_counter()
        HistoryIndex(repo).close()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _add_hour(repo: pygit2.Repository, rng: random.Random) -> None:
    """Commit one more hour on top of main, changing a few endpoints' prices."""
    head = repo.head.peel(pygit2.Commit)
    endpoint_tree = head.tree["data/endpoint"]
    assert isinstance(endpoint_tree, pygit2.Tree)
    # Entries of a tree always have a name; pygit2 types Object.name as optional.
    names = sorted(entry.name for entry in endpoint_tree if entry.name is not None)
    builder = repo.TreeBuilder(endpoint_tree)
    for name in rng.sample(names, 4):
        blob = repo.get(endpoint_tree[name].id)
        assert isinstance(blob, pygit2.Blob)
        endpoint = orjson.loads(blob.data)
        endpoint["limit_rpm"] = rng.randint(1, 10_000)
        builder.insert(name, repo.create_blob(canonical_bytes(endpoint)), pygit2.GIT_FILEMODE_BLOB)
    tree = _replace_subtree(repo, head.tree, builder.write())
    epoch = datetime.fromtimestamp(head.commit_time - 240, UTC) + timedelta(hours=1)
    stamp = int(epoch.timestamp()) + 240
    signature = pygit2.Signature(*SIGNATURE, stamp, 0)
    message = f"Sync\n\nSync-Epoch: {epoch:%Y-%m-%dT%H:%M:%SZ}\n"
    repo.create_commit("refs/heads/main", signature, signature, message, tree, [head.id])


def _replace_subtree(
    repo: pygit2.Repository, root: pygit2.Tree, endpoints: pygit2.Oid
) -> pygit2.Oid:
    """Return root's id with data/endpoint replaced."""
    data_tree = root["data"]
    assert isinstance(data_tree, pygit2.Tree)
    data = repo.TreeBuilder(data_tree)
    data.insert("endpoint", endpoints, pygit2.GIT_FILEMODE_TREE)
    top = repo.TreeBuilder(root)
    top.insert("data", data.write(), pygit2.GIT_FILEMODE_TREE)
    return top.write()


def _time(action: Callable[[], T], repeat: int) -> float:
    """Return the median wall time of action over repeat runs."""
    timings = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


# -- reporting ------------------------------------------------------------------------


def _report(year: Year, rows: list[Row], rate: float, aims: bool) -> str:
    """Return the figures as a plain-text table with a header about the year and machine."""
    changes = ", ".join(f"{count} {kind}" for kind, count in sorted(year.changes.items()))
    lines = [
        f"synthetic year: {year.commits:,} hourly commits, {year.endpoints:,} endpoints "
        f"(+{year.static_files:,} model and provider files), {rate:.1%} of endpoints per hour",
        f"  {sum(year.changes.values()):,} endpoint changes ({changes}); "
        f"built and packed in {year.seconds:.1f} s",
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {_git_version()}, pygit2 {_pygit2_version()} "
        f"(libgit2 {pygit2.LIBGIT2_VERSION})",
        "",
        f"{'query':<58} {'archiver':>10} {'git':>10} {'ratio':>8}",
        "-" * 89,
    ]
    for row in rows:
        git = f"{_ms(row.git)}" if row.git is not None else ""
        ratio = f"{row.ratio:.0f}x" if row.ratio is not None else ""
        lines.append(f"{row.what:<58} {_ms(row.archiver):>10} {git:>10} {ratio:>8}")
    verdict = "met" if aims else "MISSED"
    lines += [
        "",
        f"aims (log under {AIM_SECONDS} s, {AIM_RATIO:.0f}x faster than git log -p): {verdict}",
    ]
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    """Return seconds as milliseconds for the table."""
    return f"{seconds * 1000:.1f} ms"


def _git_version() -> str:
    out = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
    return out.strip().removeprefix("git version ").join(["git ", ""])


def _pygit2_version() -> str:
    """Return the installed pygit2's version."""
    return importlib.metadata.version("pygit2")


if __name__ == "__main__":
    sys.exit(main())
