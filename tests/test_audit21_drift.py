"""Upstream type drift, as a class: every field the archiver reads, at every source, turned
into each other JSON type (and removed) in one entity of one response.

OpenRouter changes its API without notice: a price turns from a string into a number, an
object becomes null or a list, a field disappears. For each field the archiver itself reads
or interprets (keys, prices, references, telemetry, the listings' `data`) and each drift,
one in-process sync of a real small capture into a copy of a real archive must end without
a traceback, one line per problem; every file the drift does not concern must be byte-
identical to a clean sync of the same capture; the drifted entity is archived as upstream
sent it or refused with its previous file kept and a line saying why, never half-written,
never removed, never silently left as it was. A combined archive (for each drift, one sync
of every leaf field, one of every field; then a HEAD with each leaf drifted to another type;
every sync by `archiver sync` on the command line) then goes through `log`, `changes`,
`show`, `price`, `cost` (at every epoch), `telemetry`, `site` and `export`.

Bugs this found, each now a case here: a malformed ZDR entry dropped its endpoint from the
ledger (read as leaving ZDR); an empty `model_variant_slug` on the catalog's featured
endpoint removed the model's catalog part; a featured endpoint without an id put its hourly
`status_heuristics` into the model file; a text `provider_info` was archived as a reference
to a provider upstream never named; a price drifting between non-numbers ("" -> "x", a
number -> [], true) was no price change in `changes`.

Five models of the second small daily capture (with its uptime windows, documented listings
and ZDR list, and a /api/v1/providers list in the documented shape built from its
all-providers listing), on top of an archive of the first: 59 fields x 11 drifts, each a
sync of its own; 49 more fields drifted together in the combined archive.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from click.testing import CliRunner

from archiver.archive.synclog import SyncLog
from archiver.archive.zdr_ledger import LEDGER_PATH, membership
from archiver.canonical import canonical_bytes
from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.capture.replay import ReplayServer
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.paths import Category, key_to_path
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.endpoints import ABSENT_FIELD, OWN_FIELD, rebuilt_provider_info
from archiver.upstream.fetch import FetchPolicy
from tests.archive_helpers import blob, built_once, git
from tests.small_captures import HERE, SMALL_DAILY, with_models_only

TARGET_MODEL = "stepfun/step-3.7-flash"  # four endpoints; its documented listing is due
OTHER_MODEL = "google/gemini-2.5-flash-image"  # must never change because of the target
# Three more, one endpoint each: with five models and seven endpoints, an empty listing is
# held back by the removal guard as it is on the real catalog (never under 3 entities).
MORE_MODELS = {"ai21/jamba-large-1.7", "mancer/weaver", "cohere/command-a"}
REMOVED = object()
DRIFTS: dict[str, Any] = {
    "null": None,
    "true": True,
    "zero": 0,
    "minus-one": -1,
    "float": 1.5,
    "empty-text": "",
    "text": "x",
    "empty-list": [],
    "list-of-object": [{}],
    "empty-object": {},
    "removed": REMOVED,
}
ITEM = "<item>"  # the drifted entity's position in its listing, found by its key
Path_ = tuple[str | int, ...]
Files = dict[str, bytes]


@dataclass(frozen=True)
class Source:
    """One upstream response the drift goes into, and how to find its one entity."""

    name: str
    url: Callable[[Facts], str]
    item: Callable[[Facts, dict[str, Any]], bool] | None = None
    # Where the drifted item's fields are kept in its entity file (None: not an entity file).
    file_root: Path_ | None = None


@dataclass(frozen=True)
class Facts:
    """What the clean sync shows about the target: its endpoint, provider and their keys."""

    permaslug: str
    endpoint: str
    provider: str
    tag: str
    urls: frozenset[str]


def _variant_url(path: str) -> Callable[[Facts], str]:
    return lambda facts: sources.variant_url(path, facts.permaslug, "standard")


SOURCES = {
    "v1-models": Source(
        "v1-models", lambda f: sources.V1_MODELS, lambda f, i: i.get("id") == TARGET_MODEL, ("v1",)
    ),
    "catalog": Source(
        "catalog",
        lambda f: sources.CATALOG_MODELS,
        lambda f, i: i.get("slug") == TARGET_MODEL,
        ("catalog",),
    ),
    "all-providers": Source(
        "all-providers",
        lambda f: sources.ALL_PROVIDERS,
        lambda f, i: i.get("slug") == f.provider,
        ("all_providers",),
    ),
    "v1-providers": Source(
        "v1-providers",
        lambda f: sources.V1_PROVIDERS,
        lambda f, i: i.get("slug") == f.provider,
        ("v1",),
    ),
    "endpoints": Source(
        "endpoints",
        _variant_url(sources.ENDPOINT_STATS),
        lambda f, i: i.get("id") == f.endpoint,
        (),
    ),
    "effective-pricing": Source("effective-pricing", _variant_url(sources.EFFECTIVE_PRICING)),
    "model-activity": Source("model-activity", _variant_url(sources.MODEL_ACTIVITY)),
    "uptime-hourly": Source("uptime-hourly", lambda f: sources.uptime_url(f.endpoint)),
    "documented": Source(
        "documented",
        lambda f: sources.documented_url(TARGET_MODEL),
        lambda f, i: i.get("tag") == f.tag,
    ),
    "zdr": Source(
        "zdr",
        lambda f: sources.ZDR_ENDPOINTS,
        lambda f, i: i.get("model_id") == f.permaslug and i.get("tag") == f.tag,
    ),
}


def _fields(spec: tuple[tuple[str, Path_, str], ...], whole: bool) -> list[tuple[str, Path_]]:
    """Return (source, path) of each dotted field name under its listing item; with whole,
    also the listing's own levels (`data`, the item itself)."""
    fields: list[tuple[str, Path_]] = []
    for source, listing, names in spec:
        levels = [listing[:n] for n in range(1, len(listing) + 1)] if whole else []
        paths = [
            (*listing, *(int(p) if p.isdigit() else p for p in n.split("."))) for n in names.split()
        ]
        fields += [(source, path) for path in [*levels, *paths]]
    return fields


