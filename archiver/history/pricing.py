"""The price in force at any moment, and what a past request cost, from the archive alone.

An entity's *pricing* is its archived pricing object, verbatim: an endpoint's ``pricing``
(with its service ``tiers``, priority or flex, when it has them), a model's ``v1.pricing``
(OpenRouter's list price). A :class:`PriceInterval` runs from the sync that first showed
one pricing (``valid_from``) to the sync that showed another one or the entity gone
(``valid_to``; None while it is still in force). The pricing in force at a moment is that
of the last sync at or before it, as ``archiver show --at`` reads the archive; epochs are
the ``Sync-Epoch`` trailers.

Prices stay the archived decimals, exact (:class:`~decimal.Decimal`, never a float).
``pricing.prompt`` and its siblings are what a request is billed: an endpoint's
``discount`` is already applied to them (``pricing_json`` keeps the provider's undiscounted
rate card). A long-context tier (``pricing.overrides``, each with ``min_prompt_tokens``)
bills a whole request at its prices once the prompt reaches that many tokens (fields the
tier lacks keep their base price; the highest tier reached applies). The bound is
inclusive, as the field's name says; OpenRouter's display labels (``>128K``) differ only
at exactly that many tokens.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

from archiver.errors import ArchiverError
from archiver.history.index import HistoryIndex
from archiver.history.price_moves import EXACT
from archiver.history.price_sheet import ROUTED, exact_text, pricing_of, tier_prices, unit_priced
from archiver.history.settled import settled
from archiver.history.versions import SyncChanges, category_at, versions
from archiver.paths import Category
from archiver.times import format_epoch

__all__ = [
    "EndpointCost",
    "PriceInterval",
    "PriceLookupError",
    "RequestCost",
    "billing",
    "check_archive_covers",
    "model_costs",
    "price_in_force",
    "price_intervals",
    "pricing_histories",
    "pricing_history",
    "request_cost",
]

Entity = dict[str, Any]
LIST_PRICE = "list price (v1)"


class PriceLookupError(ArchiverError):
    """No pricing answers the question: an unknown entity, a time outside its life, a count
    of tokens no request has."""


@dataclass(frozen=True)
class PriceInterval:
    """One pricing of one entity and the syncs it was in force between."""

    valid_from: datetime
    valid_to: datetime | None
    pricing: dict[str, Any]
    service_tiers: dict[str, Any] | None

    def covers(self, at: datetime | None) -> bool:
        """Tell whether this pricing was in force at `at` (None: now, at HEAD)."""
        if at is None:
            return self.valid_to is None
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)

    def to_json(self) -> dict[str, Any]:
        """Return the interval as the JSON API and `archiver price --json` write it."""
        found: dict[str, Any] = {
            "valid_from": format_epoch(self.valid_from),
            "valid_to": format_epoch(self.valid_to) if self.valid_to else None,
            "pricing": self.pricing,
        }
        if self.service_tiers is not None:
            found["service_tiers"] = self.service_tiers
        return found


@dataclass(frozen=True)
class RequestCost:
    """What one request cost under one pricing: total None when it is not priced per token."""

    input_tokens: int
    output_tokens: int
    prompt: Decimal | None
    completion: Decimal | None
    request: Decimal
    tier: int | None
    total: Decimal | None
    reason: str = ""


@dataclass(frozen=True)
class EndpointCost:
    """One endpoint's (or the list price's) cost of a request, and the pricing behind it."""

    endpoint: str | None
    provider: str
    provider_tag: str
    interval: PriceInterval | None
    cost: RequestCost


def price_intervals(
    category: str, states: Iterable[tuple[datetime, Entity | None]]
) -> list[PriceInterval]:
    """Return the pricing intervals of an entity from its states (epoch, entity), oldest first.

    A state without the entity (removed) or without pricing ends the interval in force.
    """
    found: list[PriceInterval] = []
    current: tuple[dict[str, Any], dict[str, Any] | None] | None = None
    for epoch, entity in states:
        state = pricing_of(category, entity)
        if state == current:
            continue
        if current is not None:
            last = found[-1]
            found[-1] = PriceInterval(last.valid_from, epoch, last.pricing, last.service_tiers)
        if state is not None:
            found.append(PriceInterval(epoch, None, state[0], state[1]))
        current = state
    return found


def pricing_history(repo: str | Path, category: Category, key: str) -> list[PriceInterval]:
    """Return every pricing interval of one entity, oldest first."""
    states = [
        (version.epoch, version.entity) for version in reversed(versions(repo, category, key))
    ]
    return price_intervals(category, states)


def pricing_histories(
    groups: Sequence[SyncChanges],
) -> dict[tuple[str, str], list[PriceInterval]]:
    """Return the pricing intervals of every model and endpoint changed in groups (newest first).

    One pass over changes already read (the site has them): no entity is read twice.
    """
    states: dict[tuple[str, str], list[tuple[datetime, Entity | None]]] = {}
    for group in reversed(settled(groups)):
        for change in group.changes:
            if change.category in ("model", "endpoint"):
                states.setdefault((change.category, change.key), []).append(
                    (change.epoch, change.after)
                )
    return {
        (category, key): intervals
        for (category, key), found in states.items()
        if (intervals := price_intervals(category, found))
    }


def price_in_force(
    repo: str | Path, category: Category, key: str, at: datetime | None = None
) -> PriceInterval:
    """Return the pricing of one entity in force at `at` (None: now), or raise PriceLookupError."""
    if category not in ("model", "endpoint"):
        raise PriceLookupError(f"a {category} has no pricing; give an endpoint id or a model key")
    if at is not None:
        check_archive_covers(repo, at)
    intervals = pricing_history(repo, category, key)
    found = next((interval for interval in intervals if interval.covers(at)), None)
    if found is None:
        raise PriceLookupError(_no_price(repo, category, key, at, intervals))
    return found


def request_cost(pricing: Mapping[str, Any], input_tokens: int, output_tokens: int) -> RequestCost:
    """Return the cost of a request of input and output tokens under one pricing object."""
    prices, tier = tier_prices(pricing, input_tokens)
    prompt, completion = prices.get("prompt"), prices.get("completion")
    fee = prices.get("request") or Decimal(0)
    reason = _unpriced(pricing, prices)
    if reason:
        return RequestCost(input_tokens, output_tokens, prompt, completion, fee, tier, None, reason)
    assert prompt is not None and completion is not None
    with localcontext(EXACT):
        total = input_tokens * prompt + output_tokens * completion + fee
    return RequestCost(input_tokens, output_tokens, prompt, completion, fee, tier, total)


def billing(pricing: Mapping[str, Any]) -> dict[str, Any]:
    """Return what request_cost bills, for a calculator elsewhere (the site's, in JavaScript).

    {"prompt", "completion", "request"} as exact decimal strings (None: absent), "tiers":
    the same for each long-context tier with its "min_prompt_tokens" (base prices merged
    in), and "unpriced": why a request cannot be priced per token, or None. Each tier says
    its own "unpriced", as request_cost judges a prompt that reaches it: a tier may route
    (-1) where the base prices do not, or price what the base leaves routed.
    """
    base, _ = tier_prices(pricing, 0)
    tiers = []
    for threshold in _thresholds(pricing):
        prices, _ = tier_prices(pricing, threshold)
        reason = _unpriced(pricing, prices) or None
        tiers.append({"min_prompt_tokens": threshold, **_billed(prices), "unpriced": reason})
    return {**_billed(base), "tiers": tiers, "unpriced": _unpriced(pricing, base) or None}


def model_costs(
    repo: str | Path,
    model: str,
    at: datetime | None,
    input_tokens: int,
    output_tokens: int,
    provider: str | None = None,
) -> list[EndpointCost]:
    """Return the cost of a request on each endpoint of a model in force at `at`, cheapest first.

    provider: only the endpoints of this provider (its slug, or its tagged slug such as
    ``deepinfra/fp8``). With no endpoint archived then (a v1-only archive), the model's
    list price answers, unless a provider was asked for.
    """
    input_tokens = _token_count(input_tokens, "input_tokens")
    output_tokens = _token_count(output_tokens, "output_tokens")
    if at is not None:
        check_archive_covers(repo, at)
    when = at or datetime.max
    serving = {
        key: entity
        for key, entity in category_at(repo, "endpoint", when).items()
        if (entity.get("model") or entity.get("model_variant_slug")) == model
    }
    if provider is not None:
        serving = {key: e for key, e in serving.items() if provider in _provider_names(e)}
        if not serving:
            raise PriceLookupError(_not_served(repo, model, provider, at))
    found = [
        _endpoint_cost(repo, key, entity, at, input_tokens, output_tokens)
        for key, entity in serving.items()
    ]
    if not found:
        found = [_list_cost(repo, model, at, input_tokens, output_tokens)]
    return sorted(found, key=_cheapest_first)


def _token_count(value: object, label: str) -> int:
    """Return a count of tokens as an int (numpy's integers too), or raise PriceLookupError:
    a float or text multiplied the Decimal prices only to raise TypeError, and a negative
    count billed a negative sum (the command line takes 0 or more)."""
    try:
        count = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise PriceLookupError(
            f"{label} must be a whole number of tokens, not {type(value).__name__}"
        ) from None
    if count < 0:
        raise PriceLookupError(f"{label} is {count}; a request has 0 or more tokens")
    return count


def _endpoint_cost(
    repo: str | Path, key: str, entity: Entity, at: datetime | None, inputs: int, outputs: int
) -> EndpointCost:
    """Return one endpoint's cost under the pricing in force at `at`."""
    interval = next(
        (found for found in pricing_history(repo, "endpoint", key) if found.covers(at)), None
    )
    provider = str(entity.get("provider_info") or "")
    tag = str(entity.get("provider_slug") or provider)
    if interval is None:  # Listed then, but without a pricing object: nothing to bill with.
        cost = RequestCost(
            inputs, outputs, None, None, Decimal(0), None, None, "no pricing archived"
        )
    else:
        cost = request_cost(interval.pricing, inputs, outputs)
    return EndpointCost(key, provider, tag, interval, cost)


def _list_cost(
    repo: str | Path, model: str, at: datetime | None, inputs: int, outputs: int
) -> EndpointCost:
    """Return the cost at the model's v1 list price, or raise when it had none then."""
    intervals = pricing_history(repo, "model", model)
    interval = next((found for found in intervals if found.covers(at)), None)
    if interval is None:
        raise PriceLookupError(_no_price(repo, "model", model, at, intervals))
    cost = request_cost(interval.pricing, inputs, outputs)
    return EndpointCost(None, LIST_PRICE, LIST_PRICE, interval, cost)


def _unpriced(pricing: Mapping[str, Any], prices: Mapping[str, Decimal]) -> str:
    """Return why a request cannot be priced per token under these prices ("": it can)."""
    prompt, completion = prices.get("prompt"), prices.get("completion")
    if prompt is None or completion is None:
        return "not priced per token (see `archiver price` for its units)"
    if prompt < 0 or completion < 0 or prices.get("request", Decimal(0)) < 0:
        return ROUTED
    if unit := unit_priced(pricing):
        return f"priced per {unit}, not per token"
    return ""


def _billed(prices: Mapping[str, Decimal]) -> dict[str, str | None]:
    """Return the billed prices as exact decimal strings."""
    return {
        name: exact_text(price) if (price := prices.get(name)) is not None else None
        for name in ("prompt", "completion", "request")
    }


def _thresholds(pricing: Mapping[str, Any]) -> list[int]:
    """Return the min_prompt_tokens of every long-context tier, ascending."""
    overrides = pricing.get("overrides")
    return sorted(
        {
            tier["min_prompt_tokens"]
            for tier in (overrides if isinstance(overrides, list) else [])
            if isinstance(tier, Mapping)
            and isinstance(tier.get("min_prompt_tokens"), int)
            and not isinstance(tier.get("min_prompt_tokens"), bool)
        }
    )


def _cheapest_first(found: EndpointCost) -> tuple[int, Decimal, str, str]:
    """Return the sort key: priced ones by cost, then the unpriced, each by provider."""
    total = found.cost.total
    return (total is None, total or Decimal(0), found.provider_tag, found.endpoint or "")


def _provider_names(entity: Entity) -> set[str]:
    """Return the names a provider may be asked by for an endpoint: slug and tagged slug."""
    return {
        str(entity.get(name)) for name in ("provider_info", "provider_slug") if entity.get(name)
    }


def check_archive_covers(repo: str | Path, at: datetime) -> None:
    """Raise PriceLookupError when `at` is before the archive's first sync (`archiver show
    --at` too: its `{}` read as an empty catalog then)."""
    with HistoryIndex(repo) as index:
        if index.seq_at(at) is not None:
            return
        first = index.first_epoch()
    if first is None:
        raise PriceLookupError(f"the archive at {repo} holds no sync yet; run `archiver sync`")
    raise PriceLookupError(
        f"{format_epoch(at)} is before the archive began (its first sync is "
        f"{format_epoch(first)}); ask for a time at or after it"
    )


def _no_price(
    repo: str | Path,
    category: Category,
    key: str,
    at: datetime | None,
    intervals: Sequence[PriceInterval],
) -> str:
    """Return why no pricing of an entity was in force at `at`, and what to try."""
    moment = f"at {format_epoch(at)}" if at else "now"
    found = versions(repo, category, key)
    if not found:
        listing = "archiver show --all model" if category == "model" else "archiver cost MODEL"
        return f"no {category} {key!r} in the archive's history; `{listing}` lists what it holds"
    spans = ", ".join(
        f"{format_epoch(i.valid_from)} to {format_epoch(i.valid_to) if i.valid_to else 'now'}"
        for i in intervals
    )
    if not spans:
        return f"{category} {key!r} never had a pricing in the archive"
    return f"{category} {key!r} had no pricing in force {moment}; it was priced {spans}"


def _not_served(repo: str | Path, model: str, provider: str, at: datetime | None) -> str:
    """Return the error for a provider that did not serve a model at `at`, naming who did."""
    if not versions(repo, "model", model):
        return (
            f"no model {model!r} in the archive's history; `archiver show --all model` lists them"
        )
    when = at or datetime.max
    names = sorted(
        {
            str(entity.get("provider_slug") or entity.get("provider_info"))
            for entity in category_at(repo, "endpoint", when).values()
            if (entity.get("model") or entity.get("model_variant_slug")) == model
        }
    )
    moment = f"at {format_epoch(at)}" if at else "now"
    others = f"; providers then: {', '.join(names)}" if names else "; no provider served it then"
    return f"provider {provider!r} did not serve {model!r} {moment}{others}"
