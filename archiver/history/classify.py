"""What kind of change one entity went through: the classes the CLI, the site and feeds share.

A change carries one or more of ``CLASSES``:

- ``added``, ``removed``, ``returned`` (reappeared at its old path after a removal);
- ``price_up`` / ``price_down``: a price field (an endpoint's ``pricing.*``, a model's
  ``v1.pricing.*``) whose value, read as a decimal, went up / down; ``display_pricing`` is
  a presentation copy of the same prices and ``discount`` / ``min_prompt_tokens`` are not
  prices, so they never decide a direction;
- ``price_changed``: a price field that moved to or from a negative value (OpenRouter's
  ``-1``: priced by the model a request is routed to, no price of its own), a change of
  pricing with no direction and no percent;
- ``context_changed``: a ``context_length``, ``max_completion_tokens`` or
  ``max_prompt_tokens`` field, at any depth (``v1.top_provider.context_length``);
- ``other``: any other difference. Fields that merely echo a price change
  (``display_pricing``, ``pricing_json``, ``pricing_version_id``) count as ``other`` only
  when no price changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from archiver import jsonvalue

CLASSES = (
    "added",
    "removed",
    "returned",
    "price_up",
    "price_down",
    "price_changed",
    "context_changed",
    "other",
)
PRICE_ROOTS: dict[str, tuple[str, ...]] = {"endpoint": ("pricing",), "model": ("v1", "pricing")}
NOT_PRICES = frozenset({"discount", "min_prompt_tokens", "displayMultiplier"})
PRICE_ECHOES = frozenset({"pricing_json", "pricing_version_id"})
ECHO_FIELD = "display_pricing"
CONTEXT_FIELDS = frozenset({"context_length", "max_completion_tokens", "max_prompt_tokens"})
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_:-]+")
# How far from 1 a price may be (its exponent): 1e400 is one, 1e5000 and 1e-999999999999999999
# are not. Within it a price times a multiplier or a token count, or over another price (the
# percent of a move), stays inside the decimal context (exponents to 999999; past that
# Overflow is raised), and is written out in full in fewer digits than int() reads (4300).
PRICE_EXPONENT = 1000
# A price is a decimal number spelt in ASCII, as JSON spells one (a sign, a point and an exponent
# allowed): upstream sends "0.000001". Python's Decimal alone also reads " 1", "1_000" and other
# scripts' digits ("١٢٣"), which JavaScript and DuckDB do not take for numbers, so a catalog
# sending them would have price moves here that no other reader of the archive sees.
_PRICE_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_MISSING = object()

Part = str | int
Leaf = tuple[tuple[Part, ...], Any]


@dataclass(frozen=True)
class PriceChange:
    """One price field whose value changed: upstream text before and after, change in percent."""

    field: str
    old: str
    new: str
    percent: float | None

    def to_json(self) -> dict[str, Any]:
        """Return this price change as JSON-ready data (the CLI and the site's API share it)."""
        return {"field": self.field, "old": self.old, "new": self.new, "percent": self.percent}

    @property
    def direction(self) -> str | None:
        """Return "up" or "down", or None for a move to or from a routed -1 (see
        `price_direction`)."""
        return price_direction(Decimal(self.old), Decimal(self.new))

    @property
    def went_up(self) -> bool:
        """Tell whether the price rose (a move to or from a routed -1 did not)."""
        return self.direction == "up"

    @property
    def price_class(self) -> str:
        """Return the class this move gives its change: price_up, price_down, price_changed."""
        return "price_changed" if self.direction is None else f"price_{self.direction}"


@dataclass(frozen=True)
class Classification:
    """The classes of one change, in CLASSES order, and its price changes."""

    kinds: tuple[str, ...]
    prices: tuple[PriceChange, ...]


def classify(
    category: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    returned: bool = False,
    changed: Collection[tuple[Part, ...]] | None = None,
) -> Classification:
    """Return the classes of a change from before to after (None: absent on that side).

    changed: `changed_leaves(before, after)`, when the caller has it already.
    """
    if after is None:
        return Classification(("removed",), ())
    if before is None:
        return Classification(("returned",) if returned else ("added",), ())
    if changed is None:
        changed = changed_leaves(before, after)
    root = PRICE_ROOTS.get(category)
    # Prices are read only when a leaf below them differs: otherwise none can have moved.
    priced_leaf = root is not None and any(parts[: len(root)] == root for parts in changed)
    prices = price_changes(category, before, after, changed) if priced_leaf else ()
    kinds = {"returned"} if returned else set()
    kinds.update(price.price_class for price in prices)
    priced = {price.field for price in prices}
    for parts in changed:
        kinds.add(_leaf_class(category, parts, priced))
    kinds.discard("")
    return Classification(tuple(kind for kind in CLASSES if kind in kinds), prices)


def price_changes(
    category: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    changed: Collection[tuple[Part, ...]] | None = None,
) -> tuple[PriceChange, ...]:
    """Return the price fields whose decimal value differs between before and after.

    changed: `changed_leaves(before, after)`, when known: only those leaves are read (a
    leaf equal on both sides holds the same price).
    """
    root = PRICE_ROOTS.get(category)
    if root is None:
        return ()
    if changed is None:
        old_leaves = dict(_price_leaves(_dig(before, root), root))
        new_leaves = dict(_price_leaves(_dig(after, root), root))
    else:
        below = [parts for parts in changed if parts[: len(root)] == root]
        tiers = (*root, "overrides")
        if any(parts[: len(tiers)] == tiers for parts in below):
            # A tier that moved in the list is read whole on both sides, wherever it is now.
            below += [p for side in (before, after) for p, _ in leaves(_dig(side, tiers), tiers)]
        old_leaves = {p: price for p in below if (price := _price_at(before, root, p))}
        new_leaves = {p: price for p in below if (price := _price_at(after, root, p))}
    # Long-context tiers are matched by min_prompt_tokens, not by place: one added in front
    # of another (or the list reordered) moved no price, and reads so in summaries.
    old = {_tier_keyed(before, root, parts): price for parts, price in old_leaves.items()}
    new = {_tier_keyed(after, root, parts): (parts, price) for parts, price in new_leaves.items()}
    found = []
    for key in sorted(old.keys() & new.keys(), key=lambda key: render_path(new[key][0])):
        (old_text, old_value), (parts, (new_text, new_value)) = old[key], new[key]
        if old_value != new_value:
            percent = _percent(old_value, new_value)
            found.append(PriceChange(render_path(parts), old_text, new_text, percent))
    return tuple(found)


def _tier_keyed(
    entity: Mapping[str, Any], root: tuple[str, ...], parts: tuple[Part, ...]
) -> tuple[Part, ...]:
    """Return a price leaf's path with its long-context tier (overrides[i]) named by the
    tier's min_prompt_tokens, as price_moves matches tiers; other paths as they are."""
    at = len(root) + 1
    index = parts[at] if len(parts) > at else None
    if parts[:at] != (*root, "overrides") or not isinstance(index, int):
        return parts
    tiers = _dig(entity, (*root, "overrides"))
    tier = tiers[index] if isinstance(tiers, list) and index < len(tiers) else None
    threshold = tier.get("min_prompt_tokens") if isinstance(tier, Mapping) else None
    if not isinstance(threshold, int) or isinstance(threshold, bool):
        return parts
    return (*parts[:at], f"min_prompt_tokens={threshold}", *parts[at + 1 :])


def price_direction(old_value: Decimal, new_value: Decimal) -> str | None:
    """Return "up" or "down" for a price that moved, or None when either side is negative:
    OpenRouter's -1, priced by the model a request is routed to, is no price to compare
    (0.00000015 to -1 read as a cut of 666,666,767%)."""
    if min(old_value, new_value) < 0:
        return None
    return "up" if new_value > old_value else "down"


def _percent(old_value: Decimal, new_value: Decimal) -> float | None:
    """Return a price's move in percent, or None when there is no finite one to tell.

    A move between prices far apart (1e-300 to 1e300, both valid prices) is a Decimal past
    a double's range: as a float it would be inf, which JSON cannot hold, so the site's
    cache wrote it as null and a build from the cache showed no percent where a full
    build showed "inf%"; None is what both show, and what the API writes already.
    """
    if old_value <= 0 or new_value < 0:
        return None  # From nothing, or to or from a routed -1: no percent tells the move.
    percent = float((new_value - old_value) / old_value * 100)
    return percent if math.isfinite(percent) else None


def changed_leaves(before: Any, after: Any) -> list[tuple[Part, ...]]:
    """Return the paths of the leaves (scalars, empty containers) that differ.

    The same paths as comparing every leaf of both sides, found without flattening them:
    a subtree identical on both sides (one ``==`` and one serialisation, in C) is skipped
    whole, so a price change in a 2,000-leaf model file costs a handful of steps.
    """
    found: list[tuple[Part, ...]] = []
    _changed(before, after, (), found)
    return found


def _changed(
    before: Any, after: Any, parts: tuple[Part, ...], found: list[tuple[Part, ...]]
) -> None:
    """Add the paths of the leaves that differ between before and after, both at parts."""
    if isinstance(before, Mapping) and isinstance(after, Mapping) and before and after:
        for key, old_item in before.items():
            new_item = after.get(key, _MISSING)
            if new_item is _MISSING:
                found += [path for path, _ in leaves(old_item, (*parts, key))]
            elif not _identical(old_item, new_item):
                _changed(old_item, new_item, (*parts, key), found)
        for key, new_item in after.items():
            if key not in before:
                found += [path for path, _ in leaves(new_item, (*parts, key))]
    elif isinstance(before, list) and isinstance(after, list) and before and after:
        for index in range(max(len(before), len(after))):
            if index >= len(before) or index >= len(after):
                # Present on one side only: every leaf below it differs (from nothing).
                longer = before if index < len(before) else after
                found += [path for path, _ in leaves(longer[index], (*parts, index))]
            elif not _identical(before[index], after[index]):
                _changed(before[index], after[index], (*parts, index), found)
    elif _is_leaf(before) and _is_leaf(after):
        if not _same(before, after):
            found.append(parts)
    else:
        # Not two containers of one shape: compare the leaves of both sides one by one.
        old, new = dict(leaves(before, parts)), dict(leaves(after, parts))
        found += [
            path
            for path in [*old, *(path for path in new if path not in old)]
            if not _same(old.get(path, _MISSING), new.get(path, _MISSING))
        ]


def _is_leaf(value: Any) -> bool:
    """Tell whether a value is a leaf of `leaves` (a scalar or an empty container)."""
    return not (isinstance(value, Mapping | list) and value)


def _identical(old: Any, new: Any) -> bool:
    """Tell whether two JSON values are the same, types included at every leaf (1 is not 1.0).

    ``==`` alone equates 1, 1.0 and true; equal values that also serialise to the same bytes
    hold the same leaves. A value orjson refuses (an exact big number) is not called
    identical: the caller then compares it leaf by leaf, which is only slower.
    """
    if type(old) is not type(new) or old != new:
        return False
    if not isinstance(old, dict | list):
        return True
    try:
        return bool(orjson.dumps(old) == orjson.dumps(new))
    except (TypeError, orjson.JSONEncodeError):
        return False


def leaves(value: Any, parts: tuple[Part, ...] = ()) -> Iterator[Leaf]:
    """Yield (path, value) for every scalar or empty container inside value."""
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from leaves(item, (*parts, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*parts, index))
    else:
        yield parts, value


def render_path(parts: Sequence[Part]) -> str:
    """Return a path as people read it: pricing.prompt, supported_parameters[7]."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += '["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return text or "(entity)"


def _leaf_class(category: str, parts: tuple[Part, ...], priced: set[str]) -> str:
    """Return the class one differing leaf contributes ("" when a price change explains it)."""
    rendered = render_path(parts)
    if rendered in priced:
        return ""
    if priced and (ECHO_FIELD in parts or (parts and parts[0] in PRICE_ECHOES)):
        return ""
    if parts and isinstance(parts[-1], str) and parts[-1] in CONTEXT_FIELDS:
        return "context_changed"
    return "other"


def _price_leaves(
    value: Any, root: tuple[Part, ...]
) -> Iterator[tuple[tuple[Part, ...], tuple[str, Decimal]]]:
    """Yield (path, (upstream text, decimal)) for every price leaf below a pricing object."""
    for parts, leaf in leaves(value, root):
        if ECHO_FIELD in parts or (isinstance(parts[-1], str) and parts[-1] in NOT_PRICES):
            continue
        number = decimal_price(leaf)
        if number is not None:
            yield parts, (price_text(leaf), number)


def _price_at(
    entity: Mapping[str, Any], root: tuple[str, ...], parts: tuple[Part, ...]
) -> tuple[str, Decimal] | None:
    """Return (upstream text, decimal) of the price leaf at parts, as `_price_leaves` reads
    it, or None when no price leaf is there."""
    if ECHO_FIELD in parts or (isinstance(parts[-1], str) and parts[-1] in NOT_PRICES):
        return None
    value = _dig(entity, root)
    for part in parts[len(root) :]:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return None
            value = value[part]
        elif isinstance(value, Mapping) and value and part in value:
            value = value[part]
        else:
            return None
    if isinstance(value, Mapping | list) and value:
        return None  # Not a leaf on this side: the path goes on below it.
    number = decimal_price(value)
    return (price_text(value), number) if number is not None else None


def price_text(value: str | int | float) -> str:
    """Return a price as the archived file spells it: a string's text, a number's JSON
    literal (`9e-7`, where Python's str writes `9e-07`), so `git log -p` shows the same."""
    return value if isinstance(value, str) else jsonvalue.dumps(value).decode()


def decimal_price(value: Any) -> Decimal | None:
    """Return a price as a finite Decimal, or None when it is not a number (or one too far
    from 1 to compute with, past PRICE_EXPONENT: shown as sent, like "x")."""
    number = decimal_number(value)
    if number is None or (number and abs(number.adjusted()) > PRICE_EXPONENT):
        return None
    return number


def decimal_number(value: Any) -> Decimal | None:
    """Return a JSON number, or a string spelling one in ASCII, as a finite Decimal; else None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    spelt = str(value)
    if not _PRICE_TEXT.fullmatch(spelt):
        return None  # Also inf and nan, which no JSON number spells.
    try:
        return Decimal(spelt)
    except InvalidOperation:  # An exponent past what Decimal holds.
        return None


def _dig(value: Mapping[str, Any], parts: tuple[str, ...]) -> Any:
    """Return the value at a path of keys, or None."""
    current: Any = value
    for part in parts:
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _same(old: Any, new: Any) -> bool:
    """Tell whether two JSON leaves are equal, type included (1 is not true)."""
    return type(old) is type(new) and old == new
