"""One export run: the tables computed for the months the plan names, written, the manifest last.

Tables (all under OUT/, hive partitions ``month=YYYY-MM``):

==================  ==========================================================================
``models``,         entity versions as validity intervals, filed by the month they ended
``endpoints``,      (versions still in force: the current month, the month of HEAD's epoch)
``providers``
``zdr``             ZDR list membership intervals, filed the same way
``changes``,        every classified change and every price move, by the month of the sync
``price_moves``
``telemetry_<k>``   every telemetry series of kind k, by the month of the sample
``uptime``          the stitched hourly uptime per endpoint, by the month of the hour
==================  ==========================================================================

Telemetry is read from the archive's work tree (the sync keeps it at HEAD); entities,
changes and the ledger from git. Problems with single files (a key that cannot be read, a
file that is not a JSON object, a value nested too deep) are reported one line each and the
file is left out; they never stop the export.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver.errors import ArchiverError
from archiver.export import changes, entities, series, zdr
from archiver.export.columns import Column
from archiver.export.months import month_of
from archiver.export.plan import (
    MANIFEST,
    Manifest,
    Plan,
    epoch_of,
    make_plan,
    read_manifest,
    write_manifest,
)
from archiver.history.commits import head_id
from archiver.history.index import HistoryIndex
from archiver.paths import Category
from archiver.telemetry.uptime import KIND as UPTIME_KIND

__all__ = ["ENTITY_TABLES", "ExportReport", "ExportUnavailable", "export_parquet"]

ENTITY_TABLES: dict[str, Category] = {
    "models": "model",
    "endpoints": "endpoint",
    "providers": "provider",
}
Rows = list[dict[str, Any]]


class ExportUnavailable(ArchiverError):
    """The export's optional dependency (pyarrow) is not installed."""


@dataclass
class ExportReport:
    """What one export run did."""

    out: Path
    head: str
    up_to_date: bool = False
    full: bool = False
    note: str | None = None
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    size: int = 0
    seconds: float = 0.0
    # Seconds per part (entities, changes, telemetry): what a benchmark reports.
    timings: dict[str, float] = field(default_factory=dict)


def export_parquet(repo: str | Path, out: str | Path) -> ExportReport:
    """Export the archive at repo to Parquet tables in out, writing only what changed."""
    if importlib.util.find_spec("pyarrow") is None:
        raise ExportUnavailable(
            "the Parquet export needs pyarrow: pip install 'openrouter-archiver[export]'"
        )
    started = time.perf_counter()
    repo, out = Path(repo), Path(out)
    _check_out(out)
    with HistoryIndex(repo) as index:
        head = head_id(index.repo)
        if not head:
            raise ArchiverError(f"{repo} has no commits to export; run `archiver sync` first")
        before = read_manifest(out)
        missing = _missing(out, before)
        if before is not None and before.head == head and not missing:
            size = sum(f["bytes"] for t in before.tables.values() for f in t.values())
            return ExportReport(out, head, up_to_date=True, size=size)
        plan = make_plan(index.repo, head, before, missing)
        current = month_of(epoch_of(index.repo, head))
        writer = _Writer(out, before, plan)
        writer.report.head = head
        writer.timed("entities", lambda: _entities(index, plan, current, writer))
        writer.timed("changes", lambda: _changes(repo, plan, writer))
    writer.timed("telemetry", lambda: _telemetry(repo, plan, writer))
    writer.finish(head, current)
    writer.report.seconds = time.perf_counter() - started
    return writer.report


def _check_out(out: Path) -> None:
    """Refuse an output folder that holds anything but an earlier export (it would be mixed)."""
    if out.exists() and not out.is_dir():
        raise ArchiverError(f"{out} is a file; give a folder for the export")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise ArchiverError(
            f"{out} holds files that are not an archiver export (no {MANIFEST}); "
            "give an empty or new folder"
        )


def _missing(out: Path, before: Manifest | None) -> list[str]:
    """Return the partitions the last export lists that are not on disk."""
    if before is None:
        return []
    from archiver.export.parquet import partition_path

    return [
        f"{table}/{month}"
        for table, months in before.tables.items()
        for month in months
        if not partition_path(out, table, month).is_file()
    ]