# Every field the sync itself reads or interprets (upstream/, sync.py, archive/, telemetry/),
# at the source it comes from, with the listing's levels and one plain price per entity
# source: each is drifted in a sync of its own, every drift in turn. A field the sync takes
# by the same code as one here (another telemetry object, another figure) is drifted in
# the combined archive below.
# fmt: off
SYNC_FIELDS = _fields(
    (
        ("v1-models", ("data", ITEM), "id pricing.prompt benchmarks benchmarks.design_arena"),
        ("catalog", ("data", ITEM), "slug permaslug endpoint endpoint.id endpoint.variant "
         "endpoint.model_variant_slug"),
        ("all-providers", ("data", ITEM), "slug"),
        ("v1-providers", ("data", ITEM), "slug"),
        ("endpoints", ("data", ITEM), "id model_variant_slug variant model provider_slug "
         "provider_info provider_info.slug provider_info.name provider_info.adapterName "
         "pricing pricing.prompt stats statsByTier status"),
        ("effective-pricing", ("data",), "providerSummaries providerSummaries.0"),
        ("model-activity", ("data",), "analytics analytics.0"),
        ("uptime-hourly", ("data",), "history history.0 history.0.date history.0.uptime"),
        ("documented", ("data", "endpoints", ITEM), "tag pricing pricing.prompt status"),
        ("zdr", ("data", ITEM), "model_id tag provider_name"),
    ),
    whole=True,
)
# Fields only the readers interpret (history, site, export): drifted all at once, one sync
# per drift, in the combined archive the readers then run on.
READ_FIELDS = _fields(
    (
        ("v1-models", ("data", ITEM), "name description created context_length pricing "
         "pricing.completion architecture architecture.modality top_provider "
         "top_provider.max_completion_tokens"),
        ("catalog", ("data", ITEM), "name author description created_at context_length"),
        ("all-providers", ("data", ITEM), "name displayName dataPolicy dataPolicy.training "
         "statusPageUrl"),
        ("v1-providers", ("data", ITEM), "name"),
        ("endpoints", ("data", ITEM), "provider_name status_heuristics "
         "routing_heuristics_by_tier provider_display_name pricing.completion "
         "pricing.discount pricing.input_cache_read pricing.display_pricing "
         "pricing.display_pricing.0.price context_length max_completion_tokens quantization "
         "data_policy data_policy.training is_free is_disabled created_at stats.p50_latency "
         "statsByTier.default"),
        ("effective-pricing", ("data",), "weightedInputPrice inputChartData "
         "providerSummaries.0.effectiveInputPrice"),
        ("model-activity", ("data",), "analytics.0.date analytics.0.total_completion_tokens "
         "cachedAt"),
        ("documented", ("data", "endpoints", ITEM), "uptime_last_30m latency_last_30m"),
        ("zdr", ("data", ITEM), "name"),
    ),
    whole=False,
)
# fmt: on


def field_id(field: tuple[str, Path_]) -> str:
    """Return a case's readable id: `source:data.*.field` (`*`: the drifted entity)."""
    source, path = field
    return f"{source}:" + ".".join("*" if p == ITEM else str(p) for p in path)


