"""The archive's history as the site tells it: change cards by sync, and price series.

Everything comes from one pass over :func:`archiver.history.versions.changes` (issue 4's
classification): the monitor's cards grouped by sync, each entity's own history, and
every endpoint's and model's price at every sync where it changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from archiver.history.classify import PriceChange, render_path
from archiver.history.versions import Change, SyncChanges, format_patch
from archiver.site.context import Entity, Projection
from archiver.site.formats import count, money, per_million
from archiver.site.grid import model_name, provider_name
from archiver.site.urls import endpoint_page, model_page, provider_page

__all__ = [
    "KIND_LABELS",
    "PRICE_METRICS",
    "ChangeCard",
    "Figure",
    "PriceLine",
    "PricePoint",
    "SyncGroup",
    "Timeline",
    "build_timeline",
]

KIND_LABELS = {
    "added": "added",
    "removed": "removed",
    "returned": "returned",
    "price_down": "price down",
    "price_up": "price up",
    "context_changed": "context",
    "other": "other fields",
}
# Chart metric -> the endpoint pricing field it reads (discount is a share, not a price).
PRICE_METRICS = {
    "input": "prompt",
    "output": "completion",
    "cache_read": "input_cache_read",
    "discount": "discount",
}
_PRICE_NAMES = {
    "prompt": "input",
    "completion": "output",
    "input_cache_read": "cache read",
    "input_cache_write": "cache write",
    "input_cache_write_1h": "cache write 1h",
    "internal_reasoning": "reasoning",
    "web_search": "web search",
    "image": "image input",
    "image_output": "image output",
    "audio": "audio input",
    "request": "per request",
}
_PER_UNIT = frozenset({"web_search", "request", "image", "image_output"})
_ECHOES = ("display_pricing", "pricing_json", "pricing_version_id")
MAX_LINES = 12
# A sync with more cards of one plain kind than this shows them as one collapsed list.
BULK_THRESHOLD = 40


@dataclass(frozen=True)
class PriceLine:
    """One price that changed: old and new as people read them, and by how much."""

    label: str
    old: str
    new: str
    percent: float | None
    up: bool
    unit: str

    @property
    def better(self) -> bool:
        """Tell whether the change is good for a buyer (a lower price, a higher discount)."""
        return self.up if self.label == "discount" else not self.up


@dataclass(frozen=True)
class Figure:
    """A labelled figure on a card (context 262,144; input $0.95)."""

    label: str
    value: str


@dataclass(frozen=True)
class ChangeCard:
    """One entity's change in one sync, as a card of the monitor and of entity pages."""

    category: str
    key: str
    epoch: datetime
    commit: str
    kinds: tuple[str, ...]
    title: str
    subtitle: str
    href: str | None
    model_key: str
    model_href: str | None
    provider_key: str
    provider_name: str
    provider_tag: str
    prices: tuple[PriceLine, ...]
    lines: tuple[str, ...]
    hidden_lines: int
    figures: tuple[Figure, ...]

    @property
    def provider_href(self) -> str | None:
        """Return the path of the provider's page, if the card names one."""
        return provider_page(self.provider_key) if self.provider_key else None

    @property
    def lifecycle(self) -> str | None:
        """Return added, removed or returned when the card is about that."""
        for kind in ("added", "removed", "returned"):
            if kind in self.kinds:
                return kind
        return None


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


def build_timeline(projection: Projection, groups: Sequence[SyncChanges]) -> Timeline:
    """Return the site's history from history.changes() groups (newest first)."""
    timeline = Timeline()
    for group in groups:
        cards = sorted((_card(c, projection) for c in group.changes), key=_card_order)
        for card in cards:
            timeline.by_entity.setdefault((card.category, card.key), []).append(card)
            if card.category == "endpoint":
                for owner in (("model", card.model_key), ("provider", card.provider_key)):
                    timeline.endpoint_cards.setdefault(owner, []).append(card)
        timeline.groups.append(_grouped(group, cards))
    for group in reversed(groups):
        for change in group.changes:
            _record_prices(timeline, change)
    return timeline


def _card_order(card: ChangeCard) -> tuple[int, str, str]:
    """Sort key of a sync's cards: endpoints (by model), then models, then providers."""
    rank = {"endpoint": 0, "model": 1, "provider": 2}.get(card.category, 3)
    return (rank, card.title.lower(), card.provider_tag)


