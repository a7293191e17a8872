"""Every SKU of one archived pricing object, as exact decimals with the unit each is sold in.

A pricing object holds per-token prices (``prompt``, ``completion``, ``input_cache_read``,
``input_cache_write``, ``internal_reasoning``, ``audio``, ``image``, ``image_output``...),
per-use ones (``request``, ``web_search``), the ``discount`` already applied to them,
long-context tiers (``overrides``) and ``display_pricing``: what OpenRouter's website
shows, which alone tells the unit of prices sold per second, per song or per character.
Service tiers (an endpoint's ``tiers.priority``, ``tiers.flex``) carry display prices only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from archiver import jsonvalue
from archiver.history.classify import decimal_price, price_text
from archiver.history.price_moves import EXACT, MILLION, NOT_PRICES, PER_UNIT, PRICE_LABELS

__all__ = [
    "PriceSheet",
    "Sku",
    "TierSheet",
    "display_unit",
    "exact_text",
    "price_sheet",
    "pricing_of",
    "tier_prices",
    "unit_priced",
]

# The labels, their order and what is not a price: one table with the change summaries.
SKU_LABELS = PRICE_LABELS
NOT_SKUS = NOT_PRICES
PER_USE = {name: unit.removeprefix("per ") for name, unit in PER_UNIT.items()}
TOKEN = "token"


# How a negative price (OpenRouter lists -1 for a router such as openrouter/auto) reads.
ROUTED = "priced by the model it routes to (OpenRouter lists -1)"


@dataclass(frozen=True)
class Sku:
    """One price: the field (or display label) it comes from, its exact value and unit."""

    field: str
    label: str
    text: str
    value: Decimal
    unit: str
    multiplier: Decimal = Decimal(1)

    @property
    def per_million(self) -> Decimal | None:
        """Return the price per million tokens (None: not sold per token, or routed: -1)."""
        if self.unit != TOKEN or self.routed:
            return None
        return EXACT.multiply(self.value, MILLION)

    @property
    def shown(self) -> Decimal:
        """Return the price in the unit people read: per M tokens, per second, per search."""
        return EXACT.multiply(self.value, MILLION if self.unit == TOKEN else self.multiplier)

    @property
    def shown_unit(self) -> str:
        """Return the unit of `shown`: M tokens, second, search."""
        return "M tokens" if self.unit == TOKEN else self.unit

    def to_json(self) -> dict[str, Any]:
        """Return the SKU as `archiver price --json` writes it (values as exact strings)."""
        per_million = self.per_million
        return {
            "field": self.field,
            "label": self.label,
            "price": self.text,
            "unit": self.unit,
            "per_million": exact_text(per_million) if per_million is not None else None,
            "shown": ROUTED if self.routed else f"{exact_text(self.shown)} per {self.shown_unit}",
        }

    @property
    def routed(self) -> bool:
        """Tell whether the price is OpenRouter's -1: whatever the routed-to model charges."""
        return self.value < 0


@dataclass(frozen=True)
class TierSheet:
    """A named set of SKUs: a long-context tier (from `min_prompt_tokens`) or a service tier."""

    name: str
    min_prompt_tokens: int | None
    skus: tuple[Sku, ...]


@dataclass(frozen=True)
class PriceSheet:
    """Every SKU of one pricing: the plain prices, the discount, tiers, display-only units."""

    skus: tuple[Sku, ...]
    discount: Decimal | None
    tiers: tuple[TierSheet, ...]
    display_only: tuple[Sku, ...]
    # Price fields holding no number ("x", null, a list): (where, the value as archived).
    # Shown as they are, so a reader is never left to think the field is missing.
    unpriced: tuple[tuple[str, str], ...] = ()