def _entities(index: HistoryIndex, plan: Plan, current: str, writer: _Writer) -> None:
    """Write the entity interval tables and the ZDR ledger's intervals."""
    problems = writer.report.problems
    months = plan.entity_months

    def filed(row: dict[str, Any]) -> str:
        return month_of(row["valid_to"]) if row["valid_to"] else current

    for table, category in ENTITY_TABLES.items():
        found = entities.intervals(index, category, problems)
        if category == "model":
            writer.model_names = entities.ModelNames(index.repo, found)
        writer.change_months |= {month_of(i.valid_from) for i in found}
        writer.change_months |= {month_of(i.valid_to) for i in found if i.valid_to}
        # A version whose interval the last export already wrote is not read again.
        kept = {
            (row["key"], row["valid_from"], row["commit"], row["valid_to"]): row
            for month in sorted(months or ())
            for row in writer.old_rows(table, month)
        }
        rows: Rows = []
        unread: list[entities.Interval] = []
        for interval in found:
            ends = interval.valid_to
            if months is not None and (month_of(ends) if ends else current) not in months:
                continue
            same = (interval.key, interval.valid_from, interval.commit, ends)
            if same in kept:
                rows.append(kept[same])
            else:
                unread.append(interval)
        rows += entities.rows(index.repo, category, unread, problems)
        by_month = _group(rows, filed)
        writer.table(table, entities.columns(category), by_month, months, ("key", "valid_from"))
    ledger = zdr.intervals(index, problems)
    writer.table(zdr.TABLE, zdr.COLUMNS, _group(ledger, filed), months, zdr.ORDER)


def _changes(repo: Path, plan: Plan, writer: _Writer) -> None:
    """Write the changes and price moves of the months the plan names."""
    problems = writer.report.problems
    months = plan.change_months if plan.change_months is not None else writer.change_months
    names = writer.model_names
    assert names is not None, "the entities are exported first"
    change_rows: dict[str, Rows] = {}
    move_rows: dict[str, Rows] = {}
    for month in sorted(months):
        # The changes of commits the last export wrote stay as it wrote them.
        new = {c: e for c, e in plan.new_commits.items() if month_of(e) == month}
        change_rows[month] = [
            r for r in writer.old_rows("changes", month) if r["commit"] not in new
        ]
        move_rows[month] = [
            r for r in writer.old_rows("price_moves", month) if r["commit"] not in new
        ]
        since = min(new.values()) if new and not plan.full else None
        found = changes.month_rows(str(repo), month, names, problems, since, set(new) or None)
        change_rows[month] += found[0]
        move_rows[month] += found[1]
    owned = plan.change_months
    writer.table("changes", changes.CHANGES, change_rows, owned, changes.ORDER)
    writer.table("price_moves", changes.PRICE_MOVES, move_rows, owned, (*changes.ORDER, "field"))


def _telemetry(repo: Path, plan: Plan, writer: _Writer) -> None:
    """Write every telemetry kind's table and the uptime table, a folder of files at a time."""
    kinds = series.telemetry_kinds(repo)
    if (repo / "data" / "telemetry" / UPTIME_KIND).is_dir():
        kinds.append(UPTIME_KIND)
    for kind in kinds:
        table, found = series.table_name(kind), series.folders(repo, kind)
        changed = plan.telemetry(kind)
        chosen = set(found.units) if changed is None else _units_of(found, changed)
        by_month: dict[str, Rows] = {}
        for month in _months_of(chosen, sorted(writer.old.get(table, {}))):
            # Folders no new commit touched keep the rows the last export wrote.
            by_month[month] = [
                row
                for row in writer.old_rows(table, month)
                if found.holding(series.row_day(kind, row)) not in chosen
            ]
        for unit in sorted(chosen, key=lambda unit: unit.start):
            try:
                rows = series.unit_rows(repo, kind, unit, writer.report.problems)
            except ArchiverError as error:  # A damaged file: the rest is still exported.
                writer.report.problems.append(f"{table} from {unit.start}: {error}; left out")
                continue
            for row in rows:
                by_month.setdefault(series.row_day(kind, row)[:7], []).append(row)
        owned = None if changed is None else set(by_month)
        order = ("key", "hour") if kind == UPTIME_KIND else ("key", "epoch")
        writer.table(table, series.columns(kind), by_month, owned, order)


