"""Pricing intervals in the JSON API, and the cost calculator of each model page.

``api/pricing/<modelKey>.json`` (the key encoded as in the archive's paths) holds every
endpoint a model ever had, with ``listed`` (the syncs it was listed between) and every
pricing it had, each with ``valid_from`` / ``valid_to`` (the syncs
it was in force between; ``null``: still in force), the archived ``pricing`` object
verbatim, and ``bill``: what ``archiver cost`` bills from it (see
:func:`archiver.history.pricing.billing`), so that a browser prices a past request as the
command line does. Models no longer listed keep their file. ``api/pricing/index.json``
lists the files. The model page's calculator reads its model's file
(``static/calculator.js``); without JavaScript it shows the cost of an example request at
the newest sync, computed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from archiver import jsonvalue
from archiver.canonical import json_bytes
from archiver.errors import UnsafeKeyError
from archiver.history.price_moves import EXACT, dollars
from archiver.history.pricing import LIST_PRICE, PriceInterval, billing, request_cost
from archiver.history.settled import settled
from archiver.history.versions import SyncChanges
from archiver.site.formats import MILLION, iso
from archiver.site.rows import Catalog
from archiver.site.urls import PRICING_INDEX, endpoint_page, pricing_file
from archiver.times import format_epoch

__all__ = [
    "EXAMPLE_INPUT",
    "EXAMPLE_OUTPUT",
    "Calculator",
    "CalculatorRow",
    "pricing_file",
    "pricing_files",
]

EXAMPLE_INPUT = 10_000
EXAMPLE_OUTPUT = 1_000
INDEX = PRICING_INDEX
_OPTIONS = orjson.OPT_SORT_KEYS
Histories = Mapping[tuple[str, str], list[PriceInterval]]
Span = dict[str, str | None]


@dataclass(frozen=True)
class CalculatorRow:
    """One endpoint in the calculator's table without JavaScript: its cost of the example."""

    endpoint: str | None
    provider: str
    href: str | None
    input: str
    output: str
    cost: str
    amount: Decimal | None
    since: datetime | None
    note: str


@dataclass(frozen=True)
class Calculator:
    """A model page's calculator: its intervals file and the example request's costs."""

    source: str
    input_tokens: int
    output_tokens: int
    rows: list[CalculatorRow]


@dataclass(frozen=True)
class _Owner:
    """Whose an endpoint is, from its newest archived version."""

    model: str
    provider: str
    provider_tag: str


def pricing_files(
    catalog: Catalog,
    groups: Sequence[SyncChanges],
    histories: Histories,
    meta: Mapping[str, Any],
) -> tuple[dict[str, bytes], dict[str, Calculator]]:
    """Return ({path: bytes} of the pricing API, {modelKey: calculator} of current models)."""
    owners = _owners(groups)
    spans = _listings(groups)
    listed_endpoints = {row.id for row in catalog.endpoints}
    by_model: dict[str, list[str]] = {}
    for endpoint, owner in sorted(owners.items()):
        # Listed without a pricing object too: `archiver cost` lists it, "no pricing archived".
        known = ("endpoint", endpoint) in histories or endpoint in spans
        if known and _has_file(owner.model):
            by_model.setdefault(owner.model, []).append(endpoint)
    models = sorted(set(by_model) | {key for kind, key in histories if kind == "model"})
    first = iso(groups[-1].epoch) if groups else None
    files: dict[str, bytes] = {}
    listed = []
    for model in models:
        endpoints = [
            _endpoint_json(
                key,
                owners[key],
                (histories.get(("endpoint", key), []), spans.get(key, [])),
                catalog,
                listed_endpoints,
            )
            for key in by_model.get(model, [])
        ]
        body = {
            **meta,
            "first_sync": first,
            "model": model,
            "list_price": [_interval_json(i) for i in histories.get(("model", model), [])],
            "count": len(endpoints),
            "endpoints": endpoints,
        }
        files[pricing_file(model)] = _model_file(body)
        current = model in catalog.model_index
        listed.append(
            {
                "key": model,
                "file": pricing_file(model),
                "endpoints": len(endpoints),
                "current": current,
            }
        )
    index = {**meta, "count": len(listed), "models": listed}
    files = {INDEX: json_bytes(index, _OPTIONS), **files}
    calculators = {row.key: _calculator(row.key, catalog, histories) for row in catalog.models}
    return files, calculators


def _owners(groups: Sequence[SyncChanges]) -> dict[str, _Owner]:
    """Return each endpoint's model and provider, from its newest version in history."""
    found: dict[str, _Owner] = {}
    for group in groups:  # Newest first: the first version seen of an endpoint is its newest.
        for change in group.changes:
            entity = change.after or change.before
            if change.category != "endpoint" or change.key in found or entity is None:
                continue
            model = entity.get("model") or entity.get("model_variant_slug")
            provider = str(entity.get("provider_info") or "")
            tag = str(entity.get("provider_slug") or provider)
            if isinstance(model, str) and model:
                found[change.key] = _Owner(model, provider, tag)
    return found


