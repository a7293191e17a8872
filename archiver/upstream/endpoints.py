"""Endpoints gathered listing by listing, as each per-model listing arrives.

A listing's body is turned at once into what the archive keeps, and is then let go: each
endpoint as the canonical bytes of its file, its telemetry as compact JSON, its provider
record as a reference into a few shared ones. At 50,000 endpoints the parsed bodies would
take about 900 MB; this takes about a quarter of that, whatever order listings arrive in.

The embedded `provider_info` is split by a fixed rule, never by what other endpoints carry
(a majority vote flips as endpoints come and go, and would rewrite unrelated files):

- the fields in `PROVIDER_FIELDS` describe the provider; they go to the provider file;
- every other field (adapter, base URL, pricing strategy, display name, and any field
  OpenRouter adds later) stays in the endpoint file, under `provider_info_endpoint`;
- an endpoint whose provider-level field differs from the provider file's value keeps that
  field in `provider_info_endpoint` too, and the names of provider-level fields it lacks
  in `provider_info_absent`, so the upstream object is always rebuilt exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from archiver import jsonvalue
from archiver.canonical import canonical_bytes
from archiver.textsafe import key_text
from archiver.upstream import fields as telemetry
from archiver.upstream.fetch import Response
from archiver.upstream.listing import is_whole, listing_items, same_item
from archiver.upstream.provider_choice import Carriers, Records, usual_providers
from archiver.upstream.references import foreign_model, unsafe_reference

# Fields of an embedded provider record that describe the provider, the same on every one
# of its endpoints (measured on the daily sweeps: none of them varies within a provider).
# Adapter, base URL, pricing strategy and display name vary by model family, so they are
# the endpoint's own; so is any field not named here.
PROVIDER_FIELDS = frozenset(
    {
        "byokEnabled",
        "dataPolicy",
        "datacenters",
        "editors",
        "headquarters",
        "icon",
        "moderationRequired",
        "name",
        "owners",
        "sendClientIp",
        "slug",
        "statusPageUrl",
    }
)
OWN_FIELD = "provider_info_endpoint"
ABSENT_FIELD = "provider_info_absent"
# An endpoint's telemetry: what the sync's packer made of it (the telemetry writer's leaves,
# packed: a tuple, opaque here); else its compact JSON as orjson wrote it, so orjson alone
# reads it back exactly; or, when a number needs more than orjson holds (rare), the object.
Figures = tuple[Any, ...] | bytes | dict[str, Any]
# Packs an endpoint's figures while they are parsed (None: not packable, kept as JSON). The
# orchestrator passes the telemetry writer's, which this layer may not import.
PackFigures = Callable[[dict[str, Any]], tuple[Any, ...] | None]


@dataclass
class _Endpoint:
    """One endpoint as kept between its listing's arrival and the end of the fetch."""

    rank: tuple[bool, str]
    file: bytes
    figures: Figures | None
    provider: tuple[str, bytes] | None

    def content(self) -> tuple[bytes, bytes, bytes]:
        """Return what decides between two copies of one endpoint: everything it holds."""
        provider = self.provider[1] if self.provider else b""
        figures = self.figures
        # Any encoding decides, as long as each copy's is a function of its data alone; no
        # figures sort first, as they did before figures were packed.
        if figures is None or type(figures) is bytes:
            return (self.file, provider, figures or b"")
        return (self.file, provider, jsonvalue.dumps(figures))


@dataclass
class EndpointParts:
    """What the endpoint listings hold, ready for the planner and the telemetry store."""

    files: dict[str, bytes] = field(default_factory=dict)
    telemetry: dict[str, Figures] = field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)