def _units_of(found: series.Folders, days: set[str]) -> set[series.Unit]:
    """Return the folders holding these days (a folder since removed: the one before it)."""
    return {unit for day in days if (unit := found.holding(day)) is not None}


def _months_of(chosen: set[series.Unit], listed: list[str]) -> set[str]:
    """Return the months, of those an earlier export wrote, that the chosen folders span."""
    return {
        month
        for unit in chosen
        for month in listed
        if unit.start[:7] <= month and (unit.end is None or month <= unit.end[:7])
    }


def _group(
    rows: Iterable[dict[str, Any]], month: Callable[[dict[str, Any]], str]
) -> dict[str, Rows]:
    """Return rows grouped by the month each is filed in."""
    grouped: dict[str, Rows] = {}
    for row in rows:
        grouped.setdefault(month(row), []).append(row)
    return grouped


class _Writer:
    """Writes partitions, removes the ones no longer filled, and keeps the new manifest."""

    def __init__(self, out: Path, before: Manifest | None, plan: Plan) -> None:
        from archiver.export import parquet

        self.parquet = parquet
        self.out = out
        self.report = ExportReport(out, "", full=plan.full, note=plan.note)
        self.full = plan.full
        self.old = before.tables if before is not None else {}
        self.tables: dict[str, dict[str, dict[str, Any]]] = (
            {} if plan.full else {name: dict(months) for name, months in self.old.items()}
        )
        self.change_months: set[str] = set()
        # {modelKey: [(valid_from, name)]}: how change summaries name models at each sync.
        self.model_names: entities.ModelNames | None = None

    def old_rows(self, name: str, month: str) -> Rows:
        """Return the rows the last export wrote for a month of a table (none in a full export)."""
        if self.full or month not in self.old.get(name, {}):
            return []
        return self.parquet.read_rows(self.parquet.partition_path(self.out, name, month))

    def timed(self, part: str, run: Callable[[], None]) -> None:
        """Run one part of the export, recording its seconds."""
        started = time.perf_counter()
        run()
        self.report.timings[part] = time.perf_counter() - started

    def table(
        self,
        name: str,
        columns: Sequence[Column],
        by_month: Mapping[str, Rows],
        owned: set[str] | None,
        order: tuple[str, ...],
    ) -> None:
        """Write a table's months; owned names the months this run is answerable for (None: all)."""
        listed = self.tables.setdefault(name, {})
        for month in sorted(set(by_month) if owned is None else owned):
            rows = by_month.get(month) or []
            if not rows:
                self._remove(name, month)
                listed.pop(month, None)
                continue
            if order:
                rows = sorted(rows, key=lambda row: tuple(row[c] for c in order))
            data = {c.name: [row.get(c.name) for row in rows] for c in columns}
            path = self.parquet.partition_path(self.out, name, month)
            listed[month] = {
                "rows": len(rows),
                "bytes": self.parquet.write_partition(path, columns, data),
            }
            self.report.written.append(path.relative_to(self.out).as_posix())
            self.report.rows[name] = self.report.rows.get(name, 0) + len(rows)

    def finish(self, head: str, current: str) -> None:
        """Remove what a full export no longer fills, then write the manifest."""
        for name, months in self.old.items():
            for month in months:
                if month not in self.tables.get(name, {}):
                    self._remove(name, month)
        self.tables = {name: months for name, months in self.tables.items() if months}
        self.out.mkdir(parents=True, exist_ok=True)
        write_manifest(self.out, Manifest(head, current, self.tables))
        self.report.size = sum(f["bytes"] for t in self.tables.values() for f in t.values())

    def _remove(self, name: str, month: str) -> None:
        """Delete one partition file (and its folders once empty)."""
        path = self.parquet.partition_path(self.out, name, month)
        if not path.is_file():
            return
        path.unlink()
        self.report.removed.append(path.relative_to(self.out).as_posix())
        for folder in (path.parent, path.parent.parent):
            if not any(folder.iterdir()):
                folder.rmdir()