def _has_file(model: str) -> bool:
    """Tell whether a model key names a pricing file: an endpoint file edited by hand may name
    a model no archive path can hold (the build reports that file as a problem)."""
    try:
        pricing_file(model)
    except UnsafeKeyError:
        return False
    return True


def _listings(groups: Sequence[SyncChanges]) -> dict[str, list[Span]]:
    """Return the syncs each endpoint was listed between, oldest first (valid_to None: still)."""
    found: dict[str, list[Span]] = {}
    for group in reversed(settled(groups)):
        for change in group.changes:
            if change.category != "endpoint":
                continue
            spans = found.setdefault(change.key, [])
            listed = bool(spans) and spans[-1]["valid_to"] is None
            if change.after is None and listed:
                spans[-1]["valid_to"] = format_epoch(change.epoch)
            elif change.after is not None and not listed:
                spans.append({"valid_from": format_epoch(change.epoch), "valid_to": None})
    return found


def _endpoint_json(
    key: str,
    owner: _Owner,
    history: tuple[list[PriceInterval], list[Span]],
    catalog: Catalog,
    listed: set[str],
) -> dict[str, Any]:
    """Return one endpoint's entry: who serves it, its page if listed, when it was listed,
    its pricing intervals."""
    intervals, spans = history
    provider = catalog.provider_index.get(owner.provider)
    return {
        "id": key,
        "provider": owner.provider,
        "provider_tag": owner.provider_tag,
        "provider_name": provider.name if provider else owner.provider,
        "page": endpoint_page(key) if key in listed else None,
        "listed": spans,
        "intervals": [_interval_json(interval) for interval in intervals],
    }


def _model_file(body: dict[str, Any]) -> bytes:
    """Return a model's pricing file; a pricing nested deeper than JSON files hold is null.

    Such a pricing is no archiver's (a file edited by hand, merged in with a sync): the
    endpoint's page is left out with a problem line, and its interval here keeps its dates
    and bill rather than the error stopping the whole site.
    """
    try:
        return json_bytes(body, _OPTIONS)
    except (jsonvalue.EncodeError, RecursionError):
        for endpoint in body["endpoints"]:
            endpoint["intervals"] = [_writable(interval) for interval in endpoint["intervals"]]
        body["list_price"] = [_writable(interval) for interval in body["list_price"]]
        return json_bytes(body, _OPTIONS)


def _writable(interval: dict[str, Any]) -> dict[str, Any]:
    """Return an interval with each value JSON cannot write made null."""
    found = {}
    for name, value in interval.items():
        try:
            jsonvalue.dumps(value)
        except (jsonvalue.EncodeError, RecursionError):
            value = None
        found[name] = value
    return found


def _interval_json(interval: PriceInterval) -> dict[str, Any]:
    """Return one interval with its billed prices."""
    return {**interval.to_json(), "bill": billing(interval.pricing)}


def _calculator(model: str, catalog: Catalog, histories: Histories) -> Calculator:
    """Return the calculator of one model: the example's cost on each endpoint at HEAD."""
    rows = []
    for endpoint in catalog.by_model.get(model, []):
        interval = _in_force(histories.get(("endpoint", endpoint.id), []))
        label = endpoint.provider_tag or endpoint.provider_name
        rows.append(_row(endpoint.id, label, endpoint.href, interval))
    if not rows:
        interval = _in_force(histories.get(("model", model), []))
        if interval is not None:
            rows.append(_row(None, LIST_PRICE, None, interval))
    rows.sort(key=lambda row: (row.amount is None, row.amount or 0, row.provider))
    return Calculator(pricing_file(model), EXAMPLE_INPUT, EXAMPLE_OUTPUT, rows)


def _per_million(price: Decimal | None) -> str:
    """Return a per-token price per million tokens, exact, as the calculator writes it."""
    return dollars(EXACT.multiply(price, MILLION)) if price is not None else "\u2013"


def _in_force(intervals: list[PriceInterval]) -> PriceInterval | None:
    """Return the interval in force at the newest sync, if any."""
    return intervals[-1] if intervals and intervals[-1].valid_to is None else None


def _row(
    endpoint: str | None, provider: str, href: str | None, interval: PriceInterval | None
) -> CalculatorRow:
    """Return one row of the example: cost, exact prices per M tokens, since when."""
    if interval is None:
        return CalculatorRow(
            endpoint, provider, href, "", "", "", None, None, "no pricing archived"
        )
    cost = request_cost(interval.pricing, EXAMPLE_INPUT, EXAMPLE_OUTPUT)
    total = dollars(cost.total) if cost.total is not None else ""
    note = cost.reason
    if cost.tier is not None:  # Unpriced at that tier, it says both (as `cost --json` does).
        tier = f"long-context price from {cost.tier:,} prompt tokens"
        note = f"{tier}: {cost.reason}" if cost.reason else tier
    # Not priced per token (a second of video): its token prices ("0") are no price.
    priced = cost.total is not None
    return CalculatorRow(
        endpoint,
        provider,
        href,
        _per_million(cost.prompt if priced else None),
        _per_million(cost.completion if priced else None),
        total,
        cost.total,
        interval.valid_from,
        note,
    )
