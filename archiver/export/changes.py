"""Every classified change and every price move, from the history's own reading of them.

The kinds, summaries and price moves are the history's own (`entry_changes`, the reader of
`History.changes`; `described_changes`, `change_json`): the same words `archiver changes
--json` prints, never classified again here. Two tables:

- ``changes``: one row per entity per sync (epoch, commit, category, key, kinds, classes,
  summary, details, price moves and JSON Patch as JSON text);
- ``price_moves``: one row per price field that moved (the exact old and new decimals, as
  text and as doubles, the change in percent, up or down; neither, with no percent, to or
  from a routed -1), for "every price cut last month".
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from typing import Any

from archiver import jsonvalue
from archiver.export.columns import DOUBLE, STRING, STRINGS, TIME, Column, decimal, number, text
from archiver.export.entities import ModelNames
from archiver.export.months import month_of
from archiver.history.change_json import change_json, described_changes
from archiver.history.classify import price_direction
from archiver.history.kinds import importance
from archiver.history.versions import Change, SyncChanges
from archiver.paths import CATEGORIES

Row = dict[str, Any]
Rows = list[Row]

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


class ChangeRows:
    """The change and price move rows of one run, by sync, each sync's in the order it lists
    its changes (most important first), as `archiver changes --json` does."""

    def __init__(self, names: ModelNames) -> None:
        self.names = names
        # {commit: (epoch, [(order, change row, price move rows)])}
        self._syncs: dict[str, tuple[datetime, list[tuple[Any, Row, list[Row]]]]] = {}

    def add(self, path: str, found: list[Change]) -> None:
        """Add the changes one index entry (of the file at path) records."""
        if not found:
            return
        epoch, commit = found[0].epoch, found[0].commit
        group = SyncChanges(epoch, commit, found)
        listed = self._syncs.setdefault(commit, (epoch, []))[1]
        for position, (change, about) in enumerate(
            described_changes(group, NamesAt(self.names, epoch))
        ):
            found_json = change_json(change, about)
            common = {
                "epoch": epoch,
                "commit": commit,
                "category": change.category,
                "key": text(change.key),
            }
            # A sync lists its changes by importance, then by entity, then by file read.
            order = (importance(about), CATEGORIES.index(change.category), change.key, path)
            moves = [{**common, **_move_cells(move)} for move in found_json["prices"]]
            listed.append(((*order, position), {**common, **_change_cells(found_json)}, moves))

    def months(self, wanted: Collection[str]) -> tuple[dict[str, Rows], dict[str, Rows]]:
        """Return ({month: change rows}, {month: price move rows}) of the wanted months."""
        change_rows: dict[str, Rows] = {month: [] for month in wanted}
        move_rows: dict[str, Rows] = {month: [] for month in wanted}
        for epoch, listed in self._syncs.values():
            month = month_of(epoch)
            if month not in change_rows:
                continue
            for _, change_row, moves in sorted(listed, key=lambda item: item[0]):
                change_rows[month].append(change_row)
                move_rows[month] += moves
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
    # None to or from a routed -1, as the change's class (price_changed) says.
    direction = price_direction(old, new) if old is not None and new is not None else None
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