def _grouped(group: SyncChanges, cards: list[ChangeCard]) -> SyncGroup:
    """Return a sync's cards, floods of plain added/removed/other cards collapsed by kind."""
    plain: dict[str, list[ChangeCard]] = {}
    for card in cards:
        if len(card.kinds) == 1 and card.kinds[0] in ("added", "removed", "other"):
            plain.setdefault(f"{card.category} {card.kinds[0]}", []).append(card)
    bulk = {name: found for name, found in plain.items() if len(found) > BULK_THRESHOLD}
    collapsed = {id(card) for found in bulk.values() for card in found}
    shown = [card for card in cards if id(card) not in collapsed]
    return SyncGroup(group.epoch, group.commit, shown, bulk)


def _card(change: Change, projection: Projection) -> ChangeCard:
    """Return the card of one change."""
    entity = change.after or change.before or {}
    model_key, provider_key, tag = _subjects(change.category, change.key, entity)
    model = projection.models.get(model_key) or (entity if change.category == "model" else {})
    title, subtitle = _titles(change, entity, model, model_key, projection)
    prices = _price_lines(change)
    lines, hidden = _field_lines(change, bool(prices))
    provider = projection.providers.get(provider_key, {})
    return ChangeCard(
        category=change.category,
        key=change.key,
        epoch=change.epoch,
        commit=change.commit,
        kinds=change.kinds,
        title=title,
        subtitle=subtitle,
        href=_page(change.category, change.key, projection),
        model_key=model_key,
        model_href=model_page(model_key) if model_key in projection.models else None,
        provider_key=provider_key,
        provider_name=provider_name(provider, provider_key)
        if provider
        else _display(entity, provider_key),
        provider_tag=tag,
        prices=prices,
        lines=lines,
        hidden_lines=hidden,
        figures=_figures(change.category, entity) if _lifecycle(change) else (),
    )


def _subjects(category: str, key: str, entity: Entity) -> tuple[str, str, str]:
    """Return (modelKey, providerSlug, provider tag) a change is about."""
    if category == "endpoint":
        model = entity.get("model")
        provider = entity.get("provider_info")
        tag = entity.get("provider_slug")
        return (
            model if isinstance(model, str) else "",
            provider if isinstance(provider, str) else "",
            tag if isinstance(tag, str) else "",
        )
    if category == "model":
        return key, "", ""
    return "", key, key


def _titles(
    change: Change, entity: Entity, model: Entity, model_key: str, projection: Projection
) -> tuple[str, str]:
    """Return a card's title and subtitle."""
    if change.category == "provider":
        return provider_name(entity, change.key), change.key
    return model_name(model, model_key), model_key


def _display(entity: Entity, provider_key: str) -> str:
    """Return the provider name an endpoint carries, or its slug."""
    name = entity.get("provider_display_name")
    return name if isinstance(name, str) and name else provider_key


def _page(category: str, key: str, projection: Projection) -> str | None:
    """Return the page of an entity that the projection holds, else None."""
    if category == "model":
        return model_page(key) if key in projection.models else None
    if category == "endpoint":
        return endpoint_page(key) if key in projection.endpoints else None
    return provider_page(key) if key in projection.providers else None


def _lifecycle(change: Change) -> bool:
    """Tell whether a change is an arrival or a departure."""
    return bool({"added", "removed", "returned"} & set(change.kinds))


def _price_lines(change: Change) -> tuple[PriceLine, ...]:
    """Return the price lines of a change: each price that moved, and the discount."""
    lines = sorted((_price_line(price) for price in change.prices), key=_price_rank)
    root = change.before, change.after
    if change.category == "endpoint" and root[0] and root[1]:
        old = _dig(root[0], ("pricing", "discount"))
        new = _dig(root[1], ("pricing", "discount"))
        if isinstance(old, int | float) and isinstance(new, int | float) and old != new:
            percent = (new - old) / old * 100 if old else None
            lines.append(PriceLine("discount", f"{old:.0%}", f"{new:.0%}", percent, new > old, ""))
    return tuple(lines)


