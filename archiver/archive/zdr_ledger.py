"""The archived zero-data-retention ledger (data/zdr/endpoints.json): when it is written,
and who joined or left the list between two of its versions.

The ledger itself is read from OpenRouter's reply by :mod:`archiver.upstream.zdr`; this
module is about the file, so history (which reads the archive, never upstream) can tell the
ledger's changes as well as the sync can write them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from archiver import jsonvalue
from archiver.upstream.zdr import ZdrLedger

__all__ = [
    "LEDGER_PATH",
    "ZdrChange",
    "archived_size",
    "ledger_write",
    "listed",
    "membership",
    "membership_changes",
]

LEDGER_PATH = "data/zdr/endpoints.json"
# A list that lost more than this share of its endpoints in one sync is held back: a glitch
# upstream (an empty or cut reply) must not read as every endpoint leaving ZDR.
MAX_LEFT_SHARE = 0.5


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
    try:
        return ledger.data(), None
    except jsonvalue.EncodeError as error:
        return None, f"ZDR list: not written, {error}; the ledger was left as it was"


def archived_size(data: bytes | None) -> int:
    """Return how many endpoints an archived ledger file lists (0 if none or unreadable)."""
    return len(membership(data))


def membership(data: bytes | None) -> set[tuple[str, str]]:
    """Return the (model_id, tag) pairs a ledger file lists (empty if none or unreadable)."""
    try:
        return set(listed(jsonvalue.loads(data))) if data else set()
    except jsonvalue.DecodeError:
        return set()


def listed(ledger: object) -> dict[tuple[str, str], Mapping[str, object]]:
    """Return {(model_id, tag): its kept fields} of a parsed ledger (empty if it is none)."""
    members = ledger.get("endpoints") if isinstance(ledger, Mapping) else None
    if not isinstance(members, Mapping):
        return {}
    return {
        (str(model_id), str(tag)): fields if isinstance(fields, Mapping) else {}
        for model_id, tags in members.items()
        if isinstance(tags, Mapping)
        for tag, fields in tags.items()
    }


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
