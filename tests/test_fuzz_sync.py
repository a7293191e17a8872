"""Hostile upstream responses, drawn at random: a sync ends, couples nothing, loses nothing.

tests/test_audit21_drift.py turns each field the archiver reads into each other JSON type,
one at a time. This draws what it does not: one response of a real small hour (five models,
every source the sync asks for) mutated anywhere, in fields the archiver never reads as in
its keys, several places at once, with odd values (empty, `/`, `..`, NUL, escaped lone
surrogates, 70,000 characters, `1e308`, `-0.0`, `1e-400`, 30-digit integers, nesting past
what a file holds), whole listings replaced (a list, null, text, `{}`), bodies cut at a
random byte or with one byte changed, a listing's items duplicated or taken from another
response. Each example is one in-process sync of that hour on top of an archive of the hour
before, and:

- the sync returns (no exception at all); in its commit each problem is one `- ` line and
  the trailers stay a paragraph of their own (upstream text cannot break a line there);
- every file of data/ the mutated response does not carry is byte-identical to a clean sync
  of the same hour (telemetry: every series kind the response does not feed); an item
  listed twice alike changes nothing at all;
- an entity file the response carries is never removed unless the mutation took that entity
  out of its listing; a single edit inside one entity (not of a key, an embedded copy of
  another entity or telemetry) is archived exactly as sent, or the file kept as it was with
  a new line saying why; a cut or non-object body always gets a line;
- nothing is written outside data/ and .git, the work tree matches HEAD, and every file
  still parses: entity files canonical JSON, every telemetry series readable.

What it does not check: the telemetry series' values (only which kinds may change), and
what exactly a structural mutation (a key, a whole listing, a duplicate) archives beyond
"parses, not removed without cause"; the drift matrix pins those field by field.

A second property: a listing sent in another order, perhaps with one key twice (the copies
differing in one field), gives byte-identical data/ (no file flips between two syncs).

Bugs this found, each now a case of its own below: `1e400` in an endpoint ended the sync
with orjson's JSONDecodeError (the documented listings' mapping read the new file with
orjson; two readers of archived endpoint files skipped such a file as corrupt, losing a
model's documented figures and the fetch of an unfeatured model's listing); a key listed
twice with one copy nested too deep ended it with NestingError, as did a documented price
nested too deep (written as JSON to compare it with the file's); a key listed twice as `0`
and `false` (or `1` and `1.0`) kept whichever came first, as the ZDR list did for an
endpoint listed twice, so a file flipped with upstream's order.

In the suite the examples are derandomized (the same ones on every run). To hunt, draw
many more at random: `ARCHIVER_FUZZ_EXAMPLES=1000 ARCHIVER_FUZZ_RANDOM=1 pytest -p no:randomly
-n 0 tests/test_fuzz_sync.py`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from archiver import jsonvalue
from archiver.archive.synclog import SyncLog
from archiver.archive.zdr_ledger import LEDGER_PATH
from archiver.canonical import canonical_bytes, is_canonical, json_bytes
from archiver.capture.files import Capture, canonical_url
from archiver.capture.routes import CACHE_BUSTER
from archiver.capture.transport import ReplayTransport
from archiver.errors import ArchiverError
from archiver.paths import Category, key_to_path
from archiver.sync import SyncOptions, sync
from archiver.telemetry import iter_samples
from archiver.upstream import sources
from archiver.upstream.endpoints import ABSENT_FIELD, OWN_FIELD
from archiver.upstream.entities import catalog_key
from archiver.upstream.fetch import FetchPolicy
from archiver.upstream.fields import is_endpoint_telemetry
from tests.archive_helpers import built_once, git
from tests.test_audit21_drift import TELEMETRY_KINDS, cheap_copy, data_files, hour

# A sync of the small hour takes about 0.1 s: 100 examples, and 40 of two syncs each for the
# order, run in about 25 s on one core. The same examples on every run unless asked to hunt.
EXAMPLES = int(os.environ.get("ARCHIVER_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    derandomize=not os.environ.get("ARCHIVER_FUZZ_RANDOM"),
    deadline=None,
    max_examples=EXAMPLES,
    database=None,
    # No shrinking: a failing example is reported as drawn, its mutation and every problem
    # in the message; shrinking one costs minutes of syncs for little.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
FUZZ_ORDER = settings(FUZZ, max_examples=max(1, EXAMPLES * 2 // 5))
HOUR = timedelta(hours=1)
Path_ = tuple[str | int, ...]
Files = dict[str, bytes]

# --- what each response carries -------------------------------------------------------------

SOURCE_PATHS = {
    sources.V1_MODELS: "v1-models",
    sources.CATALOG_MODELS: "catalog",
    sources.ALL_PROVIDERS: "all-providers",
    sources.V1_PROVIDERS: "v1-providers",
    sources.ENDPOINT_STATS: "endpoints",
    sources.EFFECTIVE_PRICING: "effective-pricing",
    sources.MODEL_ACTIVITY: "model-activity",
    sources.UPTIME_HOURLY: "uptime-hourly",
    sources.ZDR_ENDPOINTS: "zdr",
}
# Where an entity listing's item is kept in its file, and its fields that are no plain part
# of it (keys, embedded copies of other entities, telemetry): an edit there is structural.
ITEM_ROOTS: dict[str, tuple[Category, str | None]] = {
    "v1-models": ("model", "v1"),
    "catalog": ("model", "catalog"),
    "all-providers": ("provider", "all_providers"),
    "v1-providers": ("provider", "v1"),
    "endpoints": ("endpoint", None),
}
STRUCTURAL = {
    "v1-models": {"id", "benchmarks"},
    "catalog": {"slug", "permaslug", "endpoint"},
    "all-providers": {"slug"},
    "v1-providers": {"slug"},
    "endpoints": {
        "id",
        "model",
        "model_variant_slug",
        "model_variant_permaslug",
        "variant",
        "provider_slug",
        "provider_info",
        OWN_FIELD,
        ABSENT_FIELD,
    },
}


def source_of(url: str) -> str:
    """Return the name of the source a URL calls."""
    path = sources.source_path(url)
    return "documented" if path == sources.DOCUMENTED_ENDPOINTS else SOURCE_PATHS[path]


# --- odd values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text put into a body as it is (what orjson would not write), and what it means
    once archived (None: no exact expectation)."""

    text: bytes
    meaning: Any = None
    exact: bool = False
    # Levels of nesting: past what a JSON reader takes (orjson: 1,024 levels, counted from
    # the body's top), the body is read with the value cut, with a line saying so, and the
    # entity holding it is refused (what a structural mutation may change is the response's).
    depth: int = 0


