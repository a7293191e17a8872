"""Entity versions as validity intervals: one row per version of a model, endpoint or provider.

A version is in force from the sync that wrote it (``valid_from``) until the sync that
changed or removed it (``valid_to``; null while it is current), as `archiver show --at`
reads the archive. The intervals come from the history index alone (no blob is read to
find them); only the versions of the months being written are read and flattened.

Each row has the key, the interval, the commit and how the version came (added, changed,
returned), the fields people query as typed columns, every price both as the exact
archived decimal (``price_prompt``) and as a double in dollars per unit
(``price_prompt_usd``), and the version's canonical JSON as archived (``json``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archiver import jsonvalue
from archiver.errors import UnsafeKeyError
from archiver.export.columns import BOOL, INT, STRING, TIME, Column, cell, dig, price_cells
from archiver.history.index import Entry, HistoryIndex
from archiver.history.kinds import model_name
from archiver.history.price_moves import PRICE_LABELS
from archiver.history.versions import EntityReader
from archiver.paths import Category, category_dir, path_to_key

LEAD = [
    Column("key", STRING),
    Column("valid_from", TIME),
    Column("valid_to", TIME),
    Column("commit", STRING),
    Column("change", STRING),
]
SKUS = (*PRICE_LABELS, "discount")
PRICE_ROOT: dict[str, tuple[str, ...]] = {"endpoint": ("pricing",), "model": ("v1", "pricing")}
_POLICY = [
    ("data_training", BOOL, "training"),
    ("data_training_openrouter", BOOL, "trainingOpenRouter"),
    ("data_retains_prompts", BOOL, "retainsPrompts"),
    ("data_retention_days", INT, "retentionDays"),
    ("data_can_publish", BOOL, "canPublish"),
    ("data_requires_user_ids", BOOL, "requiresUserIDs"),
]
FIELDS: dict[str, list[Column]] = {
    "endpoint": [
        Column("model", STRING, ("model_variant_slug",)),
        Column("provider", STRING, ("provider_info",)),
        Column("provider_tag", STRING, ("provider_slug",)),
        Column("provider_name", STRING, ("provider_display_name",)),
        Column("name", STRING, ("name",)),
        Column("variant", STRING, ("variant",)),
        Column("quantization", STRING, ("quantization",)),
        Column("context_length", INT, ("context_length",)),
        Column("max_completion_tokens", INT, ("max_completion_tokens",)),
        Column("max_prompt_tokens", INT, ("max_prompt_tokens",)),
        Column("is_disabled", BOOL, ("is_disabled",)),
        Column("is_hidden", BOOL, ("is_hidden",)),
        Column("is_deranked", BOOL, ("is_deranked",)),
        Column("is_free", BOOL, ("is_free",)),
        Column("deprecation_date", STRING, ("deprecation_date",)),
        Column("expiration_date", STRING, ("expiration_date",)),
        *[Column(name, kind, ("data_policy", field)) for name, kind, field in _POLICY],
    ],
    "model": [
        Column("name", STRING, ("v1", "name")),
        Column("catalog_name", STRING, ("catalog", "name")),
        Column("author", STRING, ("catalog", "author")),
        Column("context_length", INT, ("v1", "context_length")),
        Column("max_completion_tokens", INT, ("v1", "top_provider", "max_completion_tokens")),
        Column("modality", STRING, ("v1", "architecture", "modality")),
        Column("created", INT, ("v1", "created")),
        Column("expiration_date", STRING, ("v1", "expiration_date")),
        Column("deprecation_date", STRING, ("v1", "deprecation_date")),
    ],
    "provider": [
        Column("name", STRING, ("all_providers", "displayName")),
        Column("catalog_name", STRING, ("provider_info", "name")),
        Column("headquarters", STRING, ("all_providers", "headquarters")),
        Column("status_page_url", STRING, ("all_providers", "statusPageUrl")),
        Column("moderation_required", BOOL, ("all_providers", "moderationRequired")),
        *[Column(n, kind, ("all_providers", "dataPolicy", f)) for n, kind, f in _POLICY],
    ],
}


def price_columns(category: str) -> list[Column]:
    """Return the exact and double columns of every SKU of a priced category."""
    if category not in PRICE_ROOT:
        return []
    found = []
    for sku in SKUS:
        found += [Column(f"price_{sku}", STRING), Column(f"price_{sku}_usd", "double")]
    return found


def columns(category: str) -> list[Column]:
    """Return every column of a category's table, in order."""
    return [*LEAD, *FIELDS[category], *price_columns(category), Column("json", STRING)]


