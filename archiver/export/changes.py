"""Every classified change and every price move, a month at a time, from the history's API.

The kinds, summaries and price moves are the history's own (`History.changes`,
`described_changes`, `change_json`): the same words `archiver changes --json` prints, never
classified again here. Two tables:

- ``changes``: one row per entity per sync (epoch, commit, category, key, kinds, classes,
  summary, details, price moves and JSON Patch as JSON text);
- ``price_moves``: one row per price field that moved (the exact old and new decimals, as
  text and as doubles, the change in percent, up or down), for "every price cut last month".
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from typing import Any

from archiver import jsonvalue
from archiver.export.columns import DOUBLE, STRING, STRINGS, TIME, Column, decimal, number, text
from archiver.export.entities import ModelNames
from archiver.export.months import month_last_second, month_start
from archiver.history.change_json import change_json, described_changes
from archiver.history.versions import changes

# Rows by sync, then entity.
ORDER = ("epoch", "commit", "category", "key")
CHANGES = [
    Column("epoch", TIME),
    Column("commit", STRING),
    Column("category", STRING),
    Column("key", STRING),
    Column("kinds", STRINGS),
    Column("classes", STRINGS),
    Column("summary", STRING),
    Column("details", STRING),
    Column("prices", STRING),
    Column("patch", STRING),
]
PRICE_MOVES = [
    Column("epoch", TIME),
    Column("commit", STRING),
    Column("category", STRING),
    Column("key", STRING),
    Column("field", STRING),
    Column("old", STRING),
    Column("new", STRING),
    Column("old_usd", DOUBLE),
    Column("new_usd", DOUBLE),
    Column("percent", DOUBLE),
    Column("direction", STRING),
]


class NamesAt(Mapping[str, str]):
    """Each model's display name as of one sync: its version then, or its last before it.

    Summaries read the same whenever their month is exported (a model removed or renamed
    later does not rewrite them), so an incremental export equals a full one.
    """

    def __init__(self, names: ModelNames, at: datetime) -> None:
        self.names = names
        self.at = at

    def __getitem__(self, key: str) -> str:
        found = self.names.name(key, self.at)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.names.versions)

    def __len__(self) -> int:
        return len(self.names.versions)


def month_rows(
    repo: str,
    month: str,
    names: ModelNames,
    problems: list[str],
    since: datetime | None = None,
    commits: Collection[str] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (change rows, price move rows) of the syncs whose epoch falls in a month, oldest
    first (only from since on, and only of the given commits, when those are given)."""
    change_rows: list[dict[str, Any]] = []
    move_rows: list[dict[str, Any]] = []
    start = max(month_start(month), since) if since else month_start(month)
    groups = changes(repo, start, month_last_second(month), None, problems)
    for group in reversed(groups):
        if commits is not None and group.commit not in commits:
            continue
        for change, about in described_changes(group, NamesAt(names, group.epoch)):
            found = change_json(change, about)
            common = {
                "epoch": group.epoch,
                "commit": group.commit,
                "category": change.category,
                "key": text(change.key),
            }
            change_rows.append({**common, **_change_cells(found)})
            move_rows += [{**common, **_move_cells(move)} for move in found["prices"]]
    return change_rows, move_rows


def _change_cells(found: Mapping[str, Any]) -> dict[str, Any]:
    """Return the cells of one change, from its JSON form."""
    return {
        "kinds": found["kinds"],
        "classes": found["classes"],
        "summary": text(found["summary"]),
        "details": _json(found["details"]),
        "prices": _json(found["prices"]),
        "patch": _json(found["patch"]) if found["patch"] is not None else None,
    }


def _move_cells(move: Mapping[str, Any]) -> dict[str, Any]:
    """Return the cells of one price move."""
    old, new = decimal(move["old"]), decimal(move["new"])
    direction = None
    if old is not None and new is not None:
        direction = "down" if new < old else "up"
    return {
        "field": move["field"],
        "old": move["old"],
        "new": move["new"],
        "old_usd": number(move["old"]),
        "new_usd": number(move["new"]),
        "percent": move["percent"],
        "direction": direction,
    }


def _json(value: Any) -> str | None:
    """Return a value as compact JSON text (None when JSON cannot hold it: nested too deep)."""
    try:
        return jsonvalue.dumps(value).decode()
    except (jsonvalue.EncodeError, RecursionError, TypeError):
        return None