def _number(text: str) -> Raw:
    return Raw(text.encode(), jsonvalue.loads(text), True)


NUMBERS = [
    _number(text)
    for text in (
        "1e308",
        "-1e308",
        "1.7976931348623157e+308",
        "5e-324",
        "-0.0",
        "1e-400",
        "1e400",
        "0e1000000000000000000",
        "1e999999999999999999",
        "9" * 5000,
        "123456789012345678901234567890",
        "-123456789012345678901234567890.5",
        "9007199254740993",
        "18446744073709551616",
        "1e+21",
        "0.1",
        "0",
        "-1",
    )
]
SURROGATES = [
    Raw(b'"\\ud800"', "\ufffd", True),
    Raw(b'"\\udfff"', "\ufffd", True),
    Raw(b'"cut \\ud83d"', "cut \ufffd", True),
    Raw(b'"\\ud83d\\ude00"', "\U0001f600", True),
]
NESTED = [Raw(b"[" * n + b"]" * n, depth=n) for n in (254, 255, 256, 1000, 5000)]
NESTED += [Raw(b'{"a":' * n + b"1" + b"}" * n, depth=n) for n in (200, 300)]
READABLE_LEVELS = 1024
TEXTS = [
    "",
    "/",
    "..",
    "../..",
    "../../../etc/passwd",
    "/etc/passwd",
    ".git",
    "a/../../b",
    "\x00",
    "a\x00b",
    "\u2028",
    "\U0001f600",
    ":",
    "CON",
    "~",
    " ",
    "\\",
    '"',
    "\t\n",
    "<script>alert(1)</script>",
    "x" * 70_000,
    "é" * 300,
]
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
VALUES = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 1.5, [], {}, [{}], {"": None}]),
    st.sampled_from(TEXTS),
    st.sampled_from(NUMBERS + SURROGATES + NESTED),
    JSON_VALUES,
)
KEYS = st.one_of(
    st.sampled_from(TEXTS),
    st.sampled_from(SURROGATES),
    st.text(max_size=10),
)


# What a mutation does to its response (edits twice as often: they have the most places).
KINDS = ["edit", "edit", "field", "field", "several", "listing", "cut", "flip", "duplicate"]
KINDS += ["foreign"]
# What a whole listing, or a whole body, is replaced by.
REPLACEMENTS: list[Any] = [[], None, "", "x", {}, [None], 0]

# --- mutations ----------------------------------------------------------------------------------


@dataclass
class Mutation:
    """One response mutated: the bytes sent, and what the mutation may change."""

    url: str
    kind: str
    body: Any
    raws: list[Raw] = field(default_factory=list)
    items: set[int] = field(default_factory=set)  # positions in the clean listing's data
    whole: bool = False  # the whole response (not only some items) may change
    removes: set[int] = field(default_factory=set)  # items it takes out of the listing
    foreign: list[tuple[str, Any]] = field(default_factory=list)  # (source, item) brought in
    edit: tuple[Path_, str, Any] | None = None  # one in-item edit: (path, op, meaning)
    broken: bool = False  # no response the sync can take: a line must say so
    cut: bytes | None = None  # the body as sent, when it is no JSON at all

    def wire(self) -> bytes:
        """Return the body as sent."""
        if self.cut is not None:
            return self.cut
        text = jsonvalue.dumps(self.body)
        for number, raw in enumerate(self.raws):
            text = text.replace(json_bytes(_mark(number)), raw.text)
        return text

    def put(self, value: Any) -> Any:
        """Return a value as it goes into the body (a mark standing for raw text)."""
        if isinstance(value, Raw):
            # Deep enough that, where it lands, the body may be no JSON at all.
            self.whole = self.whole or value.depth > READABLE_LEVELS - 50
            self.broken = self.broken or value.depth > READABLE_LEVELS
            self.raws.append(value)
            return _mark(len(self.raws) - 1)
        # A copy: the drawn value may be one of the strategies' own (a shared `[]`).
        return jsonvalue.loads(json_bytes(value))