class EndpointCollector:
    """Collect per-model endpoint listings in any order; `finish` gives the endpoint parts."""

    def __init__(self, pack_figures: PackFigures | None = None) -> None:
        self._pack_figures = pack_figures
        self.archived: Records = {}  # The archive's provider records: of two, that one stays.
        self.carriers: Carriers | None = None  # Which ones endpoints of failed listings carry.
        self._endpoints: dict[str, _Endpoint] = {}
        self._providers: dict[bytes, bytes] = {}
        self.whole: dict[str, bool] = {}
        self._problems: dict[str, list[str]] = {}
        # {modelKey: endpoint ids} of the listings read whole, to check against the catalog.
        self._listed: dict[str, frozenset[str]] = {}
        # Listings that parsed but are taken as failed: another model's, or cut short.
        self.taken_as_failed: set[str] = set()

    @property
    def problems(self) -> list[str]:
        """Return the listings' problems in model key order (arrival order is not stable)."""
        return [p for key in sorted(self._problems, key=_rank) for p in self._problems[key]]

    def add(self, model_key: str, response: Response) -> None:
        """Take one model's listing; its body is not referenced afterwards."""
        problems: list[str] = []
        label = f"endpoints of {key_text(model_key)}"
        items = listing_items(response, label, ("id",), problems)
        whole = is_whole(response, items)
        foreign = foreign_model(model_key, items or [])
        if foreign is not None:
            # A real model's listing holds its own endpoints only (every daily sweep of
            # 2026-07): this is another URL's response, maybe stale (a cache that drops the
            # query string). Taken, it would remove this model's endpoints, or overwrite that
            # model's with an older copy.
            problems.append(
                f"{label}: the listing holds endpoints of {foreign!r}, another model; "
                f"taken as a failed response ({response.url})"
            )
            items, whole = [], False
            self.taken_as_failed.add(model_key)
        rank = _rank(model_key)
        kept: dict[str, _Endpoint] = {}
        sent: dict[str, dict[str, Any]] = {}  # The first copy of each id, as upstream sent it.
        for item in items or []:
            endpoint = self._kept(rank, item, label, problems)
            if endpoint is None:
                whole = False  # A refused endpoint is not absent: nothing may be removed.
                continue
            # The same data, members in another order, is no conflict (figures are held in
            # sent order): reported, it failed every sync while upstream sent it so.
            first = sent.setdefault(item["id"], item)
            told = [] if first is not item and same_item(first, item) else problems
            kept[item["id"]] = _pick(kept.get(item["id"]), endpoint, label, item["id"], told)
        self.whole[model_key] = whole
        if whole:
            self._listed[model_key] = frozenset(kept)
        if problems:
            self._problems[model_key] = problems
        for endpoint_id, endpoint in kept.items():
            held = self._endpoints.get(endpoint_id)
            # Alias listings ("~...") repeat their target's endpoints: the target's copy wins,
            # then the first model key in order, so arrival order never decides.
            if held is None or endpoint.rank < held.rank:
                self._endpoints[endpoint_id] = endpoint

    def seen(self) -> set[str]:
        """Return the ids of every endpoint taken so far."""
        return set(self._endpoints)

    def finish(self, featured: Mapping[str, tuple[str, dict[str, Any]]]) -> EndpointParts:
        """Return the endpoint files, telemetry and provider records.

        featured: the catalog's embedded endpoints, {id: (modelKey, endpoint)}. One is kept
        only where its model's listing came back whole without it (the `~` aliases' own
        featured entries live in the catalog alone). The catalog's copy is slimmer than a
        listing's (no `tiers`, for one): taking it when the listing failed would change the
        file twice for nothing.
        """
        for endpoint_id, (model_key, item) in sorted(featured.items()):
            if self._contradicts(model_key, endpoint_id):
                continue
            if endpoint_id not in self._endpoints and self.whole.get(model_key, False):
                problems = self._problems.setdefault(model_key, [])
                kept = self._kept(
                    (True, "\uffff"), item, f"catalog entry {key_text(model_key)}", problems
                )
                if kept is not None:
                    self._endpoints[endpoint_id] = kept
                else:
                    self.whole[model_key] = False  # Refused, not absent: remove nothing.
                if not problems:
                    del self._problems[model_key]
        failed = {key for key, whole in self.whole.items() if not whole}
        listed = (e.provider for e in self._endpoints.values())
        usual = usual_providers(listed, self.archived, failed, self.carriers, set(self._endpoints))
        parts = EndpointParts(providers={s: jsonvalue.loads(r) for s, r in usual.items()})
        for endpoint_id, endpoint in self._endpoints.items():
            file, provider = endpoint.file, endpoint.provider
            if provider is not None and usual[provider[0]] != provider[1]:
                try:
                    file = _with_provider_differences(file, provider, parts.providers)
                except jsonvalue.EncodeError as error:  # a field one level too deep there
                    model_key = endpoint.rank[1]
                    self.whole[model_key] = False
                    message = f"endpoint {endpoint_id!r}: {error}; {_NOT_WRITTEN}"
                    self._problems.setdefault(model_key, []).append(message)
                    continue
            parts.files[endpoint_id] = file
            if endpoint.figures is not None:
                parts.telemetry[endpoint_id] = endpoint.figures
        self._endpoints = {}
        return parts

    def _contradicts(self, model_key: str, endpoint_id: str) -> bool:
        """Tell whether a real model's whole listing lacks the endpoint its catalog entry
        features; if so it is no evidence of anything (not whole), and say so.

        A real model's own listing always holds its featured endpoint (every daily sweep of
        2026-07; only `~` aliases' do not): one without it (`{"data": []}`, a stale cache) is
        cut short, and taken whole it removed the model's other endpoints for an hour.
        """
        listed = self._listed.get(model_key)
        if model_key.startswith("~") or listed is None or endpoint_id in listed:
            return False
        self.whole[model_key] = False
        self.taken_as_failed.add(model_key)
        self._problems.setdefault(model_key, []).append(
            f"endpoints of {key_text(model_key)}: the listing lacks {endpoint_id!r}, the endpoint "
            "the catalog features; not taken as whole, its archived endpoints are kept"
        )
        return True

    def _kept(
        self, rank: tuple[bool, str], item: dict[str, Any], label: str, problems: list[str]
    ) -> _Endpoint | None:
        """Return what the archive keeps of one upstream endpoint object (None: refused)."""
        entity, figures = telemetry.split_endpoint(item)
        refusal = unsafe_reference(entity)
        if refusal:
            problems.append(f"{label}: endpoint {item['id']!r} refused: {refusal}")
            return None
        if isinstance(entity.get("model"), dict):
            # An embedded copy of the model: kept as the reference the endpoint carries
            # (SPEC). Anything else upstream sends there is the endpoint's own, kept as sent.
            entity["model"] = entity.get("model_variant_slug")
        info = entity.get("provider_info")
        provider = None
        if isinstance(info, dict) and isinstance(info.get("slug"), str):
            shared_names, own_names = _provider_split(tuple(info))
            shared = {k: info[k] for k in shared_names}
            own = {k: info[k] for k in own_names}
            try:
                record = jsonvalue.dumps(shared, orjson.OPT_SORT_KEYS)
            except jsonvalue.EncodeError as error:
                if isinstance(error, jsonvalue.NestingError):
                    error.path.insert(0, "provider_info")
                problems.append(f"{label}: endpoint {item['id']!r}: {error}; {_NOT_WRITTEN}")
                return None
            # Endpoints of one provider carry the same record: share its bytes (a copy only
            # as big as them: orjson's own result keeps its whole buffer).
            kept = self._providers.get(record)
            if kept is None:
                kept = bytes(memoryview(record))
                self._providers[kept] = kept
            provider = (info["slug"], kept)
            entity["provider_info"] = info["slug"]
            if own:
                entity[OWN_FIELD] = own
        try:
            file = canonical_bytes(entity)
        except jsonvalue.EncodeError as error:
            # One hostile value costs its own endpoint only; the listing is kept from removing.
            problems.append(f"{label}: endpoint {item['id']!r}: {error}; {_NOT_WRITTEN}")
            return None
        packed = self._pack_figures(figures) if figures and self._pack_figures else None
        if packed is not None:
            return _Endpoint(rank, file, packed, provider)
        return _Endpoint(rank, file, _figures_kept(figures, label, item["id"], problems), provider)


