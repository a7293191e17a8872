"""Endpoints gathered listing by listing, as each per-model listing arrives.

A listing's body is turned at once into what the archive keeps, and is then let go: each
endpoint as the canonical bytes of its file, its telemetry as compact JSON, its provider
record as a reference into a few shared ones. At 50,000 endpoints the parsed bodies would
take about 900 MB; this takes about a quarter of that, whatever order listings arrive in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from archiver import telemetry
from archiver.canonical import canonical_bytes, json_bytes
from archiver.fetch import Response
from archiver.listing import is_whole, listing_items


@dataclass
class _Endpoint:
    """One endpoint as kept between its listing's arrival and the end of the fetch."""

    rank: tuple[bool, str]
    file: bytes
    figures: bytes | None
    provider: tuple[str, bytes] | None


@dataclass
class EndpointParts:
    """What the endpoint listings hold, ready for the planner and the telemetry store."""

    files: dict[str, bytes] = field(default_factory=dict)
    telemetry: dict[str, bytes] = field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)


class EndpointCollector:
    """Collect per-model endpoint listings in any order; `finish` gives the endpoint parts."""

    def __init__(self) -> None:
        self._endpoints: dict[str, _Endpoint] = {}
        self._providers: dict[bytes, bytes] = {}
        self.whole: dict[str, bool] = {}
        self._problems: dict[str, list[str]] = {}

    @property
    def problems(self) -> list[str]:
        """Return the listings' problems in model key order (arrival order is not stable)."""
        return [p for key in sorted(self._problems, key=_rank) for p in self._problems[key]]

    def add(self, model_key: str, response: Response) -> None:
        """Take one model's listing; its body is not referenced afterwards."""
        problems: list[str] = []
        items = listing_items(response, f"endpoints of {model_key}", ("id",), problems)
        if problems:
            self._problems[model_key] = problems
        self.whole[model_key] = is_whole(response, items)
        rank = _rank(model_key)
        for item in items or []:
            held = self._endpoints.get(item["id"])
            # Alias listings ("~...") repeat their target's endpoints: the target's copy wins,
            # then the first model key in order, so arrival order never decides.
            if held is None or rank < held.rank:
                self._endpoints[item["id"]] = self._kept(rank, item)

    def finish(self, featured: Mapping[str, dict[str, Any]]) -> EndpointParts:
        """Return the endpoint files, telemetry and provider records.

        featured: the catalog's embedded endpoints, by id, kept where no listing had them.
        """
        for endpoint_id, item in featured.items():
            if endpoint_id not in self._endpoints:
                self._endpoints[endpoint_id] = self._kept((True, "\uffff"), item)
        usual = _usual_providers(self._endpoints.values())
        parts = EndpointParts(providers={s: orjson.loads(r) for s, r in usual.items()})
        for endpoint_id, endpoint in self._endpoints.items():
            file, provider = endpoint.file, endpoint.provider
            if provider is not None and usual[provider[0]] != provider[1]:
                file = _with_provider_variant(file, provider, parts.providers)
            parts.files[endpoint_id] = file
            if endpoint.figures is not None:
                parts.telemetry[endpoint_id] = endpoint.figures
        self._endpoints = {}
        return parts

    def _kept(self, rank: tuple[bool, str], item: dict[str, Any]) -> _Endpoint:
        """Return what the archive keeps of one upstream endpoint object."""
        entity, figures = telemetry.split_endpoint(item)
        if "model" in entity:
            entity["model"] = entity.get("model_variant_slug")
        info = entity.get("provider_info")
        provider = None
        if isinstance(info, dict) and isinstance(info.get("slug"), str):
            record = json_bytes(info, orjson.OPT_SORT_KEYS)
            # Endpoints of one provider mostly carry the same record: share its bytes.
            provider = (info["slug"], self._providers.setdefault(record, record))
            entity["provider_info"] = info["slug"]
        return _Endpoint(
            rank,
            canonical_bytes(entity),
            json_bytes(figures) if figures else None,
            provider,
        )


def _rank(model_key: str) -> tuple[bool, str]:
    """Return a listing's precedence: real models before aliases, then by key."""
    return (model_key.startswith("~"), model_key)


def _usual_providers(endpoints: Any) -> dict[str, bytes]:
    """Return {slug: the record most endpoints carry} (ties: the smallest canonical form)."""
    counts: Counter[tuple[str, bytes]] = Counter(
        e.provider for e in endpoints if e.provider is not None
    )
    usual: dict[str, bytes] = {}
    for slug, record in sorted(counts, key=lambda pair: (-counts[pair], pair[1])):
        usual.setdefault(slug, record)
    return usual


def _with_provider_variant(
    file: bytes, provider: tuple[str, bytes], usual: Mapping[str, dict[str, Any]]
) -> bytes:
    """Return an endpoint file that also keeps how its provider record differs from the usual."""
    entity = orjson.loads(file)
    info = orjson.loads(provider[1])
    base = usual[provider[0]]
    overrides = {k: v for k, v in info.items() if base.get(k, _MISSING) != v}
    absent = sorted(k for k in base if k not in info)
    if overrides:
        entity["provider_info_overrides"] = overrides
    if absent:
        entity["provider_info_absent"] = absent
    return canonical_bytes(entity)


_MISSING = object()