def _mark(number: int) -> str:
    return f"@@fuzz-raw-{number}@@"


def node_paths(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Yield the path of every node under a value (not the value itself)."""
    if isinstance(value, dict | list):
        for name, child in value.items() if isinstance(value, dict) else enumerate(value):
            yield (*path, name)
            yield from node_paths(child, (*path, name))


def holder_of(body: Any, path: Path_) -> Any:
    """Return the container holding the node at path."""
    for step in path[:-1]:
        body = body[step]
    return body


def meaning(value: Any) -> tuple[Any, bool]:
    """Return what a drawn value means once archived, and whether that is known exactly."""
    if isinstance(value, Raw):
        return value.meaning, value.exact
    return value, True


def _item_of(body: Any, path: Path_) -> int | None:
    """Return the listing position a path lies in (None: not inside one item of `data`)."""
    if len(path) >= 2 and path[0] == "data" and isinstance(path[1], int):
        data = body.get("data") if isinstance(body, dict) else None
        return path[1] if isinstance(data, list) else None
    return None


def field_paths(body: Any) -> list[Path_]:
    """Return the path of every field of a listing's items, and of the fields inside those:
    where keys, references and prices are, which a node drawn from all is seldom."""
    data = body.get("data") if isinstance(body, dict) else None
    found: list[Path_] = []
    for position, item in enumerate(data if isinstance(data, list) else []):
        for name, value in item.items() if isinstance(item, dict) else ():
            found.append(("data", position, name))
            inner = value.items() if isinstance(value, dict) else ()
            found += [("data", position, name, child) for child, _ in inner]
    return found


def edit_node(draw: st.DrawFn, mutation: Mutation, alone: bool, only: bool = False) -> None:
    """Replace, remove, add or rename one node of the body (only: one of its items' fields)."""
    body = mutation.body
    paths = field_paths(body) if only else list(node_paths(body))
    if not paths:
        mutation.whole = True
        return
    path = paths[draw(st.integers(0, len(paths) - 1))]
    holder = holder_of(body, path)
    ops = ["value", "remove", "add-key", "rename-key"] if isinstance(holder, dict) else []
    ops = ops or ["value", "remove", "insert"]
    op = draw(st.sampled_from(ops))
    position = _item_of(body, path)
    if position is None or (len(path) == 2 and not alone and op in ("remove", "insert")):
        mutation.whole = True
        if not alone and len(path) == 2 and op in ("remove", "insert"):
            op = "value"  # Positions after it would shift under the other edits.
    if position is not None:
        mutation.items.add(position)
        if len(path) == 2 or path[2] in STRUCTURAL.get(source_of(mutation.url), ()):
            # The item itself is gone or no longer itself, or filed under another key.
            mutation.removes.add(position)
    last = path[-1]
    if op == "value":
        value = draw(VALUES)
        holder[last] = mutation.put(value)
        edit: tuple[Path_, str, Any] | None = (path, op, meaning(value))
    elif op == "remove":
        del holder[last]
        edit = (path, op, (None, True))
    elif op == "insert":
        value = draw(VALUES)
        holder.insert(int(last), mutation.put(value))
        edit = (path, op, meaning(value))
    else:
        key = draw(KEYS)
        text_key = key.meaning if isinstance(key, Raw) else key
        if text_key in holder or not isinstance(text_key, str):
            return
        marked = mutation.put(key)
        value = holder.pop(last) if op == "rename-key" else draw(VALUES)
        if op == "add-key":
            holder[marked] = mutation.put(value)
            edit = ((*path[:-1], text_key), "value", meaning(value))
        else:
            holder[marked] = value
            edit = None  # A rename is a remove and an add: left to the weak checks.
    mutation.edit = edit if alone else None


@st.composite
def mutations(draw: st.DrawFn, world: World) -> Mutation:
    """Draw one mutation of one response of the hour."""
    clean, by_source = world.bodies, world.by_source
    source = draw(st.sampled_from(sorted(by_source)))
    url = draw(st.sampled_from(by_source[source]))
    body = jsonvalue.loads(json_bytes(clean[url]))
    kind = draw(st.sampled_from(KINDS))
    mutation = Mutation(url, kind, body)
    data = body.get("data") if isinstance(body, dict) else None
    if kind in ("edit", "field"):
        edit_node(draw, mutation, alone=True, only=kind == "field")
    elif kind == "several":
        for _ in range(draw(st.integers(2, 6))):
            edit_node(draw, mutation, alone=False)
    elif kind == "listing":
        replacement: Any = draw(st.sampled_from(REPLACEMENTS))
        where = draw(st.sampled_from(["body", "data"])) if isinstance(body, dict) else "body"
        mutation.whole = True
        mutation.removes = set(range(len(data))) if isinstance(data, list) else set()
        if where == "body":
            mutation.body = replacement
            mutation.broken = not isinstance(replacement, dict)
        else:
            body["data"] = replacement
    elif kind == "flip":
        # One byte changed anywhere: invalid UTF-8, a digit, a quote, a bracket.
        flipped = bytearray(mutation.wire())
        flipped[draw(st.integers(0, len(flipped) - 1))] = draw(st.integers(0, 255))
        mutation.cut = bytes(flipped)
        mutation.whole = True
        mutation.removes = set(range(len(data))) if isinstance(data, list) else set()
    elif kind == "cut":
        whole = mutation.wire()
        mutation.cut = whole[: draw(st.integers(0, len(whole) - 1))]
        mutation.whole = mutation.broken = True
        mutation.removes = set(range(len(data))) if isinstance(data, list) else set()
    elif kind in ("duplicate", "foreign") and isinstance(data, list) and data:
        position = draw(st.integers(0, len(data) - 1))
        if kind == "duplicate":
            # The same item twice is the same data: nothing may differ from a clean sync.
            item = jsonvalue.loads(json_bytes(data[position]))
        else:
            donor = draw(st.sampled_from(by_source.get(source, [url]) + by_source["v1-models"]))
            donated = clean[donor].get("data") if isinstance(clean[donor], dict) else None
            if not isinstance(donated, list) or not donated:
                return mutation
            item = jsonvalue.loads(json_bytes(donated[draw(st.integers(0, len(donated) - 1))]))
            mutation.foreign.append((source_of(donor), item))
            mutation.whole = True  # Another model's item in this model's listing.
        data.insert(draw(st.integers(0, len(data))), item)
        if kind == "foreign":
            mutation.removes = set(range(len(data) - 1))  # any may read as gone
    return mutation


# --- the world: a base archive, the clean hour, what each response carries ----------------------


@dataclass
class World:
    """The base archive, the clean sync of the hour on top of it, and its responses."""

    base: Path
    capture: Capture
    bodies: dict[str, Any]
    by_source: dict[str, list[str]]
    base_files: Files
    clean_files: Files
    clean_lines: set[str]
    clean_outside: Files
    scratch: Path

    def __repr__(self) -> str:
        # Hypothesis shows the strategy's arguments: not megabytes of responses.
        return f"World({self.base})"


def options(transport: ReplayTransport, capture: Capture) -> SyncOptions:
    """Return the options of one in-process sync of a capture, one attempt per request."""
    policy = FetchPolicy(attempts=1)
    return SyncOptions(
        base_url=transport.base_url, transport=transport, epoch=capture.time, policy=policy
    )


def outside_data(repo: Path) -> Files:
    """Return {path: bytes} of every file of the work tree outside data/ and .git."""
    return {
        str(path.relative_to(repo)): path.read_bytes()
        for path in repo.rglob("*")
        if path.is_file() and path.relative_to(repo).parts[0] not in ("data", ".git")
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Build the base archive once for the run; sync the clean hour into a copy of it."""

    def build(folder: Path) -> None:
        capture = hour(0)
        log = sync(folder / "archive", options(ReplayTransport(capture), capture))
        assert log.commit_id and not log.failures, log.failures
        # One pack: a copy per example is a few files, not hundreds of loose objects.
        subprocess.run(["git", "-C", str(folder / "archive"), "gc", "-q"], check=True)

    base = built_once(tmp_path_factory, "fuzz-base", build) / "archive"
    capture = hour(1)
    clean = cheap_copy(base, tmp_path_factory.mktemp("fuzz-clean") / "archive")
    transport = ReplayTransport(capture)
    log = sync(clean, options(transport, capture))
    assert log.commit_id and not log.failures, log.failures
    asked = {canonical_url(url, ignore=(CACHE_BUSTER,)) for url in transport.requests}
    kept = tuple(r for r in capture.responses if canonical_url(r.url) in asked)
    bodies = {r.url: r.body for r in kept}
    by_source: dict[str, list[str]] = {}
    for url in bodies:
        by_source.setdefault(source_of(url), []).append(url)
    assert set(by_source) == {*SOURCE_PATHS.values(), "documented"}, sorted(by_source)
    return World(
        base,
        replace(capture, responses=kept),
        bodies,
        by_source,
        data_files(base),
        data_files(clean),
        set(log.failures + log.notes),
        outside_data(clean),
        tmp_path_factory.mktemp("fuzz-cases"),
    )


# --- which files a mutation may change ---------------------------------------------------------


def item_files(world: World, source: str, item: Any) -> set[str]:
    """Return the files a listing item is archived in (and those it decides), by its clean key."""
    if not isinstance(item, dict) or source not in ITEM_ROOTS:
        return set()
    category = ITEM_ROOTS[source][0]
    key: Any = item.get({"v1-models": "id", "endpoints": "id"}.get(source, "slug"))
    if source == "catalog":
        key = catalog_key(item) if isinstance(item.get("slug"), str) else None
    files = {_path(category, key)} - {None}
    if source == "catalog":
        # The catalog names the listings fetched, so the model's endpoints and the provider
        # records they embed.
        files |= model_endpoints(world, key) | _category_files(world, "provider")
    if source == "endpoints":
        info = item.get("provider_info")
        files.add(_path("provider", info.get("slug") if isinstance(info, dict) else None))
    return {f for f in files if f is not None}


def _path(category: Category, key: Any) -> str | None:
    try:
        return key_to_path(category, key) if isinstance(key, str) and key else None
    except ArchiverError:
        return None


def _category_files(world: World, category: str) -> set[str]:
    everything = set(world.base_files) | set(world.clean_files)
    return {p for p in everything if p.startswith(f"data/{category}/")}


def model_endpoints(world: World, key: Any) -> set[str]:
    """Return the endpoint files of one model, in the base or the clean archive."""
    return {
        path
        for files in (world.base_files, world.clean_files)
        for path, data in files.items()
        if path.startswith("data/endpoint/")
        and jsonvalue.loads(data).get("model_variant_slug") == key
    }


def listing_model(world: World, url: str) -> str | None:
    """Return the modelKey whose endpoint listing a URL is (None: another source)."""
    if source_of(url) != "endpoints":
        return None
    for entry in world.bodies[sources.CATALOG_MODELS]["data"]:
        if url == sources.variant_url(sources.ENDPOINT_STATS, entry["permaslug"], "standard"):
            return catalog_key(entry)
    return None


def concerned(world: World, mutation: Mutation) -> set[str]:
    """Return the data files (not telemetry) the mutated response may change."""
    source = source_of(mutation.url)
    clean = world.bodies[mutation.url]
    data = clean.get("data") if isinstance(clean, dict) else None
    files: set[str] = set()
    if mutation.whole:
        files |= {
            "v1-models": _category_files(world, "model"),
            "catalog": set(world.base_files) | set(world.clean_files),
            "all-providers": _category_files(world, "provider"),
            "v1-providers": _category_files(world, "provider"),
            "endpoints": model_endpoints(world, listing_model(world, mutation.url))
            | _category_files(world, "provider"),
        }.get(source, set())
    for position in mutation.items:
        if isinstance(data, list) and position < len(data):
            files |= item_files(world, source, data[position])
    for donor, item in mutation.foreign:
        files |= item_files(world, donor, item)
    files.discard(LEDGER_PATH)
    return files | ({LEDGER_PATH} if source == "zdr" else set())


# --- one example ----------------------------------------------------------------------------------


class _Mutated(ReplayTransport):
    """The hour's replies, one of them replaced by the mutated bytes."""

    def __init__(self, capture: Capture, mutation: Mutation) -> None:
        super().__init__(capture)
        self._target = canonical_url(mutation.url)
        self._body = mutation.wire()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer as the replay transport does, but with the mutated body at its URL."""
        raw = request.url.raw_path.decode("ascii")
        if canonical_url(raw, ignore=(CACHE_BUSTER,)) != self._target:
            return await super().handle_async_request(request)
        self._routes.requests.append(raw)  # as every request is: `requests` lists it too
        headers = {"Content-Type": "application/json", "Content-Length": str(len(self._body))}
        stream = httpx.ByteStream(self._body)
        return httpx.Response(200, headers=headers, stream=stream, request=request)


def mutated_sync(world: World, mutation: Mutation, repo: Path) -> SyncLog:
    """Sync the hour with one response mutated into a fresh copy of the base archive."""
    cheap_copy(world.base, repo)
    return sync(repo, options(_Mutated(world.capture, mutation), world.capture))


def problems(world: World, mutation: Mutation, log: SyncLog, repo: Path) -> list[str]:
    """Return every way the archive after a mutated sync breaks the properties."""
    after = data_files(repo)
    lines = log.failures + log.notes
    new_lines = [line for line in lines if line not in world.clean_lines]
    found = [f"a line holds a traceback: {line[:300]!r}" for line in lines if "Traceback" in line]
    found += _message_problems(repo, log)
    if mutation.broken and not new_lines:
        found.append("a broken body, and no line says so")
    if outside_data(repo) != world.clean_outside:
        found.append("a file outside data/ differs from a clean sync")
    found += _unreadable(repo, after)
    mine = concerned(world, mutation)
    kinds = TELEMETRY_KINDS.get(source_of(mutation.url), set())
    exact = exact_file(world, mutation)
    for path in sorted(set(after) | set(world.clean_files) | set(world.base_files)):
        now, clean, base = after.get(path), world.clean_files.get(path), world.base_files.get(path)
        if path.startswith("data/telemetry/"):
            if now != clean and path.split("/")[2] not in kinds:
                found.append(f"{path} differs from a clean sync")
        elif exact is not None and path == exact[0]:
            event("as sent" if now == exact[1] else "kept with a line" if now == base else "-")
            if now != exact[1] and not (now == base and new_lines):
                found.append(f"{path} is neither as sent nor kept with a line: {_show(now)}")
        elif now == clean:
            continue
        elif path not in mine and (clean is not None or base is not None):
            found.append(f"{path} (not in the mutated response) differs from a clean sync")
        elif path not in mine and not _new_file_allowed(mutation, path):
            found.append(f"{path} was written, and the mutated response does not carry it")
        elif now is None and base is not None and not _may_remove(world, mutation, path):
            found.append(f"{path} was removed")
    return found


def _message_problems(repo: Path, log: SyncLog) -> list[str]:
    """Return what is wrong with the sync's commit message: upstream text in a line of the
    log must not break a line of it (each problem one `- ` line, then the trailers alone)."""
    if log.commit_id is None:
        return []
    message = git(repo, "show", "-s", "--format=%B", log.commit_id).rstrip("\n")
    *_, body, trailers = ["", *message.split("\n\n")]
    names = [line.partition(": ")[0] for line in trailers.split("\n")]
    found = [] if names == [name for name, _ in log.trailers()] else [f"trailers {names}"]
    lines = log.failures + log.notes
    if lines and not all(line.startswith("- ") for line in body.split("\n")):
        found.append(f"a problem spans lines of the commit message: {body[:300]!r}")
    return found


def _show(data: bytes | None) -> str:
    return "removed" if data is None else repr(data[:300])


def _new_file_allowed(mutation: Mutation, path: str) -> bool:
    """Tell whether a file neither archive held may appear: an entity under a new key."""
    source = source_of(mutation.url)
    return source in ITEM_ROOTS and path.startswith(f"data/{ITEM_ROOTS[source][0]}/")


def _may_remove(world: World, mutation: Mutation, path: str) -> bool:
    """Tell whether the mutation took the entity of a file out of a listing read whole."""
    clean = world.bodies[mutation.url]
    data = clean.get("data") if isinstance(clean, dict) else None
    source = source_of(mutation.url)
    if mutation.broken or not isinstance(data, list):
        return False
    taken = {f for position in mutation.removes for f in item_files(world, source, data[position])}
    return path in taken and not path.startswith("data/provider/")


def exact_file(world: World, mutation: Mutation) -> tuple[str, bytes] | None:
    """Return the file a single plain edit inside one entity lands in and its bytes as sent
    (None: no such edit, so only the weak checks apply)."""
    source = source_of(mutation.url)
    if mutation.edit is None or source not in ITEM_ROOTS or len(mutation.items) != 1:
        return None
    path, op, (value, known) = mutation.edit
    if not known or len(path) < 3 or path[2] in STRUCTURAL[source]:
        return None
    if source == "endpoints" and isinstance(path[2], str) and is_endpoint_telemetry(path[2]):
        return None
    clean_item = world.bodies[mutation.url]["data"][path[1]]
    category, root = ITEM_ROOTS[source]
    files = item_files(world, source, clean_item) & _category_files(world, category)
    target = next(iter(files - {p for p in files if not p.startswith(f"data/{category}/")}), None)
    if target is None or target not in world.clean_files:
        return None
    expected = jsonvalue.loads(world.clean_files[target])
    holder = expected if root is None else expected[root]
    for step in path[2:-1]:
        holder = holder[step]
    last = path[-1]
    if op == "remove":
        del holder[last]
    elif op == "insert":
        holder.insert(int(last), value)
    else:
        holder[last] = value
    try:
        return target, canonical_bytes(expected)
    except (jsonvalue.EncodeError, ArchiverError):
        return None  # No file can hold it: refusing it is the only way.


def _unreadable(repo: Path, after: Files) -> list[str]:
    """Return what in the archive does not parse, or is not as HEAD has it."""
    found = [
        f"{path} is not canonical JSON"
        for path, data in after.items()
        if path.endswith(".json") and not is_canonical(data)
    ]
    telemetry = repo / "data" / "telemetry"
    for kind in sorted(p.name for p in telemetry.iterdir()) if telemetry.is_dir() else []:
        try:
            for _ in iter_samples(repo, kind):
                pass
        except ArchiverError as error:
            found.append(f"telemetry {kind} does not read: {error}")
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return found + ([f"the work tree is not HEAD: {status[:300]}"] if status else [])


def check(world: World, mutation: Mutation, name: str) -> list[str]:
    """Sync one mutation; return what breaks the properties (empty: nothing)."""
    repo = world.scratch / name
    try:
        log = mutated_sync(world, mutation, repo)
    except Exception as error:  # A traceback is exactly what this looks for.
        return [f"sync raised {type(error).__name__}: {str(error)[:500]}"]
    else:
        return problems(world, mutation, log, repo)
    finally:
        shutil.rmtree(repo, ignore_errors=True)


def describe(mutation: Mutation) -> str:
    """Return a mutation in a few words, for a failing example's report."""
    parts = [mutation.kind, mutation.url]
    if mutation.edit is not None:
        parts.append(f"{mutation.edit[1]} at {mutation.edit[0]!r}")
    parts.append(
        repr(mutation.wire()[:200]) if mutation.cut is None else f"cut at {len(mutation.cut)}"
    )
    return " ".join(parts)


def first_failure(examples: Callable[[], None], failures: list[str]) -> None:
    """Run a property's examples; on a failure, fail with the first broken example's report.

    Hypothesis replays a failing example to report it, and that replay sometimes draws
    differently (it then says FlakyStrategyDefinition and shows no example): the report is
    kept as the example ran, whatever the replay does.
    """
    try:
        examples()
    except Exception:
        if failures:
            pytest.fail(failures[0], pytrace=False)
        raise


def test_a_mutated_response_couples_nothing_and_loses_nothing(world: World) -> None:
    failures: list[str] = []

    @FUZZ
    @given(draw=st.data())
    def examples(draw: st.DataObject) -> None:
        mutation = draw.draw(mutations(world), label="mutation")
        event(f"{source_of(mutation.url)} {mutation.kind}")
        found = check(world, mutation, "example")
        if found:
            failures.append(describe(mutation) + "\n" + "\n".join(found))
        assert found == [], failures[-1]

    first_failure(examples, failures)


# --- the order of a listing --------------------------------------------------------------------

ORDERED = ("v1-models", "catalog", "all-providers", "v1-providers", "endpoints", "zdr")
# What names an item of each listing: a twin differing there is another entity, no twin.
NAMING = {**STRUCTURAL, "zdr": {"model_id", "tag"}}


@st.composite
def reorderings(draw: st.DrawFn, world: World) -> tuple[Mutation, Mutation]:
    """Draw a listing, perhaps with a twin of one item (same key, one field changed), as
    sent in one order and in another."""
    source = draw(st.sampled_from(ORDERED))
    url = draw(st.sampled_from(world.by_source[source]))
    first = Mutation(url, "order", jsonvalue.loads(json_bytes(world.bodies[url])))
    data = first.body["data"]
    if draw(st.booleans()):
        twin = jsonvalue.loads(json_bytes(data[draw(st.integers(0, len(data) - 1))]))
        names = [name for name in twin if name not in NAMING[source]]
        if names:
            twin[draw(st.sampled_from(names))] = first.put(draw(VALUES))
            data.append(twin)
    order = draw(st.permutations(range(len(data))))
    body = {**first.body, "data": [data[n] for n in order]}
    return first, Mutation(url, "order", body, raws=first.raws)


def test_the_order_a_listing_comes_in_changes_no_file(world: World) -> None:
    """Upstream may send a listing in any order, even with one key twice: the same data is
    the same archive, whichever order it came in (no file flips between two syncs)."""
    failures: list[str] = []

    @FUZZ_ORDER
    @given(draw=st.data())
    def examples(draw: st.DataObject) -> None:
        one, other = draw.draw(reorderings(world), label="orders")
        event(f"{source_of(one.url)} {len(one.body['data']) - len(world.bodies[one.url]['data'])}")
        archives = [
            synced(world, mutation, name)[1] for name, mutation in (("one", one), ("other", other))
        ]
        differing = sorted(
            p
            for p in set(archives[0]) | set(archives[1])
            if archives[0].get(p) != archives[1].get(p)
        )
        if differing:
            failures.append(f"{describe(one)}\ndiffer with the order: {differing}")
        assert differing == [], failures[-1]

    first_failure(examples, failures)


# --- what the fuzzing found, each as a case of its own -------------------------------------------


def synced(world: World, mutation: Mutation, name: str) -> tuple[SyncLog, Files]:
    """Sync one mutation into a copy of the base archive; return its log and data files."""
    repo = world.scratch / name
    try:
        return mutated_sync(world, mutation, repo), data_files(repo)
    finally:
        shutil.rmtree(repo, ignore_errors=True)


def with_item(world: World, source: str, edit: Any) -> Mutation:
    """Return the first response of a source with `edit(mutation, data)` applied."""
    url = world.by_source[source][0]
    mutation = Mutation(url, "case", jsonvalue.loads(json_bytes(world.bodies[url])))
    edit(mutation, mutation.body["data"])
    return mutation


@pytest.mark.parametrize(
    "literal", [b"1e400", b"0e1000000000000000000", b"1.5e-99999999999999999999"]
)
def test_a_number_no_double_carries_in_an_endpoint_is_archived_digit_for_digit(
    world: World, literal: bytes
) -> None:
    """`1e400` in an endpoint: the documented listings' mapping read the endpoint's new file
    with orjson, which refuses it, and the sync died with a JSONDecodeError traceback. An
    exponent past what Python's Decimal holds (about 10**18) ended it with InvalidOperation
    while the listing was read (a helper's random hunt found it)."""

    def edit(mutation: Mutation, data: list[Any]) -> None:
        data[0]["context_length"] = mutation.put(Raw(literal))

    mutation = with_item(world, "endpoints", edit)
    _, files = synced(world, mutation, "huge")
    endpoint = key_to_path("endpoint", mutation.body["data"][0]["id"])
    assert b'"context_length": ' + literal + b"," in files[endpoint]


def test_a_key_listed_twice_once_nested_too_deep_costs_no_sync(world: World) -> None:
    """Two copies of one model, one holding a value nested deeper than a file holds: picking
    the copy to keep by its canonical bytes raised NestingError out of the sync. The copy a
    file can hold is kept, and a line says the key came twice."""

    def edit(mutation: Mutation, data: list[Any]) -> None:
        twin = jsonvalue.loads(json_bytes(data[0]))
        twin["name"] = mutation.put(Raw(b"[" * 300 + b"]" * 300))
        data.append(twin)

    mutation = with_item(world, "v1-models", edit)
    log, files = synced(world, mutation, "deep")
    model = key_to_path("model", mutation.body["data"][0]["id"])
    assert files[model] == world.clean_files[model]
    assert any("listed more than once" in line for line in log.failures), log.failures


@pytest.mark.parametrize("levels", [1025, 100_000])
def test_a_value_no_reader_reads_costs_its_own_entity_not_the_listing(
    world: World, levels: int
) -> None:
    """A model holding a value nested past 1,024 levels (orjson's limit): the whole of
    /api/v1/models was refused as not JSON, so no other model was archived while upstream
    sent it. Now that model alone is refused, its file kept, and the others are archived."""

    def edit(mutation: Mutation, data: list[Any]) -> None:
        data[0]["architecture"] = mutation.put(Raw(b"[" * levels + b"]" * levels, depth=levels))
        data[1]["name"] = "renamed while another model was hostile"

    mutation = with_item(world, "v1-models", edit)
    log, files = synced(world, mutation, f"deeper-{levels}")
    hostile, renamed = (key_to_path("model", item["id"]) for item in mutation.body["data"][:2])
    assert files.get(hostile) == world.base_files.get(hostile)
    assert b'"renamed while another model was hostile"' in files[renamed]
    lines = lines_of(log)
    assert any("nested deeper than JSON readers go" in line for line in lines), lines
    assert any("nested deeper than 255 levels at v1/architecture" in line for line in lines)


@pytest.mark.parametrize(
    ("source", "field_name", "values"),
    [
        # Python's == took 0 and false for one value: no conflict, the first copy kept.
        ("v1-models", "context_length", (0, False)),
        ("v1-models", "context_length", (1, 1.0)),
        # The ZDR list kept the first copy of an endpoint listed twice.
        ("zdr", "name", ("a", "b")),
    ],
)
def test_a_key_listed_twice_is_archived_alike_in_either_order(
    world: World, source: str, field_name: str, values: tuple[Any, Any]
) -> None:
    """One key twice in a listing, the copies differing in one field: the archive must not
    depend on which copy came first (it flipped from one sync to the next)."""
    archives = []
    for order in (values, values[::-1]):

        def edit(mutation: Mutation, data: list[Any], order: tuple[Any, Any] = order) -> None:
            twin = jsonvalue.loads(json_bytes(data[0]))
            data[0][field_name], twin[field_name] = order
            data.append(twin)

        log, files = synced(world, with_item(world, source, edit), "order")
        assert any("twice" in line or "more than once" in line for line in lines_of(log))
        archives.append(files)
    assert archives[0] == archives[1]


def lines_of(log: SyncLog) -> list[str]:
    """Return every line a sync log holds."""
    return log.failures + log.notes


def test_an_archived_endpoint_holding_1e400_still_has_its_listing_fetched(world: World) -> None:
    """A model shown with `endpoint: null` whose archived endpoint holds `1e400`: the lookup
    of archived endpoints no listing held read the file with orjson, took it for a corrupt
    one and skipped it, so the model's listing was never fetched to show the endpoint gone."""

    def huge(mutation: Mutation, data: list[Any]) -> None:
        data[0]["context_length"] = mutation.put(Raw(b"1e400"))

    first = with_item(world, "endpoints", huge)
    assert len(world.bodies[first.url]["data"]) == 1  # its model's one endpoint
    model = listing_model(world, first.url)

    def unfeatured(mutation: Mutation, data: list[Any]) -> None:
        for entry in data:
            if catalog_key(entry) == model:
                entry["endpoint"] = None

    transport = _Mutated(world.capture, with_item(world, "catalog", unfeatured))
    later = replace(options(transport, world.capture), epoch=world.capture.time + HOUR)
    repo = world.scratch / "unseen"
    try:
        mutated_sync(world, first, repo)
        sync(repo, later)
    finally:
        shutil.rmtree(repo, ignore_errors=True)
    asked = {canonical_url(url, ignore=(CACHE_BUSTER,)) for url in transport.requests}
    assert canonical_url(first.url) in asked


def test_an_archived_endpoint_holding_1e400_keeps_its_documented_figures(world: World) -> None:
    """The frontend listing of a model fails, so its documented figures go to its archived
    endpoints: one holding `1e400` was read with orjson, skipped, and its figures dropped
    ("matches no archived endpoint; its figures are not kept")."""

    def huge(mutation: Mutation, data: list[Any]) -> None:
        data[0]["context_length"] = mutation.put(Raw(b"1e400"))

    first = with_item(world, "endpoints", huge)
    failing = Mutation(first.url, "cut", None, cut=b'{"data":[')
    transport = _Mutated(world.capture, failing)
    later = replace(options(transport, world.capture), epoch=world.capture.time + HOUR)
    repo = world.scratch / "documented"
    try:
        mutated_sync(world, first, repo)
        log = sync(repo, later)
    finally:
        shutil.rmtree(repo, ignore_errors=True)
    assert any("frontend listing failed" in line for line in lines_of(log)), lines_of(log)
    assert not [line for line in lines_of(log) if "matches no archived endpoint" in line]


def test_a_documented_price_nested_too_deep_costs_no_sync(world: World) -> None:
    """A documented listing's price nested 300 levels deep: comparing it with the file's
    price wrote it as JSON, which raised NestingError out of the sync."""
    url = sources.documented_url("stepfun/step-3.7-flash")
    mutation = Mutation(url, "case", jsonvalue.loads(json_bytes(world.bodies[url])))
    for endpoint in mutation.body["data"]["endpoints"]:
        endpoint["pricing"]["prompt"] = mutation.put(Raw(b"[" * 300 + b"]" * 300))
    log, _ = synced(world, mutation, "deep-price")
    priced = [line for line in lines_of(log) if "is priced prompt <value nested deeper" in line]
    assert priced, lines_of(log)