def drifted_body(body: Any, path: Path_, value: Any, pick: Callable[[dict[str, Any]], bool]) -> Any:
    """Return a copy of a response body with the value at path replaced (or removed)."""
    copy = orjson.loads(orjson.dumps(body))
    holder = copy
    for step in path[:-1]:
        if step == ITEM:
            step = next(n for n, item in enumerate(holder) if isinstance(item, dict) and pick(item))
        holder = holder[step]
    last = path[-1]
    if last == ITEM:
        last = next(n for n, item in enumerate(holder) if isinstance(item, dict) and pick(item))
    if value is REMOVED and isinstance(holder, dict):
        holder.pop(last, None)  # a field the entity lacks: removing it changes nothing
    elif value is REMOVED:
        del holder[last]
    else:
        holder[last] = orjson.loads(orjson.dumps(value))  # a field it lacks: it appears
    return copy


def with_drift(capture: Capture, facts: Facts, field: tuple[str, Path_], value: Any) -> Capture:
    """Return the capture with one drift applied to one entity of one response."""
    source = SOURCES[field[0]]
    url = source.url(facts)
    found = [n for n, r in enumerate(capture.responses) if r.url == url]
    assert len(found) == 1, f"{url} is not once in the capture"
    response = capture.responses[found[0]]

    def pick(item: dict[str, Any]) -> bool:
        assert source.item is not None
        return source.item(facts, item)

    body = drifted_body(response.body, field[1], value, pick)
    responses = list(capture.responses)
    responses[found[0]] = CapturedResponse(response.method, response.url, response.status, body)
    return replace(capture, responses=tuple(responses))


def v1_providers(all_providers: CapturedResponse) -> CapturedResponse:
    """Return /api/v1/providers in its documented shape, built from the all-providers listing
    of the same moment (no capture of it exists beside the daily sweeps)."""
    data = []
    for item in all_providers.body["data"]:
        policy = item.get("dataPolicy") or {}
        data.append(
            {
                "datacenters": item.get("datacenters"),
                "headquarters": item.get("headquarters"),
                "name": item["name"],
                "privacy_policy_url": policy.get("privacyPolicyURL"),
                "slug": item["slug"],
                "status_page_url": item.get("statusPageUrl"),
                "terms_of_service_url": policy.get("termsOfServiceURL"),
            }
        )
    return CapturedResponse("GET", sources.V1_PROVIDERS, 200, {"data": data})


def hour(index: int) -> Capture:
    """Return small daily capture `index` cut to five models, with every other source."""
    path = SMALL_DAILY[index]
    daily = with_models_only(read_capture(path), {TARGET_MODEL, OTHER_MODEL, *MORE_MODELS})
    listings = [r.body["data"] for r in daily.responses if r.url.startswith(sources.ENDPOINT_STATS)]
    used = {e["provider_info"]["slug"] for listing in listings for e in listing}
    responses: list[CapturedResponse] = []
    for response in daily.responses:
        if response.url == sources.ALL_PROVIDERS:
            # Only the providers the models use: a small archive copies fast.
            kept = [p for p in response.body["data"] if p["slug"] in used]
            response = replace(response, body={**response.body, "data": kept})
            responses.append(v1_providers(response))
        responses.append(response)
    for extra in ("extra", "zdr"):
        responses += read_capture(HERE / extra / path.name).responses
    return replace(daily, responses=tuple(responses))


def replay(repo: Path, capture: Capture) -> tuple[SyncLog, list[str]]:
    """Sync a capture in-process; return the log and every URL the sync asked for."""
    transport = ReplayTransport(capture)
    options = SyncOptions(
        base_url=transport.base_url,
        transport=transport,
        epoch=capture.time,
        policy=FetchPolicy(attempts=1),
    )
    return sync(repo, options), transport.requests


def cheap_copy(source: Path, target: Path) -> Path:
    """Return a private copy of an archive whose data files and packs are hard links: a sync
    replaces a data file by a rename and never writes into a pack, so the source stays as it
    is (files git writes in place, such as reflogs and the lock, are copied)."""

    def link_or_copy(from_: str, to: str) -> None:
        if os.path.relpath(from_, source).startswith(("data/", ".git/objects/pack/")):
            os.link(from_, to)
        else:
            shutil.copy2(from_, to)

    return Path(shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy))


def data_files(repo: Path) -> dict[str, bytes]:
    """Return {path: bytes} of every file under data/ in the work tree."""
    return {
        str(path.relative_to(repo)): path.read_bytes()
        for path in (repo / "data").rglob("*")
        if path.is_file()
    }