def _price_rank(line: PriceLine) -> tuple[int, str]:
    """Sort key of price lines: input, output, cache read, cache write, then the rest."""
    order = list(_PRICE_NAMES.values())
    return (order.index(line.label) if line.label in order else len(order), line.label)


def _price_line(price: PriceChange) -> PriceLine:
    """Return a price change as people read it, per million tokens where it is per token."""
    name = price.field.rsplit(".", 1)[-1]
    label = _PRICE_NAMES.get(name, name)
    if price.field.split(".")[-2:-1] != ["pricing"]:
        label = price.field.removeprefix("v1.").removeprefix("pricing.")
    if name in _PER_UNIT:
        old, new, unit = _unit_price(price.old), _unit_price(price.new), ""
    else:
        old, new, unit = money(per_million(price.old)), money(per_million(price.new)), "/Mtok"
    return PriceLine(label, old, new, price.percent, price.went_up, unit)


def _unit_price(text: str) -> str:
    """Return a per-unit price (a request, a search, an image) in dollars."""
    value = per_million(text)
    return money(value / 1_000_000 if value is not None else None)


def _field_lines(change: Change, has_prices: bool) -> tuple[tuple[str, ...], int]:
    """Return readable lines of the fields a change touched, and how many were left out."""
    if _lifecycle(change) and not ("returned" in change.kinds and change.before):
        return (), 0
    patch = [op for op in change.patch if not (has_prices and _is_price_op(op, change))]
    if not patch:
        return (), 0
    lines = format_patch(patch, change.before)
    return tuple(lines[:MAX_LINES]), max(0, len(lines) - MAX_LINES)


def _is_price_op(operation: Mapping[str, Any], change: Change) -> bool:
    """Tell whether a patch operation is a price the card already shows, or an echo of one."""
    tokens = str(operation.get("path", "")).split("/")[1:]
    parts = [int(token) if token.isdigit() else token for token in tokens]
    if change.category == "model":
        parts = parts[1:] if parts[:1] == ["v1"] else ["-"]
    if not parts:
        return False
    if parts[0] in _ECHOES or "display_pricing" in parts:
        return True
    rendered = render_path(parts)
    return any(rendered == price.field.removeprefix("v1.") for price in change.prices) or (
        rendered == "pricing.discount"
    )


def _figures(category: str, entity: Entity) -> tuple[Figure, ...]:
    """Return the key figures of an arriving or departing entity."""
    if category == "endpoint":
        pricing = entity.get("pricing") if isinstance(entity.get("pricing"), dict) else {}
        assert isinstance(pricing, dict)
        figures = [
            Figure("context", count(_number(entity.get("context_length")))),
            Figure("max output", count(_number(entity.get("max_completion_tokens")))),
            Figure("input", money(per_million(pricing.get("prompt")))),
            Figure("output", money(per_million(pricing.get("completion")))),
        ]
        if "input_cache_read" in pricing:
            figures.append(Figure("cache read", money(per_million(pricing["input_cache_read"]))))
        return tuple(figures)
    if category == "model":
        v1 = entity.get("v1") if isinstance(entity.get("v1"), dict) else {}
        assert isinstance(v1, dict)
        pricing = v1.get("pricing") if isinstance(v1.get("pricing"), dict) else {}
        assert isinstance(pricing, dict)
        return (
            Figure("context", count(_number(v1.get("context_length")))),
            Figure("input", money(per_million(pricing.get("prompt")))),
            Figure("output", money(per_million(pricing.get("completion")))),
        )
    return ()


def _record_prices(timeline: Timeline, change: Change) -> None:
    """Append the prices an endpoint or model has after a change (None when removed)."""
    if change.category == "endpoint":
        series = timeline.endpoint_prices.setdefault(change.key, [])
        values = _prices(_dig(change.after, ("pricing",))) if change.after else None
    elif change.category == "model":
        series = timeline.model_prices.setdefault(change.key, [])
        values = _prices(_dig(change.after, ("v1", "pricing"))) if change.after else None
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
            ok = isinstance(raw, int | float) and not isinstance(raw, bool)
            values[metric] = Decimal(str(raw)) * 100 if ok else None
        else:
            values[metric] = per_million(pricing.get(name))
    return values


def _dig(value: Any, parts: Sequence[str]) -> Any:
    """Return the value at a path of keys, or None."""
    for part in parts:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