_NOT_WRITTEN = "not written (its archived version, if any, is kept)"


@functools.lru_cache(maxsize=256)
def _provider_split(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (provider-level fields, the endpoint's own) of a `provider_info`'s field names."""
    shared = tuple(name for name in names if name in PROVIDER_FIELDS)
    return shared, tuple(name for name in names if name not in PROVIDER_FIELDS)


def _figures_kept(
    figures: dict[str, Any], label: str, endpoint_id: str, problems: list[str]
) -> Figures | None:
    """Return an endpoint's telemetry as it is kept (None: none, or it cannot be written)."""
    if not figures:
        return None
    try:
        # Bytes orjson wrote hold only numbers it reads back exactly: the telemetry writer
        # reads them without the round trip jsonvalue.loads makes to be sure.
        return bytes(memoryview(orjson.dumps(figures)))
    except orjson.JSONEncodeError:
        pass
    try:
        jsonvalue.dumps(figures)
    except jsonvalue.EncodeError as error:
        problems.append(f"{label}: endpoint {endpoint_id!r} telemetry: {error}; skipped this sync")
        return None
    return figures


def _rank(model_key: str) -> tuple[bool, str]:
    """Return a listing's precedence: real models before aliases, then by key."""
    return (model_key.startswith("~"), model_key)


def _pick(
    held: _Endpoint | None, new: _Endpoint, label: str, endpoint_id: str, problems: list[str]
) -> _Endpoint:
    """Return which of two copies of one id in one listing to keep, reporting a conflict.

    The smaller content wins, so the choice does not depend on the order upstream sent them.
    """
    if held is None or held.content() == new.content():
        return held or new
    problems.append(
        f"{label}: endpoint {endpoint_id!r} is listed twice with different content; "
        "kept the copy that sorts first"
    )
    return min(held, new, key=_Endpoint.content)


def _with_provider_differences(
    file: bytes, provider: tuple[str, bytes], usual: Mapping[str, dict[str, Any]]
) -> bytes:
    """Return an endpoint file that also keeps where its provider-level fields differ."""
    entity = jsonvalue.loads(file)
    info = jsonvalue.loads(provider[1])
    base = usual[provider[0]]
    # As bytes, not with !=: false == 0 == 0.0 in Python, yet upstream sent each as it is.
    same = {
        k for k, v in info.items() if k in base and canonical_bytes(base[k]) == canonical_bytes(v)
    }
    differing = {k: v for k, v in info.items() if k not in same}
    absent = sorted(k for k in base if k not in info)
    if differing:
        entity[OWN_FIELD] = {**entity.get(OWN_FIELD, {}), **differing}
    if absent:
        entity[ABSENT_FIELD] = absent
    return canonical_bytes(entity)


def rebuilt_provider_info(endpoint: Mapping[str, Any], provider_record: Mapping[str, Any]) -> Any:
    """Return the upstream `provider_info` of an archived endpoint, exactly as it was sent."""
    absent = set(endpoint.get(ABSENT_FIELD, ()))
    info = {k: v for k, v in provider_record.items() if k not in absent}
    return {**info, **endpoint.get(OWN_FIELD, {})}
