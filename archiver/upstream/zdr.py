"""The zero-data-retention ledger: which endpoints OpenRouter lists as ZDR, as one file.

`GET /api/v1/endpoints/zdr` answers ``{"data": [PublicEndpoint, ...]}`` (OpenRouter's API
reference, "Preview the impact of ZDR on the available endpoints"; no real capture of it
existed when this was written, so the shape is the documented one). A PublicEndpoint has
no endpoint id: it is named by its model's permaslug (``model_id``) and its ``tag`` (the
provider slug, with a variant suffix such as ``deepinfra/fp8``).

The ledger keeps membership only: ``{"endpoints": {model_id: {tag: {"provider_name",
"name"}}}}``. Prices, uptime and latency in the same reply change every hour and are kept
elsewhere; kept here they would rewrite the file every sync. So the file changes exactly
when an endpoint joins or leaves the list (or is renamed), and its git history answers "was
this endpoint ZDR on that day". It is its own file: an entity file changes only when that
entity's own upstream data changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from archiver import jsonvalue
from archiver.canonical import canonical_bytes
from archiver.upstream.fetch import Response

LEDGER_PATH = "data/zdr/endpoints.json"
# Fields of a listed endpoint the ledger keeps: who it is, not how it performs this hour.
KEPT_FIELDS = ("provider_name", "name")
# A list that lost more than this share of its endpoints in one sync is held back: a glitch
# upstream (an empty or cut reply) must not read as every endpoint leaving ZDR.
MAX_LEFT_SHARE = 0.5


@dataclass
class ZdrLedger:
    """The ledger one sync built from the ZDR list, or why it built none."""

    members: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # Set when the list could not be read: the archived ledger is then left as it was.
    failure: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        """Return how many endpoints the ledger lists."""
        return sum(len(tags) for tags in self.members.values())

    def data(self) -> bytes:
        """Return the ledger file's canonical bytes."""
        return canonical_bytes({"endpoints": self.members})


def read_ledger(response: Response) -> ZdrLedger:
    """Return the ledger a ZDR list reply holds (a failure for a reply that is no list)."""
    body = response.data
    if not response.ok:
        return ZdrLedger(failure=f"ZDR list: {response.error}; the ledger was left as it was")
    items = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(items, list):
        message = f"ZDR list: expected an object with a 'data' list from {response.url}"
        return ZdrLedger(failure=message + "; the ledger was left as it was")
    ledger = ZdrLedger()
    skipped = 0
    for item in items:
        member = _member(item)
        if member is None:
            skipped += 1
            continue
        model_id, tag, kept = member
        tags = ledger.members.setdefault(model_id, {})
        if tag in tags and tags[tag] != kept:
            ledger.notes.append(f"ZDR list: {model_id} {tag} listed twice; the first is kept")
            continue
        tags.setdefault(tag, kept)
    if skipped:
        ledger.notes.append(f"ZDR list: {skipped} entries without a model_id and tag skipped")
    return ledger


def ledger_write(ledger: ZdrLedger, archived: bytes | None) -> tuple[bytes | None, str | None]:
    """Return (the ledger file to write, None) or (None, why it is not written)."""
    if ledger.failure is not None:
        return None, ledger.failure
    before = archived_size(archived)
    if before and before - ledger.size > before * MAX_LEFT_SHARE:
        return None, (
            f"ZDR list: {ledger.size} endpoints where the ledger holds {before}; held back as "
            "a likely upstream glitch (the ledger was left as it was; it is written again "
            "once the list recovers)"
        )
    return ledger.data(), None


def archived_size(data: bytes | None) -> int:
    """Return how many endpoints an archived ledger file lists (0 if none or unreadable)."""
    return len(membership(data))


def membership(data: bytes | None) -> set[tuple[str, str]]:
    """Return the (model_id, tag) pairs a ledger file lists (empty if none or unreadable)."""
    try:
        members = jsonvalue.loads(data).get("endpoints", {}) if data else {}
        return {
            (model_id, tag)
            for model_id, tags in members.items()
            if isinstance(tags, Mapping)
            for tag in tags
        }
    except (jsonvalue.DecodeError, AttributeError, TypeError):
        return set()


def membership_changes(before: bytes | None, after: bytes | None) -> list[ZdrChange]:
    """Return who joined and who left between two versions of the ledger, sorted.

    Each change reads as a `zdr` field going False -> True (joined) or back, so
    `archiver.history.kinds.describe` classifies it as the ZDR kind.
    """
    old, new = membership(before), membership(after)
    changes = [ZdrChange(model_id, tag, True) for model_id, tag in new - old]
    changes += [ZdrChange(model_id, tag, False) for model_id, tag in old - new]
    return sorted(changes)


@dataclass(frozen=True, order=True)
class ZdrChange:
    """One endpoint joining or leaving the ZDR list."""

    model_id: str
    tag: str
    joined: bool

    def fields(self) -> tuple[dict[str, bool], dict[str, bool]]:
        """Return (before, after) as the one field that changed, for change classification."""
        return {"zdr": not self.joined}, {"zdr": self.joined}


def _member(item: Any) -> tuple[str, str, dict[str, Any]] | None:
    """Return (model_id, tag, kept fields) of one listed endpoint, None if it names none."""
    if not isinstance(item, Mapping):
        return None
    model_id, tag = item.get("model_id"), item.get("tag")
    if not isinstance(model_id, str) or not model_id or not isinstance(tag, str) or not tag:
        return None
    kept = {name: item[name] for name in KEPT_FIELDS if isinstance(item.get(name), str)}
    return model_id, tag, kept
