"""The tables read from git history, in one walk over each entity file's versions.

The walk goes category by category (models first: change summaries name models), file by
file, each file's changes oldest first. A version is read from git and parsed once: for
its interval row (``models``, ``endpoints``, ``providers``), then, from the reader's cache
of the last few, as the after and the before of the changes its file went through
(``changes``, ``price_moves``, classified by :func:`archiver.history.versions.entry_changes`,
the reader behind `History.changes`); the blobs come in that order from one git process
(:mod:`archiver.history.blob_stream`). Reading the history a month at a time instead read
each version from git about six times (50 deltas deep in a year-old archive: half a
millisecond each) and parsed it two or three times. The ZDR ledger's intervals and its
changes (told as endpoint changes) come last.

A full export writes every version and every change; a rerun reads only the versions
whose interval is new or ended since, and the changes of the new commits (see `plan`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

from archiver.archive.zdr_ledger import LEDGER_PATH
from archiver.export import changes, entities, zdr
from archiver.export.months import month_of
from archiver.export.plan import Plan
from archiver.export.tables import Rows, TableWriter, group
from archiver.history.index import Entry, HistoryIndex
from archiver.history.partial_clone import blobs_needed
from archiver.history.versions import EntityReader, entry_changes
from archiver.paths import Category

__all__ = ["ENTITY_TABLES", "write_history"]

ENTITY_TABLES: dict[str, Category] = {
    "models": "model",
    "endpoints": "endpoint",
    "providers": "provider",
}
# Parsed versions the reader keeps: a change looks back one version (a returning entity,
# two); the ZDR ledger's changes look up every endpoint of a sync, mostly the same blobs
# from one ledger change to the next.
READER_CAPACITY = 4096


class _Walk:
    """One run's walk: the reader, the rows gathered, and the time spent on changes."""

    def __init__(self, index: HistoryIndex, plan: Plan, writer: TableWriter) -> None:
        self.index, self.plan, self.writer = index, plan, writer
        self.problems = writer.report.problems
        self.reader = EntityReader(index.repo, READER_CAPACITY)
        self.change_seconds = 0.0
        self.changes: changes.ChangeRows | None = None

    def wanted(self, entry: Entry) -> bool:
        """Tell whether this run writes the change an entry records."""
        return self.plan.full or entry.commit in self.plan.new_commits

    def add_changes(self, entry: Entry) -> None:
        """Classify and describe the changes one entry records, into the change rows."""
        assert self.changes is not None, "the model names are known before any change"
        started = time.perf_counter()
        found = entry_changes(self.index, self.reader, entry, self.problems)
        self.changes.add(entry.path, found)
        self.change_seconds += time.perf_counter() - started


def write_history(index: HistoryIndex, plan: Plan, current: str, writer: TableWriter) -> None:
    """Write the entity interval tables, the ZDR ledger's intervals and every change."""
    started = time.perf_counter()
    walk = _Walk(index, plan, writer)
    for table, category in ENTITY_TABLES.items():
        _category(walk, table, category, current)
    ledger = zdr.intervals(index, walk.problems)
    writer.table(
        zdr.TABLE, zdr.COLUMNS, group(ledger, _filer(current)), plan.entity_months, zdr.ORDER
    )
    for entry in index.entries_between(None, None, LEDGER_PATH):
        if entry.path != LEDGER_PATH:
            continue
        # A ledger change is an endpoint's change: its month holds changes even when no
        # entity version began or ended in it (a month in which only the list moved).
        writer.change_months.add(month_of(entry.epoch))
        if walk.wanted(entry):
            walk.add_changes(entry)
    change_started = time.perf_counter()
    assert walk.changes is not None
    months = plan.change_months if plan.change_months is not None else writer.change_months
    found, moves = walk.changes.months(months)
    for month in found:
        # The changes of commits the last export wrote stay as it wrote them.
        found[month][:0] = [r for r in writer.old_rows("changes", month) if _kept(plan, r)]
        moves[month][:0] = [r for r in writer.old_rows("price_moves", month) if _kept(plan, r)]
    owned = plan.change_months
    writer.table("changes", changes.CHANGES, found, owned, changes.ORDER)
    writer.table("price_moves", changes.PRICE_MOVES, moves, owned, (*changes.ORDER, "field"))
    seconds = walk.change_seconds + time.perf_counter() - change_started
    writer.report.timings["entities"] = time.perf_counter() - started - seconds
    writer.report.timings["changes"] = seconds


def _category(walk: _Walk, table: str, category: Category, current: str) -> None:
    """Write one category's interval table and gather its files' changes."""
    writer, months = walk.writer, walk.plan.entity_months
    found = entities.files(walk.index, category, walk.problems)
    intervals = [interval for file in found for interval in file.intervals]
    if category == "model":
        walk.changes = changes.ChangeRows(entities.ModelNames(walk.reader, intervals))
    assert walk.changes is not None, "models come first"
    names = walk.changes.names
    writer.change_months |= {month_of(i.valid_from) for i in intervals}
    writer.change_months |= {month_of(i.valid_to) for i in intervals if i.valid_to}
    # A version whose interval the last export already wrote is not read again.
    kept = {
        (row["key"], row["valid_from"], row["commit"], row["valid_to"]): row
        for month in sorted(months or ())
        for row in writer.old_rows(table, month)
    }
    rows: Rows = []
    unread: set[entities.Interval] = set()
    for interval in intervals:
        ends = interval.valid_to
        if months is not None and (month_of(ends) if ends else current) not in months:
            continue
        same = (interval.key, interval.valid_from, interval.commit, ends)
        if same in kept:
            rows.append(kept[same])
        else:
            unread.add(interval)
    changed = [entry for file in found for entry in file.entries if walk.wanted(entry)]
    # A partial clone (the site job's) lacks old blobs: fetch them in one request, not one each.
    walk.reader.prefetch(chain((i.blob for i in unread), blobs_needed(walk.index, changed)))
    with walk.reader.planned(_reading_order(walk, found, unread)):
        for file in found:
            for entry, version in file.versions():
                if version in unread:
                    document = entities.read_document(walk.reader, version, walk.problems)
                    if document is not None:
                        rows.append(entities.row(category, version, *document))
                        if category == "model":
                            names.learn(version, document[0])
                if walk.wanted(entry):
                    walk.add_changes(entry)
    by_month = group(rows, _filer(current))
    writer.table(table, entities.columns(category), by_month, months, ("key", "valid_from"))


def _reading_order(
    walk: _Walk, found: list[entities.EntityFile], unread: set[entities.Interval]
) -> Iterator[str | None]:
    """Yield the blobs the walk reads, in the order it first reads them."""
    for file in found:
        for entry, version in file.versions():
            if version in unread:
                yield version.blob
            if walk.wanted(entry):
                yield entry.old_blob
                yield entry.new_blob


def _filer(current: str) -> Callable[[dict[str, Any]], str]:
    """Return the month a row is filed in: the month its interval ended, else the current."""

    def filed(row: dict[str, Any]) -> str:
        return month_of(row["valid_to"]) if row["valid_to"] else current

    return filed


def _kept(plan: Plan, row: dict[str, Any]) -> bool:
    """Tell whether a row of the last export stays: its commit is not one this run reads."""
    return row["commit"] not in plan.new_commits
