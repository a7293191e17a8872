"""Every price that moved between two versions of an entity, as people read prices.

A price lives in several places of an entity file, most of them copies of one another:
``pricing.*`` (dollars per token, or per unit for ``request`` and ``web_search``; a
model's under ``v1.pricing``), ``pricing.overrides`` (long-context tiers, keyed by
``min_prompt_tokens``), ``display_pricing`` (what the website shows, with units, prices
that exist nowhere else such as per-second video, and price tiers), ``tiers.*`` (service
tiers: priority, flex) and ``pricing_json`` (the provider's own rate card). A move is
reported once, where it reads best: from ``pricing.*`` first; a copy elsewhere that moves
by the same pair of values is an echo and is left out.

Values stay the exact decimals of the JSON: ``"0.0000005586"`` per token reads ``$0.5586 per M
tokens``, never a float."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from archiver import jsonvalue
from archiver.history.classify import Part, decimal_price

__all__ = ["PriceMove", "dollars", "price_moves", "signed_percent"]

MILLION = Decimal(1_000_000)
# Exact arithmetic for what is billed and shown: the default context keeps 28 digits, so a
# price of more (a float's tail upstream, a tiny one beside a fee) was rounded, not exact.
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
# pricing.* field -> how people call it; the order is the order a change lists them in.
PRICE_LABELS = {
    "prompt": "input",
    "completion": "output",
    "input_cache_read": "cache read",
    "input_cache_write": "cache write",
    "input_cache_write_1h": "cache write (1h)",
    "internal_reasoning": "reasoning",
    "audio": "audio input",
    "audio_output": "audio output",
    "input_audio_cache": "audio cache read",
    "image": "image input",
    "image_token": "image tokens",
    "image_output": "image output",
    "web_search": "web search",
    "request": "request",
}
# Fields priced per use, not per token (a per-image `image` price is told by display_pricing).
PER_UNIT = {"web_search": "per search", "request": "per request"}
NOT_PRICES = frozenset({"discount", "min_prompt_tokens", "display_pricing", "overrides"})
SKU_LABELS = {"Input Price": "input", "Output Price": "output", "Cache Read": "cache read"}
# Where prices live besides the pricing object (which holds its own display_pricing).
PRICE_COPIES: tuple[tuple[str, ...], ...] = (("display_pricing",), ("tiers",), ("pricing_json",))


@dataclass(frozen=True)
class PriceMove:
    """One price that appeared, disappeared or changed, ready to read."""

    label: str
    old: Decimal | None
    new: Decimal | None
    unit: str
    text: str

    @property
    def percent(self) -> Decimal | None:
        """Return the change in percent (None when it appeared, vanished or was 0, or a share)."""
        if self.old is None or self.new is None or self.old <= 0 or self.unit == "%":
            return None  # From -1 (routed: no price of its own) no percent tells the move.
        return None if self.new < 0 else (self.new - self.old) / self.old * 100

    @property
    def cheaper(self) -> bool | None:
        """Tell whether a buyer pays less now (a discount that grows is cheaper)."""
        if (
            self.old is None
            or self.new is None
            or (self.unit != "%" and min(self.old, self.new) < 0)
        ):
            return None  # Also to or from -1: neither cheaper nor dearer, priced elsewhere.
        return self.new > self.old if self.label == "discount" else self.new < self.old


def price_moves(
    pricing_root: tuple[str, ...],
    before: Any,
    after: Any,
    changed: Collection[tuple[Part, ...]] | None = None,
) -> list[PriceMove]:
    """Return every price move between two entities whose prices sit under pricing_root.

    changed: the paths of the leaves that differ (`classify.changed_leaves`), when known:
    a place prices live with no differing leaf below it holds the same prices on both
    sides, and is not read.
    """
    places = (pricing_root, *PRICE_COPIES)
    below = None
    if changed is not None:
        below = [parts for parts in changed if any(parts[: len(p)] == p for p in places)]
        if not below:
            return []

    def moved(path: tuple[str, ...]) -> bool:
        return below is None or any(parts[: len(path)] == path for parts in below)

    moves: list[PriceMove] = []
    if moved(pricing_root):
        old_pricing = _object(_dig(before, pricing_root))
        new_pricing = _object(_dig(after, pricing_root))
        moves = _field_moves(old_pricing, new_pricing, _units(before), _units(after))
        moves += _override_moves(old_pricing.get("overrides"), new_pricing.get("overrides"))
        moves += _discount_moves(old_pricing.get("discount"), new_pricing.get("discount"))
    # Copies move by the same pair of values (read in the same unit): keep the first.
    seen = {(move.old, move.new) for move in moves}
    for path, prefix, old_list, new_list in _display_lists(before, after, pricing_root):
        if moved(path):
            moves += _unseen(_display_moves(prefix, old_list, new_list), seen)
    if moved(("pricing_json",)):
        moves += _unseen(_rate_card_moves(before, after), seen)
    return moves


def dollars(amount: Decimal) -> str:
    """Return an exact dollar amount: $0.5586, $2.00, $1,200.50 (never rounded)."""
    text = format(amount.normalize(EXACT), "f") if amount else "0"
    whole, _, decimals = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}${int(whole.lstrip('-') or 0):,}.{decimals.ljust(2, '0')}"


def signed_percent(value: Decimal) -> str:
    """Return a change in percent to one decimal, signed by the exact value (a tiny rise reads
    +0.0%, as a tiny cut -0.0%): -60.7%, +12.5%."""
    try:
        rounded = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        # Past the context's 28 digits (a price of 1e400 upstream): E notation, no traceback.
        return f"{'+' if value > 0 else ''}{value:.1e}%"
    return f"{'+' if value > 0 else ''}{rounded}%"


def _unseen(
    moves: list[PriceMove], seen: set[tuple[Decimal | None, Decimal | None]]
) -> list[PriceMove]:
    """Return the moves whose pair of values is not in seen, adding theirs."""
    kept = []
    for move in moves:
        if (move.old, move.new) not in seen:
            seen.add((move.old, move.new))
            kept.append(move)
    return kept


def _field_moves(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_units: Units,
    new_units: Units,
    suffix: str = "",
) -> list[PriceMove]:
    """Return the moves of the plain pricing fields, in PRICE_LABELS order then by name."""
    names = sorted(
        (old.keys() | new.keys()) - NOT_PRICES,
        key=lambda name: (list(PRICE_LABELS).index(name) if name in PRICE_LABELS else 99, name),
    )
    moves = []
    for name in names:
        old_value, new_value = decimal_price(old.get(name)), decimal_price(new.get(name))
        label = PRICE_LABELS.get(name, name.replace("_", " ")) + suffix
        if old_value is None and new_value is None:
            if old.get(name) != new.get(name):  # Neither side a number ("x", [], true).
                moves.append(_unreadable_move(label, old.get(name), new.get(name), None))
            continue
        if old_value == new_value:
            continue
        scale, unit = _unit(name, new_value if new_value is not None else old_value, new_units)
        if old_value is not None and new_value is None:
            scale, unit = _unit(name, old_value, old_units)
        move = _move(label, old_value, new_value, scale, unit)
        sent = (old.get(name), new.get(name))
        if (old_value is None and sent[0] is not None) or (
            new_value is None and sent[1] is not None
        ):
            move = _unreadable_move(label, *sent, move)
        moves.append(move)
    return moves


def _unreadable_move(label: str, old: Any, new: Any, usual: PriceMove | None) -> PriceMove:
    """Return the move of a price one side of which was sent as no number: it says what was
    sent (a price that became "x" did not vanish), beside what the other side reads."""
    if new is not None and decimal_price(new) is None:
        was = usual.text.partition("(was ")[2].rstrip(")") if usual else _sent(old)
        text = f"{label} price is {_sent(new)}, not a price (was {was})"
    else:
        text = (
            f"{usual.text if usual else label + ' price removed'} (was {_sent(old)}, not a price)"
        )
    if usual is not None:
        return PriceMove(label, usual.old, usual.new, usual.unit, text)
    return PriceMove(label, None, None, "", text)


def _sent(value: Any) -> str:
    """Return an upstream value as sent, as short JSON text ("absent" for none)."""
    if value is None:
        return "absent"
    try:
        text = jsonvalue.dumps(value).decode()
    except jsonvalue.EncodeError:
        text = type(value).__name__
    return text if len(text) <= 40 else text[:39] + "…"


def _override_moves(old: Any, new: Any) -> list[PriceMove]:
    """Return the moves of long-context tiers, matched by their min_prompt_tokens."""
    old_tiers, new_tiers = _tiers(old), _tiers(new)
    moves = []
    for threshold in sorted(old_tiers.keys() | new_tiers.keys()):
        before, after = old_tiers.get(threshold, {}), new_tiers.get(threshold, {})
        suffix = f" above {_tokens(threshold)} tokens"
        moves += _field_moves(before, after, {}, {}, suffix)
    return moves


def _discount_moves(old: Any, new: Any) -> list[PriceMove]:
    """Return the move of the discount (a share: 0.35 reads 35%)."""
    old_value, new_value = decimal_price(old), decimal_price(new)
    if old_value == new_value:
        return []
    old_share = old_value * 100 if old_value is not None else None
    new_share = new_value * 100 if new_value is not None else None
    text = f"discount {_share(old_share)} -> {_share(new_share)}"
    return [PriceMove("discount", old_share, new_share, "%", text)]


def _display_lists(
    before: Any, after: Any, pricing_root: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], str, Any, Any]]:
    """Yield (path, tier name, old list, new list) of every display_pricing list of an entity."""
    for path in ((*pricing_root, "display_pricing"), ("display_pricing",)):
        yield path, "", _dig(before, path), _dig(after, path)
    old_tiers, new_tiers = _object(_dig(before, ("tiers",))), _object(_dig(after, ("tiers",)))
    for tier in sorted(old_tiers.keys() | new_tiers.keys()):
        path = (tier, "display_pricing")
        yield ("tiers", *path), f"{tier} tier ", _dig(old_tiers, path), _dig(new_tiers, path)


def _display_moves(prefix: str, old: Any, new: Any) -> list[PriceMove]:
    """Return the moves of a display_pricing list, its entries matched by sku_label."""
    old_skus, new_skus = _skus(old), _skus(new)
    moves = []
    for sku in [*old_skus, *(s for s in new_skus if s not in old_skus)]:
        was, now = old_skus.get(sku, {}), new_skus.get(sku, {})
        entry = now or was
        scale, unit = _display_unit(entry)
        label = prefix + SKU_LABELS.get(sku, sku.lower())
        old_value, new_value = decimal_price(was.get("price")), decimal_price(now.get("price"))
        if old_value != new_value:
            moves.append(_move(label, old_value, new_value, scale, unit))
        old_steps, new_steps = _skus(was.get("tiers")), _skus(now.get("tiers"))
        for step in [*old_steps, *(s for s in new_steps if s not in old_steps)]:
            a, b = (
                decimal_price(old_steps.get(step, {}).get("price")),
                decimal_price(new_steps.get(step, {}).get("price")),
            )
            if a != b:
                moves.append(_move(f"{label} {step}", a, b, scale, unit))
    return moves


def _rate_card_moves(before: Any, after: Any) -> list[PriceMove]:
    """Return the moves of the provider's own rate card (pricing_json), per token if named so."""
    old, new = _object(_dig(before, ("pricing_json",))), _object(_dig(after, ("pricing_json",)))
    moves = []
    for name in sorted(old.keys() | new.keys()):
        a, b = decimal_price(old.get(name)), decimal_price(new.get(name))
        if a != b:
            per_token = name.endswith("tokens") or "_tokens_" in name
            scale, unit = (MILLION, "per M tokens") if per_token else (Decimal(1), "")
            moves.append(_move(f"rate {name}", a, b, scale, unit))
    return moves


