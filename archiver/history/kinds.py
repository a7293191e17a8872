"""What a change means to someone tracking LLM prices: its kinds and a one-line summary.

:func:`describe` reads the entity as it was before and after a sync (pure functions over
the JSON, no I/O) and returns a :class:`Described`: the :class:`Kind` of every fact that
changed (a price, the context, the data policy...), each fact as a phrase, and a summary
line such as ``GLM 5.2 on Novita: input $0.5586 -> $0.2198 per M tokens, -60.7%``.
:func:`describe_change` does the same for a :class:`~archiver.history.versions.Change` read
from history, reusing the leaves it already compared. :func:`importance` sorts the changes
of one sync: arrivals, departures and status first, then prices by the size of the move,
metadata last.

The CLI (``archiver changes --kind``), the site's monitor, its feeds and ``archiver
notify`` all read changes through this module, so a new kind (say, zero data retention)
is added once, in :mod:`archiver.history.kind_rules`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from archiver.history.classify import Part, changed_leaves, decimal_price
from archiver.history.kind_rules import ABSENT, COPY_ROOTS, Kind, field_kind, field_text
from archiver.history.price_moves import MILLION, dollars, price_moves
from archiver.history.versions import Change
from archiver.textsafe import name_text

__all__ = [
    "KIND_LABELS",
    "Described",
    "Detail",
    "Kind",
    "describe",
    "describe_change",
    "importance",
    "model_name",
]

KIND_LABELS: dict[Kind, str] = {
    Kind.REMOVED: "removed",
    Kind.ADDED: "new",
    Kind.RETURNED: "returned",
    Kind.STATUS: "status",
    Kind.PRICE: "price",
    Kind.DEPRECATION: "deprecation",
    Kind.DATA_POLICY: "data policy",
    Kind.ZDR: "zero data retention",
    Kind.CONTEXT: "context & max output",
    Kind.QUANTIZATION: "quantization",
    Kind.LIMITS: "limits",
    Kind.MODALITIES: "modalities",
    Kind.FEATURES: "parameters & features",
    Kind.PROVIDER_RENAMED: "provider renamed",
    Kind.METADATA: "metadata",
    Kind.OTHER: "other",
}
PRICE_ROOTS = {"endpoint": ("pricing",), "model": ("v1", "pricing")}
CATEGORY_RANK = {"endpoint": 0, "model": 1, "provider": 2}
SUMMARY_DETAILS = 3
# A source's copy appearing or leaving: what it means for a model or provider.
_LISTINGS = {
    "v1": (Kind.STATUS, "now in the public model list (/api/v1/models)", "left /api/v1/models"),
    "catalog": (Kind.METADATA, "now in the frontend catalog", "left the frontend catalog"),
    "all_providers": (Kind.METADATA, "now in the providers list", "left the providers list"),
    "provider_info": (Kind.METADATA, "provider details added", "provider details removed"),
}
Entity = Mapping[str, Any]


@dataclass(frozen=True)
class Detail:
    """One fact of a change: its kind, as a phrase, and for a price whether it got cheaper."""

    kind: Kind
    text: str
    cheaper: bool | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class Described:
    """A change as people read it: who, its kinds (most important first), facts, summary."""

    category: str
    key: str
    subject: str
    kinds: tuple[Kind, ...]
    details: tuple[Detail, ...]

    @property
    def summary(self) -> str:
        """Return the change in one line: subject, then its most important facts."""
        texts = [detail.text for detail in self.details[:SUMMARY_DETAILS]]
        more = len(self.details) - SUMMARY_DETAILS
        tail = f"; and {more} more" if more > 0 else ""
        return f"{self.subject}: {'; '.join(texts) or 'changed'}{tail}"

    @property
    def price_move(self) -> Decimal:
        """Return the largest price move in percent, either way (0 when no price moved)."""
        moves = [abs(d.percent) for d in self.details if d.percent is not None]
        return max(moves, default=Decimal(0))


def describe(
    category: str,
    key: str,
    before: Entity | None,
    after: Entity | None,
    *,
    returned: bool = False,
    model_names: Mapping[str, str] | None = None,
    changed: Collection[tuple[Part, ...]] | None = None,
) -> Described:
    """Return what a change from before to after (None: absent on that side) means.

    changed: `changed_leaves(before, after)`, when the caller has it already (a Change
    read from history carries it): the two versions are then not compared again.
    """
    entity = after if after is not None else before or {}
    subject = _subject(category, key, entity, model_names or {})
    details: list[Detail] = []
    if after is None:
        details.append(Detail(Kind.REMOVED, f"removed (was {_figures(category, entity)})"))
    elif before is None or returned:
        kind, word = (Kind.RETURNED, "returned") if returned else (Kind.ADDED, f"new {category}")
        details.append(Detail(kind, f"{word}: {_figures(category, after)}"))
    if before is not None and after is not None:
        if changed is None:
            changed = changed_leaves(before, after)
        details += _price_details(category, before, after, changed)
        details += _field_details(category, before, after, changed)
    details = _unique(details)
    details.sort(key=lambda detail: list(Kind).index(detail.kind))
    kinds = tuple(dict.fromkeys(detail.kind for detail in details))
    return Described(category, key, subject, kinds or (Kind.OTHER,), tuple(details))


def describe_change(change: Change, model_names: Mapping[str, str] | None = None) -> Described:
    """Return what a change read from history means (model_names: {modelKey: name})."""
    return describe(
        change.category,
        change.key,
        change.before,
        change.after,
        returned="returned" in change.kinds,
        model_names=model_names,
        changed=change.changed,
    )


def importance(described: Described) -> tuple[int, Decimal, int, str]:
    """Return the sort key of a sync's changes: kind, then the price move, then who."""
    rank = list(Kind).index(described.kinds[0])
    category = CATEGORY_RANK.get(described.category, 3)
    return rank, -described.price_move, category, described.subject.lower()


def model_name(entity: Entity | None, key: str) -> str:
    """Return a model's display name from its file (catalog, then v1), else its key."""
    for root in ("catalog", "v1"):
        name = name_text(_dig(entity, (root, "name")))
        if name:
            return name
    return key


def _subject(category: str, key: str, entity: Entity, names: Mapping[str, str]) -> str:
    """Return who changed: "GLM 5.2 on Novita (fp8)", "GLM 5.2", "Novita (provider)"."""
    if category == "model":
        return names.get(key) or model_name(entity, key)
    if category == "provider":
        name = name_text(_dig(entity, ("all_providers", "displayName")))
        return f"{name or name_text(_dig(entity, ('provider_info', 'name'))) or key} (provider)"
    model = entity.get("model")
    model_key = model if isinstance(model, str) else key
    provider = name_text(entity.get("provider_display_name")) or entity.get("provider_info") or "?"
    tag = entity.get("provider_slug")
    suffix = f" ({tag.split('/', 1)[1]})" if isinstance(tag, str) and "/" in tag else ""
    return f"{names.get(model_key, model_key)} on {provider}{suffix}"


def _price_details(
    category: str, before: Entity, after: Entity, changed: Collection[tuple[Part, ...]]
) -> list[Detail]:
    """Return a detail per price that moved."""
    root = PRICE_ROOTS.get(category)
    if root is None:
        return []
    return [
        Detail(Kind.PRICE, move.text, move.cheaper, move.percent)
        for move in price_moves(root, before, after, changed)
    ]