@dataclass
class World:
    """The base archive, the clean sync of the drifted hour, and what it shows."""

    base: Path
    capture: Capture
    facts: Facts
    base_files: dict[str, bytes]
    clean_files: dict[str, bytes]
    clean_log: SyncLog
    case_folder: Path = Path()


def facts_of(capture: Capture, requests: list[str]) -> Facts:
    """Return the target endpoint: one of the target model's whose uptime window the clean
    sync asked for and which the ZDR list lists (so every source holds it)."""
    bodies = {r.url: r.body for r in capture.responses}
    catalog = bodies[sources.CATALOG_MODELS]["data"]
    permaslug = next(e["permaslug"] for e in catalog if e["slug"] == TARGET_MODEL)
    listing = bodies[sources.variant_url(sources.ENDPOINT_STATS, permaslug, "standard")]["data"]
    zdr = {(i["model_id"], i["tag"]) for i in bodies[sources.ZDR_ENDPOINTS]["data"]}
    asked = {
        parse_qs(urlsplit(url).query)["id"][0]
        for url in requests
        if urlsplit(url).path == sources.UPTIME_HOURLY
    }
    endpoint = next(
        e for e in listing if e["id"] in asked and (permaslug, e["provider_slug"]) in zdr
    )
    paths = frozenset(url.split("&_=")[0].split("?_=")[0] for url in requests)
    return Facts(
        permaslug,
        endpoint["id"],
        endpoint["provider_info"]["slug"],
        endpoint["provider_slug"],
        paths,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Build the base archive once for the run; sync the clean hour into a copy of it."""

    def build(folder: Path) -> None:
        log, _ = replay(folder / "archive", hour(0))
        assert log.commit_id and not log.failures, log.failures
        # One pack: a copy per case is a few files, not hundreds of loose objects.
        subprocess.run(["git", "-C", str(folder / "archive"), "gc", "-q"], check=True)

    base = built_once(tmp_path_factory, "drift-base", build) / "archive"
    capture = hour(1)
    clean = shutil.copytree(base, tmp_path_factory.mktemp("drift-clean") / "archive", symlinks=True)
    log, requests = replay(clean, capture)
    assert log.commit_id and not log.failures, log.failures
    facts = facts_of(capture, requests)
    for source in SOURCES.values():
        assert source.url(facts) in facts.urls, f"the clean sync never asks for {source.name}"
    # Only what the sync asks for: the replay encodes every body it holds, once per sync.
    asked = replace(capture, responses=tuple(r for r in capture.responses if r.url in facts.urls))
    made = World(base, asked, facts, data_files(base), data_files(clean), log)
    yield made
    assert data_files(base) == made.base_files, "a case wrote through a hard link into the base"


TELEMETRY_KINDS = {
    "v1-models": {"model"},
    "catalog": {"endpoint", "endpoint_uptime", "endpoint_documented", "model_variant"},
    "endpoints": {"endpoint", "endpoint_uptime", "endpoint_documented"},
    "effective-pricing": {"model_variant"},
    "model-activity": {"model_variant"},
    "uptime-hourly": {"endpoint_uptime"},
    "documented": {"endpoint_documented"},
}
ENDPOINT_TELEMETRY = ("stats", "statsByTier", "status", "routing_heuristics_by_tier")


def model_endpoints(world: World, key: str) -> set[str]:
    """Return the paths of the endpoint files of one model, in the base or the clean archive."""
    return {
        path
        for files in (world.base_files, world.clean_files)
        for path, data in files.items()
        if path.startswith("data/endpoint/") and orjson.loads(data).get("model_variant_slug") == key
    }


def concerned(world: World, field: tuple[str, Path_]) -> set[str]:
    """Return the entity files a drift may change (the rest must be as a clean sync left them)."""
    source, path = field
    facts = world.facts
    everything = set(world.base_files) | set(world.clean_files)
    if len(path) == 1:  # The whole listing: every entity it holds, every file it decides.
        prefix = {"v1-models": "data/model/", "catalog": "data/", "endpoints": "data/endpoint/"}
        prefix |= {"all-providers": "data/provider/", "v1-providers": "data/provider/"}
        files = {p for p in everything if p.startswith(prefix.get(source, "-"))}
        if source == "endpoints":
            files = model_endpoints(world, TARGET_MODEL) | _providers(world)
        return files | ({LEDGER_PATH} if source == "zdr" else set())
    model = key_to_path("model", TARGET_MODEL)
    endpoint = key_to_path("endpoint", facts.endpoint)
    provider = key_to_path("provider", facts.provider)
    return {
        "v1-models": {model},
        # The catalog names the listings to fetch and whether provider records are whole.
        "catalog": {model} | model_endpoints(world, TARGET_MODEL) | _providers(world),
        "all-providers": {provider},
        "v1-providers": {provider},
        "endpoints": {endpoint, provider} | model_endpoints(world, TARGET_MODEL),
        "zdr": {LEDGER_PATH},
    }.get(source, set())


def _providers(world: World) -> set[str]:
    return {p for p in set(world.base_files) | set(world.clean_files) if "/provider/" in p}


def as_sent(world: World, field: tuple[str, Path_], drifted: Capture, after: Files) -> set[str]:
    """Return the files of the drifted entity that hold it exactly as upstream sent it (full
    fidelity), under its new key if its key changed; its old file then without that part."""
    source = field[0]
    if not as_sent_applies(field):
        return set()
    category, key = _entity(world, source)
    old = key_to_path(category, key)
    item = drifted_item(world, drifted, source)
    if item is None:  # It left a whole listing: that part of it is gone.
        gone = {old} if after.get(old) == _without_part(world, source, old) else set()
        provider = key_to_path("provider", world.facts.provider)
        if source == "endpoints" and after.get(provider) == _without_part(world, "", provider):
            gone.add(provider)  # No endpoint left embeds the provider's record.
        return gone
    new_key = _key_of(source, item)
    if not isinstance(item, dict) or not isinstance(new_key, str) or not new_key:
        return set()  # An item that is no object, or has no key: refused, never archived.
    new = key_to_path(category, new_key)
    verified = set()
    if new != old and after.get(old) == _without_part(world, source, old):
        verified.add(old)
    if new in after and _holds(world, source, item, orjson.loads(after[new]), after, new == old):
        verified.add(new)
        if source == "endpoints":
            verified |= _provider_files(world, item, after)
    return verified


def _provider_files(world: World, item: dict[str, Any], after: Files) -> set[str]:
    """Return the provider files an endpoint archived as sent may have changed: the one its
    provider_info was rebuilt from, and its old provider's without the record it embedded."""
    info = item.get("provider_info")
    slug = info.get("slug") if isinstance(info, dict) else None
    files = {key_to_path("provider", slug)} if isinstance(slug, str) and slug else set()
    old = key_to_path("provider", world.facts.provider)
    if old not in files and after.get(old) == _without_part(world, "", old):
        files.add(old)
    return files


def as_sent_applies(field: tuple[str, Path_]) -> bool:
    """Tell whether a drift lands in an entity file: a field of an item of an entity listing."""
    source, path = field
    return SOURCES[source].file_root is not None and len(path) > 1 and path[1] == ITEM


def drifted_item(world: World, drifted: Capture, source: str) -> Any:
    """Return the drifted entity's object in the drifted response (None: not there)."""
    spec = SOURCES[source]
    body = next(r.body for r in drifted.responses if r.url == spec.url(world.facts))
    clean = next(r.body for r in world.capture.responses if r.url == spec.url(world.facts))
    listing = body.get("data") if isinstance(body, dict) else None
    position = next(
        n for n, i in enumerate(clean["data"]) if spec.item and spec.item(world.facts, i)
    )
    if not isinstance(listing, list) or len(listing) < len(clean["data"]):
        return None
    return listing[position]


def _key_of(source: str, item: Any) -> Any:
    """Return the key the archive files a listing item under."""
    if not isinstance(item, dict):
        return None
    if source == "catalog":
        featured = item.get("endpoint")
        variant = featured.get("model_variant_slug") if isinstance(featured, dict) else None
        return variant if isinstance(variant, str) and variant else item.get("slug")
    return item.get({"v1-models": "id", "endpoints": "id"}.get(source, "slug"))


def _entity(world: World, source: str) -> tuple[Category, str]:
    """Return the category and key of the entity a source's drifted item is part of."""
    if source in ("v1-models", "catalog"):
        return "model", TARGET_MODEL
    if source == "endpoints":
        return "endpoint", world.facts.endpoint
    return "provider", world.facts.provider


def _without_part(world: World, source: str, path: str) -> bytes | None:
    """Return the clean file without the part this source gives (None: nothing is left)."""
    root = SOURCES[source].file_root if source else ("provider_info",)
    if not root:
        return None
    entity = orjson.loads(world.clean_files[path])
    rest = {k: v for k, v in entity.items() if k != root[0]}
    return canonical_bytes(rest) if set(rest) - {"key"} else None


def _holds(
    world: World,
    source: str,
    item: dict[str, Any],
    entity: dict[str, Any],
    after: Files,
    same_key: bool,
) -> bool:
    """Tell whether an archived entity holds the upstream item exactly, and nothing else
    changed in its other parts (none: under a new key)."""
    root = SOURCES[source].file_root
    if source == "endpoints":
        return _endpoint_as_sent(entity, after) == _endpoint_expected(item)
    expected = dict(item)
    if source == "v1-models" and isinstance(item.get("benchmarks"), dict):
        # design_arena is telemetry: kept in its series, not in the file.
        expected["benchmarks"] = {
            k: v for k, v in item["benchmarks"].items() if k != "design_arena"
        }
    featured = item.get("endpoint")
    if source == "catalog" and isinstance(featured, dict) and isinstance(featured.get("id"), str):
        expected["endpoint"] = featured["id"]  # archived as an endpoint of its own
    elif source == "catalog" and isinstance(featured, dict):
        # No id to archive it under: kept in the model file, its telemetry apart (SPEC).
        expected["endpoint"] = {k: v for k, v in featured.items() if not _telemetry(k)}
    assert root is not None
    clean = orjson.loads(world.clean_files[key_to_path(*_entity(world, source))])
    others = {k: v for k, v in entity.items() if k not in (root[0], "key")}
    clean_others = {k: v for k, v in clean.items() if k not in (root[0], "key")}
    part = entity.get(str(root[0]))
    return part == expected and others == (clean_others if same_key else {})


def _endpoint_as_sent(entity: dict[str, Any], after: Files) -> dict[str, Any]:
    """Return an archived endpoint with its provider_info rebuilt as upstream sent it."""
    rebuilt = {k: v for k, v in entity.items() if k not in (OWN_FIELD, ABSENT_FIELD)}
    info = entity.get("provider_info")
    if isinstance(info, str) and info:
        provider = orjson.loads(after.get(key_to_path("provider", info), b"{}"))
        record = provider.get("provider_info")
        if not isinstance(record, dict):
            return {"provider_info": "missing from the provider file"}
        rebuilt["provider_info"] = rebuilt_provider_info(entity, record)
    return rebuilt


def _endpoint_expected(item: dict[str, Any]) -> dict[str, Any]:
    """Return what an endpoint file keeps of an upstream endpoint: no telemetry, and its
    embedded model as the reference it already carries (SPEC, full fidelity); a `model`
    that is no embedded object is the endpoint's own field, kept as sent."""
    expected = {k: v for k, v in item.items() if not _telemetry(k)}
    if isinstance(expected.get("model"), dict):
        expected["model"] = item.get("model_variant_slug")
    return expected


def _telemetry(name: str | int) -> bool:
    return isinstance(name, str) and (name in ENDPOINT_TELEMETRY or name.startswith("status_h"))


def case_problems(world: World, field: tuple[str, Path_], drift: str) -> list[str]:
    """Sync one drift into a copy of the base archive; return what breaks the properties."""
    value = DRIFTS[drift]
    capture = with_drift(world.capture, world.facts, field, value)
    repo = cheap_copy(world.base, world.case_folder / drift)
    try:
        log, _ = replay(repo, capture)
    except Exception as error:  # A traceback is exactly what this checks for.
        return [f"{drift}: sync raised {type(error).__name__}: {error}"]
    after = data_files(repo)
    shutil.rmtree(repo)
    lines = log.failures + log.notes
    found = [f"{drift}: a line spans lines: {line!r}" for line in lines if "\n" in line]
    verified = as_sent(world, field, capture, after)
    found += _ignored(world, field, capture, after, verified, lines, drift)
    mine = concerned(world, field) | verified
    kinds = TELEMETRY_KINDS.get(field[0], set())
    for path in sorted(set(after) | set(world.clean_files) | set(world.base_files)):
        now, clean, base = after.get(path), world.clean_files.get(path), world.base_files.get(path)
        if now == clean or path in verified:
            continue
        if path.startswith("data/telemetry/"):
            if path.split("/")[2] not in kinds:
                found.append(f"{drift}: {path} differs from a clean sync")
            continue
        if path not in mine:
            found.append(f"{drift}: {path} (not drifted) differs from a clean sync")
        elif now == base:
            if not lines:
                found.append(f"{drift}: {path} kept as it was, with no line saying why")
        elif now is None:
            found.append(f"{drift}: {path} was removed")
        elif path == LEDGER_PATH:
            found += _ledger_problems(world, field, value, now, drift)
        else:
            found.append(f"{drift}: {path} is neither clean, kept nor as sent: {now[:300]!r}")
    return found


def _ignored(
    world: World,
    field: tuple[str, Path_],
    drifted: Capture,
    after: Files,
    verified: set[str],
    lines: list[str],
    drift: str,
) -> list[str]:
    """Return a problem if the drifted entity's file is as a clean sync left it although the
    drift should show there (as sent) or be refused: a drift the sync did not see at all."""
    source, path = field
    if not as_sent_applies(field) or len(path) < 3 or _telemetry(path[2]):
        return []
    if path[-1] == "design_arena":
        return []  # Telemetry too: its series holds it.
    item = drifted_item(world, drifted, source)
    if item == drifted_item(world, world.capture, source):
        return []  # The drift sent what was there already.
    target = key_to_path(*_entity(world, source))
    clean, base = world.clean_files.get(target), world.base_files.get(target)
    refusable = bool(KEY_FIELDS & set(path[2:]))
    if target in verified or after.get(target) != clean or (refusable and clean == base and lines):
        # As sent, or (a key drifted: the entity cannot be filed) kept as it was, the loop
        # asking for a line saying why. Any other field's drift must show in the file.
        return []
    return [f"{drift}: {target} is as a clean sync left it: the drift was not seen"]


# Fields an entity is filed or referenced by: drifted, the entity is refused and kept.
KEY_FIELDS = {"id", "slug", "permaslug", "model_variant_slug", "provider_info"}


def _ledger_problems(
    world: World, field: tuple[str, Path_], value: Any, now: bytes, drift: str
) -> list[str]:
    """Return what is wrong with a ZDR ledger written from a drifted list: a member leaves
    only when a list read whole lacks it; a renamed entry is a member under its new name."""
    clean = membership(world.clean_files[LEDGER_PATH])
    old = (world.facts.permaslug, world.facts.tag)
    name = field[1][-1]
    if name == ITEM and value is REMOVED:
        clean = clean - {old}
    elif name == ITEM or (name in ("model_id", "tag") and not (isinstance(value, str) and value)):
        clean = clean | membership(world.base_files[LEDGER_PATH])  # not read whole
    elif name in ("model_id", "tag"):
        clean = clean - {old} | {(value, old[1]) if name == "model_id" else (old[0], value)}
    after = membership(now)
    if after != clean:
        return [f"{drift}: the ZDR ledger lists {sorted(after ^ clean)} unlike a clean sync"]
    return []


@pytest.mark.parametrize("field", SYNC_FIELDS, ids=field_id)
def test_a_drifted_field_is_archived_as_sent_or_refused_and_couples_nothing(
    world: World, field: tuple[str, Path_], tmp_path: Path
) -> None:
    world.case_folder = tmp_path
    found = [line for drift in DRIFTS for line in case_problems(world, field, drift)]
    assert found == [], "\n".join(found)


# Fields whose drift moves or hides the entity (a key, the listing it is fetched from): in
# the combined archive they would keep every other drift out of history, so they are left
# to the cases above.
STRUCTURAL = {"id", "slug", "permaslug", "model_variant_slug", "endpoint", "tag", "model_id"}


def combined_fields() -> list[tuple[str, Path_]]:
    """Return every field drifted at once in the combined archive, deepest first (a field
    drifted after one inside it replaces it)."""
    fields = [
        (source, path)
        for source, path in [*SYNC_FIELDS, *READ_FIELDS]
        if len(path) > (2 if ITEM in path else 1) and not STRUCTURAL & set(path[:4])
    ]
    return sorted(fields, key=lambda field: -len(field[1]))


def _inside(field: tuple[str, Path_], container: tuple[str, Path_]) -> bool:
    """Tell whether a field lies inside another one of the same source."""
    (source, path), (holder, prefix) = field, container
    return source == holder and len(path) > len(prefix) and path[: len(prefix)] == prefix


def with_all_drifts(world: World, value: Any, fields: list[tuple[str, Path_]]) -> Capture:
    """Return the capture with every field drifted to one value, where it still exists."""
    capture = world.capture
    for field in fields:
        try:
            capture = with_drift(capture, world.facts, field, value)
        except (KeyError, IndexError, TypeError, StopIteration):
            continue  # Inside a field drifted before: not there any more.
    return capture


def _nth_drift(position: int) -> Any:
    """Return the drifts in turn, one per position."""
    values = list(DRIFTS.values())
    return values[position % len(values)]


def cli(*args: str) -> str:
    """Run the command line in-process; fail on a traceback or an exit code other than 0/1."""
    result = CliRunner().invoke(main, list(args))
    shown = f"archiver {' '.join(args)} -> {result.exit_code}:\n{result.output[-3000:]}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(shown) from result.exception
    assert result.exit_code in (0, 1), shown
    assert "Traceback" not in result.output, shown
    return result.output


@pytest.fixture(scope="module")
def combined(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an archive that went through every drift: for each drift, one sync of the leaf
    fields alone, one of every field at once (containers over leaves); then a clean sync, and
    one with each leaf drifted to another type. Each run by `archiver sync` on the command
    line against the replay server."""
    repo = Path(shutil.copytree(world.base, tmp_path_factory.mktemp("combined") / "archive"))
    fields = combined_fields()
    leaves = [f for f in fields if not any(_inside(o, f) for o in fields)]
    hours = [
        with_all_drifts(world, v, fields_) for v in DRIFTS.values() for fields_ in (leaves, fields)
    ]
    # Last, HEAD (what the site shows): every leaf drifted at once, each to another type.
    mixed = world.capture
    for position, field in enumerate(leaves):
        mixed = with_all_drifts(replace(world, capture=mixed), _nth_drift(position), [field])
    for offset, capture in enumerate([*hours, world.capture, mixed]):
        epoch = (capture.time + timedelta(hours=offset)).isoformat()
        with ReplayServer(capture) as server:
            output = cli(
                "sync",
                "--repo",
                str(repo),
                "--base-url",
                server.base_url,
                "--epoch",
                epoch,
                "--retries",
                "0",
            )
        assert "Sync " in output
    return repo


def test_every_reader_runs_on_an_archive_of_every_drift(
    world: World, combined: Path, tmp_path: Path
) -> None:
    repo, facts = str(combined), world.facts
    readers = [
        ("log", "endpoint", facts.endpoint),
        ("log", "model", TARGET_MODEL),
        ("log", "provider", facts.provider),
        ("log", "--json", "endpoint", facts.endpoint),
        ("changes",),
        ("changes", "--json"),
        ("show", "endpoint", facts.endpoint),
        ("price", "endpoint", facts.endpoint),
        ("price", "model", TARGET_MODEL),
        ("cost", TARGET_MODEL, "--input", "1000", "--output", "100"),
        ("telemetry", "endpoint", facts.endpoint),
        ("telemetry", "model", TARGET_MODEL),
        ("telemetry", "model-variant", TARGET_MODEL, "--format", "json"),
        ("telemetry", "endpoint-uptime", facts.endpoint),
        ("site", "--out", str(tmp_path / "site")),
    ]
    epochs = git(combined, "log", "--format=%(trailers:key=Sync-Epoch,valueonly)").split()
    for epoch in epochs:  # The price and the cost in force at each drift.
        readers += [
            ("price", "endpoint", facts.endpoint, "--at", epoch, "--json"),
            ("cost", TARGET_MODEL, "--at", epoch, "--input", "1000", "--output", "100"),
        ]
    for args in readers:
        cli(args[0], "--repo", repo, *args[1:])
    assert (tmp_path / "site" / "index.html").is_file()
    pytest.importorskip("pyarrow")
    cli("export", "--repo", repo, str(tmp_path / "export"))


def test_every_move_of_a_price_field_is_a_price_change_whatever_its_type(
    world: World, combined: Path
) -> None:
    """A price that drifts into something that is no price ("x", [], true) is still a change
    of that price: `changes --kind price` lists it (it listed none of them, so a user
    tracking prices never learnt the input price had become "x")."""
    path = key_to_path("endpoint", world.facts.endpoint)
    history = git(combined, "log", "--format=%H %(trailers:key=Sync-Epoch,valueonly)", "--", path)
    versions = [line.split() for line in history.splitlines() if line.strip()][::-1]
    prompts = [
        _dig(orjson.loads(blob(combined, commit, path)), "pricing", "prompt")
        for commit, _ in versions
    ]
    moved = {
        epoch
        for (_, epoch), old, new in zip(versions[1:], prompts, prompts[1:], strict=False)
        if old != new
    }
    listed = orjson.loads(cli("changes", "--repo", str(combined), "--json", "--kind", "price"))
    told = {
        sync["epoch"]
        for sync in listed
        for change in sync["changes"]
        if change["key"] == world.facts.endpoint
        and any(d["kind"] == "price" and d["text"].startswith("input") for d in change["details"])
    }
    assert len(moved) > len(DRIFTS)
    assert moved - told == set()


def _dig(value: Any, *names: str) -> Any:
    """Return the value at a path of names (None: absent, as null: no price either way)."""
    for name in names:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def test_the_matrix_is_what_the_module_says() -> None:
    assert (len(set(SYNC_FIELDS)), len(DRIFTS), len(set(READ_FIELDS))) == (59, 11, 49)
    assert not set(SYNC_FIELDS) & set(READ_FIELDS)