Units = dict[Decimal, tuple[Decimal, str]]


def _units(entity: Any) -> Units:
    """Return {per-token price: (scale, unit)} of display_pricing entries priced per unit."""
    found: Units = {}
    for path in (
        ("display_pricing",),
        ("pricing", "display_pricing"),
        ("v1", "pricing", "display_pricing"),
    ):
        for entry in _list(_dig(entity, path)):
            price = decimal_price(entry.get("price")) if isinstance(entry, Mapping) else None
            if price is not None and isinstance(entry, Mapping) and entry.get("kind") == "unit":
                found.setdefault(price, _display_unit(entry))
    return found


def _unit(name: str, value: Decimal | None, units: Units) -> tuple[Decimal, str]:
    """Return (scale, unit) a pricing field is read in."""
    if name in PER_UNIT:
        return Decimal(1), PER_UNIT[name]
    if value is not None and value in units and value != 0:
        return units[value]
    return MILLION, "per M tokens"


def _display_unit(entry: Mapping[str, Any]) -> tuple[Decimal, str]:
    """Return (scale, unit) of a display_pricing entry: its multiplier and unit label."""
    scale = decimal_price(entry.get("displayMultiplier")) or Decimal(1)
    label = entry.get("unitLabel")
    unit = label.lstrip("/") if isinstance(label, str) and label else "unit"
    return scale, f"per {unit}"


