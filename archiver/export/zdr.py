"""The zero-data-retention ledger as membership intervals: who was on OpenRouter's ZDR list,
from which sync until which.

The ledger is one file (:mod:`archiver.archive.zdr_ledger`) whose versions the history
index holds beside the entity files (epochs as history reads them). A member whose listed names
change starts a new interval; a ledger file that disappears ends every interval (the archive
no longer says). A version that is not a ledger is reported and counts as no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archiver import jsonvalue
from archiver.archive.zdr_ledger import LEDGER_PATH
from archiver.export.columns import STRING, TIME, Column, text
from archiver.history.index import HistoryIndex
from archiver.history.partial_clone import BlobReader

TABLE = "zdr"
COLUMNS = [
    Column("model_id", STRING),
    Column("tag", STRING),
    Column("provider_name", STRING),
    Column("name", STRING),
    Column("valid_from", TIME),
    Column("valid_to", TIME),
    Column("commit", STRING),
]
ORDER = ("model_id", "tag", "valid_from")
Member = tuple[str, str]


@dataclass
class _Open:
    """A member's interval while it is open: its names, since when, which commit."""

    fields: dict[str, Any]
    since: datetime
    commit: str


def intervals(index: HistoryIndex, problems: list[str]) -> list[dict[str, Any]]:
    """Return one row per membership interval of the ledger along HEAD's first parents."""
    rows: list[dict[str, Any]] = []
    members: dict[Member, _Open] = {}
    entries = [e for e in index.entries_between(None, None, LEDGER_PATH) if e.path == LEDGER_PATH]
    blobs = BlobReader(index.repo)
    # A partial clone (the site job's) lacks old versions: fetch them in one request first.
    blobs.prefetch(entry.new_blob for entry in entries)
    for entry in reversed(entries):
        data = blobs.data(entry.new_blob) if entry.new_blob else None
        if entry.new_blob and data is None:
            problems.append(f"{LEDGER_PATH} in commit {entry.commit[:12]} is missing; left out")
            continue
        listed = _members(data, entry.commit, problems)
        if listed is None:
            continue
        for member in sorted(members):
            if listed.get(member) != members[member].fields:
                rows.append(_row(member, members.pop(member), entry.epoch))
        for member, fields in sorted(listed.items()):
            if member not in members:
                members[member] = _Open(fields, entry.epoch, entry.commit)
    rows += [_row(member, members[member], None) for member in sorted(members)]
    return rows


def _members(
    data: bytes | None, commit_id: str, problems: list[str]
) -> dict[Member, dict[str, Any]] | None:
    """Return {(model_id, tag): kept names} of one ledger version (None: not a ledger)."""
    if data is None:
        return {}
    try:
        endpoints = jsonvalue.loads(data).get("endpoints")
        return {
            (model_id, tag): dict(fields)
            for model_id, tags in endpoints.items()
            for tag, fields in tags.items()
            if isinstance(fields, dict)
        }
    except (jsonvalue.DecodeError, RecursionError, AttributeError, TypeError, ValueError):
        problems.append(f"{LEDGER_PATH} in commit {commit_id[:12]} is not a ledger; left out")
        return None


def _row(member: Member, opened: _Open, until: datetime | None) -> dict[str, Any]:
    """Return one membership interval's row."""
    names = {name: opened.fields.get(name) for name in ("provider_name", "name")}
    return {
        "model_id": text(member[0]),
        "tag": text(member[1]),
        **{name: text(value) if isinstance(value, str) else None for name, value in names.items()},
        "valid_from": opened.since,
        "valid_to": until,
        "commit": opened.commit,
    }
