"""One change as a card: its title, the prices that moved, the fields it touched, its figures.

A card is how the monitor, the entity pages and the feeds show one entity's change in one
sync (issue 4's classification, from :mod:`archiver.history.versions`): prices per million
tokens as people read them, field lines without the echoes of a price already shown, and
the key figures of an entity that arrived or left.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from archiver.history.classify import PriceChange, decimal_price, render_path
from archiver.history.kinds import KIND_LABELS as LABELS_BY_KIND
from archiver.history.kinds import Described, Detail, describe_change
from archiver.history.price_moves import EXACT
from archiver.history.price_sheet import display_unit
from archiver.history.versions import Change, format_patch
from archiver.site.catalog import model_name, provider_name, unit_price
from archiver.site.context import Entity, Projection
from archiver.site.formats import count, money, per_million
from archiver.site.urls import endpoint_page, model_page, provider_page
from archiver.site.values import as_float, dig
from archiver.textsafe import name_text

__all__ = [
    "KIND_LABELS",
    "CardParts",
    "ChangeCard",
    "Figure",
    "PriceLine",
    "card_from_parts",
    "card_parts",
    "change_card",
]

# The kinds the monitor filters by and the feeds are split by (archiver.history.kinds).
KIND_LABELS = {kind.value: label for kind, label in LABELS_BY_KIND.items()}
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
# Per use; an image or audio price is per token unless display_pricing sells it per unit.
_PER_UNIT = frozenset({"web_search", "request"})
_ECHOES = ("display_pricing", "pricing_json", "pricing_version_id")
MAX_LINES = 12
ROUTED = "routed (-1)"


@dataclass(frozen=True)
class PriceLine:
    """One price that changed: old and new as people read them, and by how much."""

    label: str
    old: str
    new: str
    # The move in percent, exact (decimal text): rounded as `archiver changes` rounds it.
    percent: str | None
    # None to or from a routed -1: no direction (classify.price_direction).
    up: bool | None
    unit: str

    @property
    def better(self) -> bool | None:
        """Tell whether the change is good for a buyer (a lower price, a higher discount)."""
        if self.up is None:
            return None
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
    described: Described
    # Whether the site has a page for the provider (an endpoint may name one the archive
    # lacks: a failed provider listing, a provider gone): no page, no link.
    provider_listed: bool = False

    @property
    def summary(self) -> str:
        """Return the change in one line (archiver.history.kinds)."""
        return self.described.summary

    @property
    def change_kinds(self) -> tuple[str, ...]:
        """Return the kinds of the change, most important first."""
        return tuple(kind.value for kind in self.described.kinds)

    @property
    def details(self) -> tuple[Detail, ...]:
        """Return each fact of the change as a phrase, most important first."""
        return self.described.details

    @property
    def provider_href(self) -> str | None:
        """Return the path of the provider's page, if the card names one."""
        return provider_page(self.provider_key) if self.provider_listed else None

    @property
    def lifecycle(self) -> str | None:
        """Return added, removed or returned when the card is about that."""
        for kind in ("added", "removed", "returned"):
            if kind in self.kinds:
                return kind
        return None


@dataclass(frozen=True)
class CardParts:
    """What a card shows that its change alone decides: the costly part, kept between builds.

    Only the description's subject reads the current projection (the model names passed
    to describe); titles, pages and provider names are filled in by card_from_parts.
    """

    prices: tuple[PriceLine, ...]
    lines: tuple[str, ...]
    hidden_lines: int
    figures: tuple[Figure, ...]
    described: Described


def change_card(
    change: Change, projection: Projection, model_names: Mapping[str, str] | None = None
) -> ChangeCard:
    """Return the card of one change (model_names: {modelKey: name} for its summary)."""
    return card_from_parts(change, card_parts(change, model_names), projection)


def card_parts(change: Change, model_names: Mapping[str, str] | None = None) -> CardParts:
    """Return the parts of a change's card that do not depend on the projection."""
    prices = _price_lines(change)
    lines, hidden = _field_lines(change, bool(prices))
    entity = change.after or change.before or {}
    return CardParts(
        prices=prices,
        lines=lines,
        hidden_lines=hidden,
        figures=_figures(change.category, entity) if _lifecycle(change) else (),
        described=describe_change(change, model_names),
    )