def _move(
    label: str, old: Decimal | None, new: Decimal | None, scale: Decimal, unit: str
) -> PriceMove:
    """Return a move with its values scaled to the unit people read, and its text."""
    # Exact: the default context's 28 digits rounded a longer price in the text.
    old_read = EXACT.multiply(old, scale) if old is not None else None
    new_read = EXACT.multiply(new, scale) if new is not None else None
    if min(old_read or 0, new_read or 0) < 0:  # OpenRouter's -1: priced by the model routed to.
        text = f"{label} {_routed(old_read, unit)} -> {_routed(new_read, unit)}"
    elif old_read is None and new_read is not None:
        text = f"{label} price added: {dollars(new_read)} {unit}"
    elif new_read is None and old_read is not None:
        text = f"{label} price removed (was {dollars(old_read)} {unit})"
    else:
        assert old_read is not None and new_read is not None
        text = f"{label} {dollars(old_read)} -> {dollars(new_read)} {unit}"
        if old_read != 0:
            text += f", {signed_percent((new_read - old_read) / old_read * 100)}"
    return PriceMove(label, old_read, new_read, unit, text.replace("  ", " ").rstrip())


def _routed(value: Decimal | None, unit: str) -> str:
    """Return a price as a move reads it, -1 as routed rather than minus a million dollars."""
    return "none" if value is None else "routed (-1)" if value < 0 else f"{dollars(value)} {unit}"