def pricing_of(
    category: str, entity: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """Return (pricing object, service tiers or None) of an entity, or None when it has none."""
    if entity is None:
        return None
    if category == "endpoint":
        pricing = entity.get("pricing")
        tiers = entity.get("tiers")
        service = dict(tiers) if isinstance(tiers, Mapping) and tiers else None
    else:
        v1 = entity.get("v1")
        pricing = v1.get("pricing") if isinstance(v1, Mapping) else None
        service = None
    if not isinstance(pricing, Mapping) or not pricing:
        return None
    return dict(pricing), service


def tier_prices(
    pricing: Mapping[str, Any], prompt_tokens: int
) -> tuple[dict[str, Decimal], int | None]:
    """Return ({field: price} billed for a prompt of that size, the tier's threshold or None)."""
    prices = _plain_prices(pricing)
    reached = [
        (threshold, tier)
        for tier in _list(pricing.get("overrides"))
        if isinstance(tier, Mapping)
        and isinstance(threshold := tier.get("min_prompt_tokens"), int)
        and not isinstance(threshold, bool)
        and prompt_tokens >= threshold
    ]
    if not reached:
        return prices, None
    threshold, tier = max(reached, key=lambda item: item[0])
    return {**prices, **_plain_prices(tier)}, threshold


def price_sheet(pricing: Mapping[str, Any], service_tiers: Mapping[str, Any] | None) -> PriceSheet:
    """Return every SKU of a pricing object and its service tiers, in a reading order."""
    units = _display_units(pricing.get("display_pricing"))
    unpriced: list[tuple[str, str]] = []
    skus = tuple(_skus(pricing, units, unpriced, ""))
    tiers = [
        TierSheet(
            f"prompts of {threshold:,}+ tokens",
            threshold,
            tuple(_skus(tier, units, unpriced, f"overrides[{position}].")),
        )
        for position, tier in enumerate(_list(pricing.get("overrides")))
        if isinstance(tier, Mapping)
        and isinstance(threshold := tier.get("min_prompt_tokens"), int)
        and not isinstance(threshold, bool)
    ]
    for name, tier in sorted((service_tiers or {}).items()):
        entries = tier.get("display_pricing") if isinstance(tier, Mapping) else None
        tiers.append(TierSheet(f"{name} service tier", None, tuple(_display_skus(entries))))
    plain = {sku.value for sku in skus}
    display_only = tuple(
        sku
        for sku in _display_skus(pricing.get("display_pricing"))
        if sku.unit != TOKEN and sku.value not in plain
    )
    discount = decimal_price(pricing.get("discount"))
    if discount is None and pricing.get("discount") is not None:
        unpriced.append(("discount", _as_archived(pricing["discount"])))
    return PriceSheet(skus, discount, tuple(tiers), display_only, tuple(unpriced))


def _skus(
    pricing: Mapping[str, Any],
    units: Mapping[Decimal, tuple[str, Decimal]],
    unpriced: list[tuple[str, str]],
    prefix: str,
) -> list[Sku]:
    """Return the plain price fields of a pricing object (or a tier) as SKUs, labels first;
    add the fields that hold no number to `unpriced`, named from the pricing object."""
    order = list(SKU_LABELS)
    names = sorted(
        (name for name in pricing if name not in NOT_SKUS),
        key=lambda name: (order.index(name) if name in order else len(order), name),
    )
    found = []
    for name in names:
        value = decimal_price(pricing[name])
        if value is None:
            unpriced.append((prefix + name, _as_archived(pricing[name])))
            continue
        unit, multiplier = PER_USE.get(name, TOKEN), Decimal(1)
        if name not in PER_USE and value in units and value != 0:
            unit, multiplier = units[value]
        label = SKU_LABELS.get(name, name.replace("_", " "))
        # As the file spells it (`9e-7`), not as Python does (`9e-07`).
        found.append(Sku(name, label, price_text(pricing[name]), value, unit, multiplier))
    return found


def _as_archived(value: Any) -> str:
    """Return a value as the archive holds it: JSON text."""
    return jsonvalue.dumps(value, orjson.OPT_SORT_KEYS).decode()


def _display_skus(entries: Any) -> list[Sku]:
    """Return display_pricing entries (and their steps: 1080p, 4K) as SKUs in their units."""
    found = []
    for entry in _list(entries):
        if not isinstance(entry, Mapping) or not isinstance(label := entry.get("sku_label"), str):
            continue
        unit, multiplier = _display_unit(entry)
        value = decimal_price(entry.get("price"))
        if value is not None:
            found.append(
                Sku("display_pricing", label, price_text(entry["price"]), value, unit, multiplier)
            )
        for step in _list(entry.get("tiers")):
            price = decimal_price(step.get("price")) if isinstance(step, Mapping) else None
            if price is not None and isinstance(step.get("sku_label"), str):
                name = f"{label} {step['sku_label']}"
                found.append(
                    Sku("display_pricing", name, price_text(step["price"]), price, unit, multiplier)
                )
    return found


def unit_priced(pricing: Mapping[str, Any]) -> str | None:
    """Return what a pricing sells per unit instead of per token ("second"), or None.

    display_pricing alone says so (video per second, songs, characters): their prompt and
    completion prices are then per that unit, or 0. A unit entry pricing another field and
    neither of those (a web search, a request, Voxtral's input audio per minute beside its
    token prices) is an extra a request of tokens is not billed: its tokens stay priced.
    """
    own = {decimal_price(pricing.get(name)) for name in ("prompt", "completion")} - {None}
    extras = {
        decimal_price(value)
        for name, value in pricing.items()
        if name not in NOT_SKUS and name not in ("prompt", "completion")
    } - {None}
    for entry in _list(pricing.get("display_pricing")):
        if not isinstance(entry, Mapping) or entry.get("kind") != "unit":
            continue
        price = decimal_price(entry.get("price"))
        if price in own or price not in extras:
            return f"{_display_unit(entry)[0]} ({entry.get('sku_label')})"
    return None


def display_unit(pricing: Mapping[str, Any], value: Decimal | None) -> tuple[str, Decimal] | None:
    """Return (unit, multiplier) a price of a pricing object is sold in by its display_pricing
    (image, minute), or None: per token (a display entry per unit holds no other price)."""
    found = _display_units(pricing.get("display_pricing")).get(value) if value else None
    return found if found and found[0] != TOKEN else None


def _display_units(entries: Any) -> dict[Decimal, tuple[str, Decimal]]:
    """Return {price: (unit, multiplier)} of display entries sold per unit (not per token)."""
    found: dict[Decimal, tuple[str, Decimal]] = {}
    for entry in _list(entries):
        if isinstance(entry, Mapping) and entry.get("kind") == "unit":
            value = decimal_price(entry.get("price"))
            if value is not None:
                found.setdefault(value, _display_unit(entry))
    return found


def _display_unit(entry: Mapping[str, Any]) -> tuple[str, Decimal]:
    """Return (unit, multiplier) of a display entry: per token, or its unit label."""
    multiplier = decimal_price(entry.get("displayMultiplier")) or Decimal(1)
    label = entry.get("unitLabel")
    text = label.lstrip("/").strip() if isinstance(label, str) else ""
    if entry.get("kind") == "token" or text.endswith("tokens"):
        return TOKEN, Decimal(1)
    # "/M characters" keeps its multiplier: shown per million characters, as upstream does.
    return text or "unit", multiplier


def _plain_prices(pricing: Mapping[str, Any]) -> dict[str, Decimal]:
    """Return {field: exact price} of the plain price fields of a pricing object or tier."""
    found = {}
    for name, value in pricing.items():
        if name in NOT_SKUS:
            continue
        number = decimal_price(value)
        if number is not None:
            found[name] = number
    return found


def exact_text(value: Decimal) -> str:
    """Return an exact decimal without exponent or trailing zeros: 2, 0.5586, 0."""
    return format(value.normalize(EXACT), "f") if value else "0"


def _list(value: Any) -> list[Any]:
    """Return value if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []
