"""Decide what a sync writes and removes: observed entities merged with the archive.

Rules (SPEC "Nothing is lost or invented"):
- a part whose listing was not seen whole keeps its archived value;
- an entity with no part left is removed, at its old path, so a return reads straight through;
- a part may end a sync at most `max_removal_share` below its largest size of the last
  days (archiver.archive.removal_window; never less than `MIN_REMOVALS` entities): a sync that would
  go further removes nothing from that part, so neither a half-empty listing nor one that
  shrinks a little every sync empties the archive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from archiver import jsonvalue
from archiver.archive.removal_window import WINDOW_DAYS, RemovalWindow
from archiver.archive.unread_parts import MAX_WAIT
from archiver.canonical import blob_id, canonical_bytes
from archiver.errors import UnsafeKeyError
from archiver.paths import CATEGORIES, Category, key_to_path, path_to_key
from archiver.times import format_epoch
from archiver.upstream.entities import ENDPOINT_PART, MODEL_PARTS, PROVIDER_PARTS, Observed

DEFAULT_MAX_REMOVAL_SHARE = 0.10
# Small parts churn in whole entities: losing 2 of 15 is not a broken listing.
MIN_REMOVALS = 3
PARTS = {"model": MODEL_PARTS, "provider": PROVIDER_PARTS, "endpoint": (ENDPOINT_PART,)}

ReadBlob = Callable[[str], bytes]


@dataclass
class CategoryCounts:
    """What a sync did to one category."""

    entities: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0


@dataclass
class Plan:
    """The files one sync writes and removes, and why."""

    writes: dict[str, bytes] = field(default_factory=dict)
    removals: list[str] = field(default_factory=list)
    counts: dict[str, CategoryCounts] = field(default_factory=dict)
    held_back: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    # New entities left out until a listing that failed this sync is read again.
    waiting: list[str] = field(default_factory=list)
    # {part label: first epoch of its failing streak} (archiver.archive.unread_parts).
    unread_since: dict[str, datetime] = field(default_factory=dict)
    # Entities per part ("endpoint", "model/v1", ...) after this sync, for the window.
    sizes: dict[str, int] = field(default_factory=dict)
    # Entities per part before this sync: what the days since the last recorded one held.
    held_sizes: dict[str, int] = field(default_factory=dict)
    # Archived endpoints no listing held this sync that stay (their listing failed, or their
    # removal was held back): not gone, so their telemetry stands (no gap).
    unseen_kept: set[str] = field(default_factory=set)
    # Archived models a whole /api/v1/models listing lacked whose `v1` part stays (its
    # removal was held back): the same for their telemetry, which comes from that listing.
    v1_unseen_kept: set[str] = field(default_factory=set)
    # A model listing whose removals the guard held back (a half-empty catalog): it is no
    # evidence that a model left, so an endpoint then goes only on its own listing's word.
    models_held: bool = False


class _Archive:
    """The archive at HEAD for one category: paths by key, entities read on demand."""

    def __init__(self, category: Category, tracked: Mapping[str, str], read: ReadBlob, plan: Plan):
        self.blobs = tracked
        self.paths: dict[str, str] = {}
        prefix = f"data/{category}/"
        for path in tracked:
            if path.startswith(prefix):
                try:
                    self.paths[path_to_key(path)[1]] = path
                except UnsafeKeyError:
                    continue  # Not ours (a stray file); leave it alone.
        self._read = read
        self._plan = plan
        self._cache: dict[str, dict[str, Any] | None] = {}
        # Files that are not JSON (damaged by hand?): which listing owns them is unknown.
        self.unreadable: set[str] = set()

    def entity(self, key: str) -> dict[str, Any] | None:
        """Return the archived entity for a key, or None."""
        if key not in self._cache:
            self._cache[key] = self._load(key)
        return self._cache[key]

    def part_size(self, part: str) -> int:
        """Return how many archived entities hold this part (an endpoint is its own part)."""
        if part == ENDPOINT_PART:
            return len(self.paths)
        return sum(part in (self.entity(key) or {}) for key in self.paths)

    def _load(self, key: str) -> dict[str, Any] | None:
        path = self.paths.get(key)
        if path is None:
            return None
        try:
            value = jsonvalue.loads(self._read(self.blobs[path]))
        except jsonvalue.DecodeError:
            self.unreadable.add(key)
            self._plan.corrupt.append(
                f"{path} is not valid JSON: kept as it is until a listing shows its entity, "
                "then rewritten (fix or delete it by hand if the entity is gone)"
            )
            return None
        return value if isinstance(value, dict) else None


def make_plan(
    observed: Observed,
    tracked: Mapping[str, str],
    read: ReadBlob,
    *,
    max_removal_share: float = DEFAULT_MAX_REMOVAL_SHARE,
    window: RemovalGuard | None = None,
) -> Plan:
    """Return the writes and removals that bring the archive to what this sync observed."""
    plan = Plan()
    guard = window or RemovalGuard()
    for category in CATEGORIES:
        archive = _Archive(category, tracked, read, plan)
        merged = _merge_category(category, observed, archive, max_removal_share, guard, plan)
        _plan_category(category, merged, archive, plan)
        if category == "endpoint":
            seen = observed.parts["endpoint"].get(ENDPOINT_PART, {})
            plan.unseen_kept = {key for key in merged if key in archive.paths and key not in seen}
        elif category == "model":
            listed = observed.parts["model"].get("v1", {})
            plan.v1_unseen_kept = {k for k, v in merged.items() if "v1" in v and k not in listed}
    return plan


@dataclass(frozen=True)
class RemovalGuard:
    """The removal window as of the last sync, and the epoch of this one."""

    window: RemovalWindow = field(default_factory=RemovalWindow)
    epoch: datetime | None = None
    # {part label: first epoch of its failing streak}, as the last sync recorded it.
    unread_since: Mapping[str, datetime] = field(default_factory=dict)

    def new_day(self) -> bool:
        """Tell whether this sync is the first of its day the window records."""
        day = self.window.day
        return day is not None and self.epoch is not None and self.epoch.date() > day

    def peak(self, label: str, size_before: int, held: int | None = None) -> int:
        """Return the largest size the part had in the window, this sync's start included;
        held: the part's size at HEAD."""
        epoch = self.epoch
        recorded = self.window.peak(label, epoch, held) if epoch is not None else None
        return max(size_before, recorded or 0)


def _merge_category(
    category: Category,
    observed: Observed,
    archive: _Archive,
    share: float,
    guard: RemovalGuard,
    plan: Plan,
) -> dict[str, dict[str, Any]]:
    """Return {key: {part: value}} for every entity that stays, with the removal guard applied."""
    parts = observed.parts[category]
    keys = set(archive.paths).union(*(parts[p] for p in PARTS[category] if p in parts))
    merged: dict[str, dict[str, Any]] = {key: {} for key in keys}
    for part in PARTS[category]:
        seen = parts.get(part, {})
        own_listing = category == "endpoint" and plan.models_held
        kept, dropped = _merge_part(category, part, seen, keys, observed, archive, own_listing)
        label = category if part == ENDPOINT_PART else f"{category}/{part}"
        if guard.new_day():
            # Counted once a day (it reads every file of the category): only the first sync
            # of a day records what the days since the last recorded one held.
            plan.held_sizes[label] = archive.part_size(part)
        peak = guard.peak(label, len(kept) + len(dropped), plan.held_sizes.get(label))
        # Removes only what is provably within the share: a share of nan (the Python API
        # takes any float) compares false both ways, and with `>` it let every removal go.
        if dropped and not peak - len(kept) <= max(MIN_REMOVALS, share * peak):
            plan.held_back.append(
                f"{category} {part}: would remove {len(dropped)}, leaving {len(kept)} of the "
                f"{peak} it held in the last {WINDOW_DAYS} days (over {share:.0%} fewer); "
                "removed none, kept the archived ones"
            )
            kept.update(dropped)
            plan.models_held |= category == "model"
        plan.sizes[label] = len(kept)
        for key, value in kept.items():
            merged[key][part] = value
    entities = {key: value for key, value in merged.items() if value}
    _wait_for_unread_parts(category, entities, observed, archive, guard, plan)
    return entities