@dataclass(frozen=True)
class Interval:
    """One version of one entity and the syncs it was in force between."""

    key: str
    path: str
    valid_from: datetime
    valid_to: datetime | None
    commit: str
    blob: str
    change: str


@dataclass(frozen=True)
class EntityFile:
    """One entity file's changes along HEAD's first parents, oldest first, and its versions."""

    key: str
    path: str
    entries: list[Entry]
    intervals: list[Interval]

    def versions(self) -> Iterator[tuple[Entry, Interval | None]]:
        """Yield each change with the version it made (None for a removal)."""
        made = iter(self.intervals)
        for entry in self.entries:
            yield entry, next(made) if entry.new_blob is not None else None


def files(index: HistoryIndex, category: Category, problems: list[str]) -> list[EntityFile]:
    """Return every file of a category with its changes and versions, from the index alone."""
    by_path: dict[str, list[Entry]] = {}
    for entry in reversed(index.entries_between(None, None, f"{category_dir(category)}/")):
        by_path.setdefault(entry.path, []).append(entry)
    found: list[EntityFile] = []
    for path, entries in by_path.items():
        try:
            key = path_to_key(path)[1]
        except UnsafeKeyError:
            problems.append(f"{path}: not a file the archiver writes (its key cannot be read); "
                            "left out of the export")  # fmt: skip
            continue
        found.append(EntityFile(key, path, entries, _file_intervals(key, path, entries)))
    return found


def _file_intervals(key: str, path: str, entries: list[Entry]) -> list[Interval]:
    """Return the versions one file's changes (oldest first) make."""
    found: list[Interval] = []
    for entry, following in zip(entries, [*entries[1:], None], strict=True):
        if entry.new_blob is None:
            continue
        change = "changed" if entry.status == "M" else ("returned" if found else "added")
        ends = following.epoch if following else None
        found.append(Interval(key, path, entry.epoch, ends, entry.commit, entry.new_blob, change))
    return found


class ModelNames:
    """Each model's display name over time, read from a version's file only when not known."""

    def __init__(self, reader: EntityReader, found: Iterable[Interval]) -> None:
        self.reader = reader
        self.versions: dict[str, list[Interval]] = {}
        for interval in sorted(found, key=lambda interval: interval.valid_from):
            self.versions.setdefault(interval.key, []).append(interval)
        self._starts = {key: [v.valid_from for v in found] for key, found in self.versions.items()}
        self._names: dict[str, str] = {}

    def learn(self, interval: Interval, entity: Mapping[str, Any]) -> None:
        """Remember the name a model version holds (read for its row: not read again)."""
        self._names[interval.blob] = model_name(entity, interval.key)

    def name(self, key: str, at: datetime) -> str | None:
        """Return a model's name at a moment: its version then, or its last before (None)."""
        index = bisect_right(self._starts.get(key, []), at)
        if not index:
            return None
        version = self.versions[key][index - 1]
        if version.blob not in self._names:
            document = read_document(self.reader, version, [])
            self.learn(version, document[0] if document else {})
        return self._names[version.blob]


def read_document(
    reader: EntityReader, interval: Interval, problems: list[str]
) -> tuple[dict[str, Any], str] | None:
    """Return (the entity, its canonical JSON text) of one version, or None with a problem."""
    where = f"{interval.path} in commit {interval.commit[:12]}"
    try:
        found = reader.document(interval.blob)
        if found is None:
            problems.append(f"{where}: blob missing (a shallow or partial clone?); left out")
            return None
        source = found.data.decode("utf-8")
    except (jsonvalue.DecodeError, RecursionError, UnicodeDecodeError, ValueError) as error:
        problems.append(f"{where}: not JSON the export can read ({error}); left out")
        return None
    if not isinstance(found.value, dict):
        problems.append(f"{where}: holds JSON that is not an object; left out")
        return None
    return found.value, source


def row(
    category: str, interval: Interval, entity: Mapping[str, Any], source: str
) -> dict[str, Any]:
    """Return one version's row."""
    found: dict[str, Any] = {
        "key": interval.key,
        "valid_from": interval.valid_from,
        "valid_to": interval.valid_to,
        "commit": interval.commit,
        "change": interval.change,
        "json": source,
    }
    for column in FIELDS[category]:
        found[column.name] = cell(column.type, dig(entity, column.path))
    if category in PRICE_ROOT:
        pricing = dig(entity, PRICE_ROOT[category])
        prices: Mapping[str, Any] = pricing if isinstance(pricing, Mapping) else {}
        for sku in SKUS:
            found[f"price_{sku}"], found[f"price_{sku}_usd"] = price_cells(prices.get(sku))
    return found