def _share(value: Decimal | None) -> str:
    """Return a discount in percent: 35%, 0%, or none."""
    if value is None:
        return "none"
    return f"{format(value.normalize(), 'f')}%" if value else "0%"


def _tokens(threshold: int) -> str:
    """Return a token count as people write thresholds: 200K, 1M, 128,000."""
    if threshold % 1_000_000 == 0:
        return f"{threshold // 1_000_000}M"
    if threshold % 1000 == 0:
        return f"{threshold // 1000}K"
    return f"{threshold:,}"


def _tiers(value: Any) -> dict[int, Mapping[str, Any]]:
    """Return long-context tiers by their min_prompt_tokens."""
    found = {}
    for tier in _list(value):
        if isinstance(tier, Mapping):
            threshold = tier.get("min_prompt_tokens")
            if isinstance(threshold, int) and not isinstance(threshold, bool):
                found[threshold] = tier
    return found


def _skus(value: Any) -> dict[str, Mapping[str, Any]]:
    """Return display_pricing entries (or their tiers) by sku_label, first one kept."""
    found: dict[str, Mapping[str, Any]] = {}
    for entry in _list(value):
        if isinstance(entry, Mapping) and isinstance(entry.get("sku_label"), str):
            found.setdefault(entry["sku_label"], entry)
    return found


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    """Return the value at a path of keys, or None."""
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _object(value: Any) -> Mapping[str, Any]:
    """Return value if it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    """Return value if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []
