"""The archive's history as the site tells it: change cards by sync, and price series.

Everything comes from one pass over :func:`archiver.history.versions.changes`: the
monitor's cards grouped by sync (each card built by :mod:`archiver.site.cards`, its kinds
and summary from :mod:`archiver.history.kinds`), most important first, each entity's own
history, and every endpoint's and model's price at every sync where it changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from archiver.history.classify import decimal_price
from archiver.history.kinds import Kind, importance, model_name
from archiver.history.settled import settled
from archiver.history.versions import Change, SyncChanges
from archiver.site.cards import CardParts, ChangeCard, card_from_parts, card_parts
from archiver.site.catalog import unit_price
from archiver.site.context import Projection
from archiver.site.formats import per_million
from archiver.site.gaps import PRICE_ALLOWANCE, Record
from archiver.site.values import dig

__all__ = [
    "PRICE_METRICS",
    "PricePoint",
    "SyncGroup",
    "Timeline",
    "build_timeline",
]

# Chart metric -> the endpoint pricing field it reads (discount is a share, not a price).
PRICE_METRICS = {
    "input": "prompt",
    "output": "completion",
    "cache_read": "input_cache_read",
    "discount": "discount",
}
# The metrics that are prices per million tokens.
TOKEN_METRICS = ("input", "output", "cache_read")
# A sync with more cards of one plain kind than this shows them as one collapsed list.
BULK_THRESHOLD = 40
# Kinds that may flood a sync (a first import, a catalog-wide field); prices never collapse.
PLAIN_KINDS = frozenset({Kind.ADDED, Kind.REMOVED, Kind.FEATURES, Kind.METADATA, Kind.OTHER})


@dataclass(frozen=True)
class SyncGroup:
    """The cards of one sync: shown one by one, and bulk lists for floods of one kind."""

    epoch: datetime
    commit: str
    cards: list[ChangeCard]
    bulk: dict[str, list[ChangeCard]]

    @property
    def size(self) -> int:
        """Return how many changes the sync holds."""
        return len(self.cards) + sum(len(cards) for cards in self.bulk.values())


@dataclass(frozen=True)
class PricePoint:
    """An entity's prices from one sync on ($/Mtok; discount as a share); None: absent."""

    epoch: datetime
    values: Mapping[str, Decimal | None] | None


@dataclass
class Timeline:
    """Everything the site shows from history."""

    groups: list[SyncGroup] = field(default_factory=list)
    by_entity: dict[tuple[str, str], list[ChangeCard]] = field(default_factory=dict)
    endpoint_prices: dict[str, list[PricePoint]] = field(default_factory=dict)
    model_prices: dict[str, list[PricePoint]] = field(default_factory=dict)
    first_seen: dict[tuple[str, str], datetime] = field(default_factory=dict)
    # Endpoint cards by ("model", modelKey) and ("provider", providerSlug), gone ones included.
    endpoint_cards: dict[tuple[str, str], list[ChangeCard]] = field(default_factory=dict)
    # When syncs ran (every sync commit): a price holds between versions only while they did.
    syncs: Record | None = None

    def last_changes(self) -> dict[tuple[str, str], datetime]:
        """Return the epoch of each entity's newest change."""
        return {key: cards[0].epoch for key, cards in self.by_entity.items() if cards}

    def history(self, category: str, key: str) -> list[ChangeCard]:
        """Return an entity's changes, with its endpoints' for a model or provider, newest first."""
        cards = list(self.by_entity.get((category, key), []))
        if category != "endpoint":
            cards += self.endpoint_cards.get((category, key), [])
        cards.sort(key=lambda card: (card.epoch, card.category != "endpoint"), reverse=True)
        return cards


# Returns a change's card parts, given the model names: described now or kept from before.
PartsSource = Callable[[Change, Mapping[str, str]], CardParts]


def build_timeline(
    projection: Projection, groups: Sequence[SyncChanges], parts: PartsSource = card_parts
) -> Timeline:
    """Return the site's history from history.changes() groups (newest first).

    parts: where each change's card parts come from (archiver.site.card_cache keeps them
    between builds); the cards are the same either way.
    """
    timeline = Timeline(syncs=Record.of((sync.epoch for sync in projection.syncs), PRICE_ALLOWANCE))
    names = {key: model_name(entity, key) for key, entity in projection.models.items()}
    for group in groups:
        found = (
            card_from_parts(change, parts(change, names), projection) for change in group.changes
        )
        cards = sorted(found, key=lambda card: importance(card.described))
        for card in cards:
            timeline.by_entity.setdefault((card.category, card.key), []).append(card)
            if card.category == "endpoint":
                for owner in (("model", card.model_key), ("provider", card.provider_key)):
                    timeline.endpoint_cards.setdefault(owner, []).append(card)
        timeline.groups.append(_grouped(group, cards))
    for group in reversed(settled(groups)):
        for change in group.changes:
            _record_prices(timeline, change)
    return timeline


def _grouped(group: SyncChanges, cards: list[ChangeCard]) -> SyncGroup:
    """Return a sync's cards, floods of cards of one plain kind collapsed by kind."""
    plain: dict[str, list[ChangeCard]] = {}
    for card in cards:
        kinds = card.described.kinds
        if all(kind in PLAIN_KINDS for kind in kinds):
            plain.setdefault(f"{card.category} {kinds[0].value}", []).append(card)
    bulk = {name: found for name, found in plain.items() if len(found) > BULK_THRESHOLD}
    collapsed = {id(card) for found in bulk.values() for card in found}
    shown = [card for card in cards if id(card) not in collapsed]
    return SyncGroup(group.epoch, group.commit, shown, bulk)


def _record_prices(timeline: Timeline, change: Change) -> None:
    """Append the prices an endpoint or model has after a change (None when removed)."""
    if change.category == "endpoint":
        series = timeline.endpoint_prices.setdefault(change.key, [])
        values = _prices(dig(change.after, ("pricing",))) if change.after else None
        if values is not None and unit_price(dig(change.after, ("display_pricing",))):
            # Sold per song or second: its token prices ("0") are no price per million tokens.
            values = {**values, **dict.fromkeys(TOKEN_METRICS)}
    elif change.category == "model":
        series = timeline.model_prices.setdefault(change.key, [])
        values = _prices(dig(change.after, ("v1", "pricing"))) if change.after else None
        if values is not None and all(v is None for v in values.values()):
            values = None  # A catalog-only model has no price of its own.
    else:
        return
    timeline.first_seen.setdefault((change.category, change.key), change.epoch)
    if not series or series[-1].values != values:
        series.append(PricePoint(change.epoch, values))


def _prices(pricing: Any) -> dict[str, Decimal | None]:
    """Return the charted prices of a pricing object."""
    pricing = pricing if isinstance(pricing, dict) else {}
    values: dict[str, Decimal | None] = {}
    for metric, name in PRICE_METRICS.items():
        if metric == "discount":
            raw = pricing.get(name)
            # decimal_price: not Decimal(), which raised on 0e1000000000000000000 and, times
            # 100, overflowed on 1e999999999999999999 (both JSON numbers).
            share = decimal_price(raw) if isinstance(raw, int | float) else None
            values[metric] = share * 100 if share is not None else None
        else:
            values[metric] = per_million(pricing.get(name))
    return values