def _wait_for_unread_parts(
    category: Category,
    entities: dict[str, dict[str, Any]],
    observed: Observed,
    archive: _Archive,
    guard: RemovalGuard,
    plan: Plan,
) -> None:
    """Leave out the new entities of a category one of whose listings failed this sync.

    That listing may hold them too: written now with the parts that came, they would change
    when it comes back, a version made by a failed request rather than by upstream. A
    listing failing for longer than MAX_WAIT holds nothing back: it may never come back.
    """
    unread = []
    for part in (part for part in PARTS[category] if (category, part) in observed.unread):
        label, epoch = f"{category}/{part}", guard.epoch
        if epoch is None:  # A plan made outside a sync: no streak to measure.
            unread.append(part)
            continue
        since = plan.unread_since[label] = guard.unread_since.get(label, epoch)
        if epoch - since < MAX_WAIT:
            unread.append(part)
        else:
            plan.waiting.append(
                f"the {label} listing has failed since {format_epoch(since)}: new {category} "
                "entities are written without it"
            )
    # Only those missing a part a failed listing gives: one that has it already (a provider
    # another model's endpoint listing named) gains nothing when that listing comes back.
    waits = set(unread)
    new = sorted(k for k in entities.keys() - archive.paths.keys() if waits - entities[k].keys())
    for key in new:
        del entities[key]
    if new:
        shown = ", ".join(new[:5]) + (f" and {len(new) - 5} more" if len(new) > 5 else "")
        plan.waiting.append(
            f"{len(new)} new {category} entities wait for the {', '.join(unread)} listing, "
            f"which failed this sync: {shown}"
        )


def _merge_part(
    category: Category,
    part: str,
    seen: Mapping[str, Any],
    keys: set[str],
    observed: Observed,
    archive: _Archive,
    own_listing: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ({key: value} kept for this part, {key: archived value} this sync drops);
    own_listing: an endpoint is dropped only when its own model's listing was fetched."""
    kept: dict[str, Any] = dict(seen)
    dropped: dict[str, Any] = {}
    for key in keys - seen.keys():
        old = archive.entity(key)
        old_value = _part_of(category, part, old)
        if old_value is None:
            continue
        listed = not own_listing or _listing_fetched(old, observed)
        if listed and observed.part_whole(category, part, old):
            dropped[key] = old_value
        else:
            kept[key] = old_value
    return kept, dropped


def _listing_fetched(old: Mapping[str, Any] | None, observed: Observed) -> bool:
    """Tell whether this sync fetched the endpoint listing of an archived endpoint's model."""
    model_key = old.get("model_variant_slug") if old else None
    return isinstance(model_key, str) and model_key in observed.endpoint_lists_whole


def _part_of(category: Category, part: str, entity: Mapping[str, Any] | None) -> Any:
    """Return one part of an archived entity (an endpoint is its own single part)."""
    if entity is None:
        return None
    if category == "endpoint":
        return entity
    return entity.get(part)


def _assemble(category: Category, key: str, parts: Mapping[str, Any]) -> Any:
    """Return the file content for an entity from its parts."""
    if category == "endpoint":
        return parts[ENDPOINT_PART]
    # The true key stays inside the file, whatever its path encoding.
    return {"key": key, **{name: parts[name] for name in PARTS[category] if name in parts}}


def _plan_category(
    category: Category,
    merged: Mapping[str, Mapping[str, Any]],
    archive: _Archive,
    plan: Plan,
) -> None:
    """Add one category's writes and removals to the plan."""
    counts = plan.counts.setdefault(category, CategoryCounts())
    for key, parts in merged.items():
        try:
            path = archive.paths.get(key) or key_to_path(category, key)
        except UnsafeKeyError as error:
            plan.refused.append(str(error))
            continue
        counts.entities += 1
        content = _assemble(category, key, parts)
        # An observed endpoint arrives as its file's canonical bytes already.
        try:
            data = content if isinstance(content, bytes) else canonical_bytes(content)
        except jsonvalue.EncodeError as error:
            # One hostile value costs its own entity: the archived file stays as it is.
            kept = "not written (its archived version, if any, is kept)"
            plan.refused.append(f"{category} {key!r}: {error}; {kept}")
            continue
        old_blob = archive.blobs.get(path)
        if old_blob == blob_id(data):
            continue
        plan.writes[path] = data
        if old_blob is None:
            counts.added += 1
        else:
            counts.changed += 1
    for key, path in archive.paths.items():
        # An unreadable file's listing may have failed this sync: never a removal on a guess.
        if key not in merged and key not in archive.unreadable:
            plan.removals.append(path)
            counts.removed += 1