def card_from_parts(change: Change, parts: CardParts, projection: Projection) -> ChangeCard:
    """Return the card of a change from its parts and the names and pages of the projection."""
    entity = change.after or change.before or {}
    model_key, provider_key, tag = _subjects(change.category, change.key, entity)
    model = projection.models.get(model_key) or (entity if change.category == "model" else {})
    title, subtitle = _titles(change, entity, model, model_key, projection)
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
        prices=parts.prices,
        lines=parts.lines,
        hidden_lines=parts.hidden_lines,
        figures=parts.figures,
        described=parts.described,
        provider_listed=provider_key in projection.providers,
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
    """Return the provider name an endpoint carries, or its slug (a blank name is none)."""
    return name_text(entity.get("provider_display_name")) or provider_key


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
    root = change.before, change.after
    pricings = tuple(_pricing(change.category, entity) for entity in root)
    lines = sorted((_price_line(price, pricings) for price in change.prices), key=_price_rank)
    if change.category == "endpoint" and root[0] and root[1]:
        old = decimal_price(dig(root[0], ("pricing", "discount")))
        new = decimal_price(dig(root[1], ("pricing", "discount")))
        if old is not None and new is not None and old != new:
            # Exact (80.05%, not 80%), and no percent of a percent: 80.05% -> 82.35% read
            # "80% -> 82%, +2.9%" where the discount grew by 2.3 points.
            lines.append(PriceLine("discount", _share(old), _share(new), None, new > old, ""))
    return tuple(lines)


def _share(value: Decimal) -> str:
    """Return a discount (a share: 0.8235) in percent as upstream set it: 82.35%."""
    return f"{format((value * 100).normalize(), 'f')}%"


def _price_rank(line: PriceLine) -> tuple[int, str]:
    """Sort key of price lines: input, output, cache read, cache write, then the rest."""
    order = list(_PRICE_NAMES.values())
    return (order.index(line.label) if line.label in order else len(order), line.label)


def _pricing(category: str, entity: Entity | None) -> Mapping[str, Any]:
    """Return the pricing object of one side of a change (empty when it has none)."""
    found = dig(entity, ("pricing",) if category == "endpoint" else ("v1", "pricing"))
    return found if isinstance(found, Mapping) else {}


def _price_line(price: PriceChange, pricings: tuple[Mapping[str, Any], ...]) -> PriceLine:
    """Return a price change as people read it: per million tokens where it is per token, in
    the unit its display_pricing sells it in (an image, a minute) as the summaries read it
    (a moved price is a number on both sides: its text reads as a Decimal)."""
    name = price.field.rsplit(".", 1)[-1]
    label = _PRICE_NAMES.get(name, name)
    if price.field.split(".")[-2:-1] != ["pricing"]:
        label = price.field.removeprefix("v1.").removeprefix("pricing.")
    per_use = ("", Decimal(1)) if name in _PER_UNIT else None  # In dollars, as the label says.
    sold = per_use or display_unit(pricings[1], decimal_price(price.new))
    sold = sold or display_unit(pricings[0], decimal_price(price.old))
    if sold:
        old, new = (money(EXACT.multiply(Decimal(t), sold[1])) for t in (price.old, price.new))
        unit = f"/{sold[0]}" if sold[0] else ""
    else:
        old, new, unit = money(per_million(price.old)), money(per_million(price.new)), "/Mtok"
    # OpenRouter's -1 is no price (per_million reads none): it reads as price_moves says it.
    old, new = (ROUTED if _routed(price.old) else old), (ROUTED if _routed(price.new) else new)
    up = None if price.direction is None else price.direction == "up"
    return PriceLine(label, old, new, _exact_percent(price), up, unit)


def _exact_percent(price: PriceChange) -> str | None:
    """Return a move's percent from its exact decimals, as text (None where it has none).

    Not the float: 6.25 read 6.2% there (half to even) and 35.65, a float just below it,
    35.6%, where `archiver changes` and the feeds read 6.3% and 35.7%.
    """
    old, new = decimal_price(price.old), decimal_price(price.new)
    if price.percent is None or old is None or new is None:
        return None
    return str((new - old) / old * 100)


def _routed(text: str) -> bool:
    """Tell whether a price is OpenRouter's -1 (any negative): priced by the model routed to."""
    value = decimal_price(text)
    return value is not None and value < 0


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
            Figure("context", count(as_float(entity.get("context_length")))),
            Figure("max output", count(as_float(entity.get("max_completion_tokens")))),
        ]
        sold_per_unit = unit_price(entity.get("display_pricing"))
        if sold_per_unit is not None:
            # A song or a second of video: its token prices ("0") would read as free.
            return (*figures, Figure("price", sold_per_unit))
        figures += [
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
        # A catalog-only model (an embedding, an image model) has its context in the catalog,
        # as its page shows it; only the prices are the list price's alone.
        catalog = entity.get("catalog") if isinstance(entity.get("catalog"), dict) else {}
        assert isinstance(catalog, dict)
        context = as_float(v1.get("context_length")) or as_float(catalog.get("context_length"))
        return (
            Figure("context", count(context)),
            Figure("input", money(per_million(pricing.get("prompt")))),
            Figure("output", money(per_million(pricing.get("completion")))),
        )
    return ()