def _field_details(
    category: str, before: Entity, after: Entity, changed: Collection[tuple[Part, ...]]
) -> list[Detail]:
    """Return a detail per changed field that is not a price (prices are read apart)."""
    details = []
    roots = COPY_ROOTS.get(category, ())
    fields = _changed_fields(before, after, changed)
    owned = {field[1:] if field[:1] and field[0] in roots else field for field in fields}
    for field in sorted(fields):
        if field[:1] and field[0] in roots and len(field) == 1:
            details.append(_listing(field[0], before, after))
            continue
        own = field[1:] if field[:1] and field[0] in roots else field
        kind = _provider_kind(own) if category == "provider" else field_kind(category, own)
        if kind is Kind.PRICE or _is_echo(own, owned):
            continue
        old, new = _dig(before, field, ABSENT), _dig(after, field, ABSENT)
        details.append(Detail(kind, field_text(own, old, new)))
    return details


def _changed_fields(
    before: Entity, after: Entity, changed: Collection[tuple[Part, ...]]
) -> set[tuple[str, ...]]:
    """Return the fields that differ: a path cut at its first list index, or a whole copy."""
    fields: set[tuple[str, ...]] = set()
    for parts in changed:
        field: list[str] = []
        for part in parts:
            if isinstance(part, int):
                break
            field.append(part)
        root = field[0] if field else ""
        if (
            root
            and (root not in before or root not in after)
            and isinstance((after if root in after else before).get(root), Mapping)
        ):
            fields.add((root,))  # A whole object appeared or left: one fact, not fifty.
        else:
            fields.add(tuple(field))
    return fields


def _listing(root: str, before: Entity, after: Entity) -> Detail:
    """Return the detail of a source's copy that appeared or left."""
    kind, came, left = _LISTINGS.get(root, (Kind.OTHER, f"{root} added", f"{root} removed"))
    return Detail(kind, came if root in after else left)


def _provider_kind(field: tuple[str, ...]) -> Kind:
    """Return the kind of a provider field: its names say it was renamed."""
    if field in (("name",), ("displayName",)):
        return Kind.PROVIDER_RENAMED
    return field_kind("provider", field)


def _is_echo(field: tuple[str, ...], changed: set[tuple[str, ...]]) -> bool:
    """Tell whether a field only repeats another change already shown."""
    if field == ("provider_slug",):
        return ("quantization",) in changed
    if field == ("name",):
        return ("provider_display_name",) in changed or ("provider_name",) in changed
    return field == ("provider_info_endpoint", "displayName") and (
        ("provider_display_name",) in changed
    )


def _figures(category: str, entity: Entity) -> str:
    """Return the key figures of an entity that arrived or left: prices and context."""
    pricing = _dig(entity, PRICE_ROOTS.get(category, ("-",)))
    parts = []
    if isinstance(pricing, Mapping):
        for name, label in (("prompt", "input"), ("completion", "output")):
            value = _per_million(pricing.get(name))
            if value is not None:
                parts.append(f"{label} {dollars(value) if value else 'free'}")
    text = ", ".join(parts) + (" per M tokens" if parts and "$" in "".join(parts) else "")
    context = entity.get("context_length") if category == "endpoint" else None
    if category == "model":
        context = _dig(entity, ("v1", "context_length")) or _dig(
            entity, ("catalog", "context_length")
        )
    if isinstance(context, int) and not isinstance(context, bool):
        text += f"{', ' if text else ''}context {context:,}"
    return text or category


def _per_million(value: Any) -> Decimal | None:
    """Return an upstream per-token price in dollars per million tokens (None: not a price)."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    number = decimal_price(value)  # None past PRICE_EXPONENT too: times a million, it overflowed.
    return number * MILLION if number is not None and number >= 0 else None


def _unique(details: list[Detail]) -> list[Detail]:
    """Return details without repeats (a model's v1 and catalog copies say the same)."""
    seen: set[tuple[Kind, str]] = set()
    kept = []
    for detail in details:
        if (detail.kind, detail.text) not in seen:
            seen.add((detail.kind, detail.text))
            kept.append(detail)
    return kept


def _dig(value: Any, path: tuple[str, ...], missing: Any = None) -> Any:
    """Return the value at a path of keys, or missing."""
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return missing
        value = value[part]
    return value
