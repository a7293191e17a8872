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
entity's own upstream data changed. This module reads the reply; the archived file (where
it lives, when it is written, who joined and left between two versions) is
:mod:`archiver.archive.zdr_ledger`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from archiver import jsonvalue
from archiver.canonical import canonical_bytes, order_bytes
from archiver.upstream.fetch import Response
from archiver.upstream.listing import continues

# Fields of a listed endpoint the ledger keeps: who it is, not how it performs this hour.
KEPT_FIELDS = ("provider_name", "name")


@dataclass
class ZdrLedger:
    """The ledger one sync built from the ZDR list, or why it built none."""

    members: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # Set when the list could not be read: the archived ledger is then left as it was.
    failure: str | None = None
    notes: list[str] = field(default_factory=list)
    # Entries that named no endpoint (a model_id or tag of another type, not an object).
    skipped: int = 0

    def keep_unlisted(self, archived: bytes | None) -> None:
        """Keep the archived members this list lacks if some of its entries could not be read.

        Any of those entries may be one of them: dropped, it would read as the endpoint
        leaving ZDR (and joining again once upstream mends the entry). A member leaves only
        when a list read whole lacks it, as an entity is removed only on a whole listing.
        """
        if not self.skipped or not archived:
            return
        try:
            ledger = jsonvalue.loads(archived)
        except jsonvalue.DecodeError:
            return
        members = ledger.get("endpoints") if isinstance(ledger, dict) else None
        for model_id, tags in members.items() if isinstance(members, dict) else ():
            for tag, kept in tags.items() if isinstance(tags, dict) else ():
                self.members.setdefault(model_id, {}).setdefault(tag, kept)

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
            # The copy that sorts first, not the first sent: the ledger must not flip when
            # upstream sends the same list in another order.
            tags[tag] = min(tags[tag], kept, key=order_bytes)
            note = f"ZDR list: {model_id} {tag} listed twice; kept the copy that sorts first"
            ledger.notes.append(note)
            continue
        tags.setdefault(tag, kept)
    if skipped:
        ledger.skipped = skipped
        ledger.notes.append(
            f"ZDR list: {skipped} entries without a model_id and tag skipped; the ledger's "
            "members the list lacks are kept"
        )
    more = continues(response)
    if more is not None:
        # One page of a paginated list: a member on another page has not left ZDR.
        ledger.skipped = max(ledger.skipped, 1)
        ledger.notes.append(
            f"ZDR list: the response is one page of more ({more}); the ledger's members it "
            "lacks are kept"
        )
    return ledger


def _member(item: Any) -> tuple[str, str, dict[str, Any]] | None:
    """Return (model_id, tag, kept fields) of one listed endpoint, None if it names none."""
    if not isinstance(item, Mapping):
        return None
    model_id, tag = item.get("model_id"), item.get("tag")
    if not isinstance(model_id, str) or not model_id or not isinstance(tag, str) or not tag:
        return None
    kept = {name: item[name] for name in KEPT_FIELDS if isinstance(item.get(name), str)}
    return model_id, tag, kept
