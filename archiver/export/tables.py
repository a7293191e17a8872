"""Where an export run's rows go: partitions written a table and a month at a time, what the
last export wrote read back, and the report of the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver.errors import ArchiverError
from archiver.export.columns import Column
from archiver.export.plan import RELEASED, Manifest, Plan, write_manifest

__all__ = ["ExportReport", "HandedOff", "Rows", "TableWriter", "group", "remove_partition"]

Rows = list[dict[str, Any]]


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


class HandedOff(ArchiverError):
    """A month this run must write again was handed off to the release (its file is gone)."""


def group(
    rows: Iterable[dict[str, Any]], month: Callable[[dict[str, Any]], str]
) -> dict[str, Rows]:
    """Return rows grouped by the month each is filed in."""
    grouped: dict[str, Rows] = {}
    for row in rows:
        grouped.setdefault(month(row), []).append(row)
    return grouped


class TableWriter:
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
        # The months any entity version began or ended in: a full export's months of changes.
        self.change_months: set[str] = set()

    def old_rows(self, name: str, month: str) -> Rows:
        """Return the rows the last export wrote for a month of a table (none in a full export)."""
        path = self._old_partition(name, month)
        return [] if path is None else self.parquet.read_rows(path)

    def _old_partition(self, name: str, month: str) -> Path | None:
        """Return the last export's file of a month of a table (None: a full export, or none).

        Raises HandedOff when the month was handed off to the release: its rows are not here
        to keep, so the run is made again in full.
        """
        facts = self.old.get(name, {}).get(month)
        if self.full or facts is None:
            return None
        path: Path = self.parquet.partition_path(self.out, name, month)
        if facts.get(RELEASED) and not path.is_file():
            raise HandedOff(f"{name}/month={month}")
        return path

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
            self._written(name, month, len(rows), self.parquet.write_partition(path, columns, data))

    def old_row_groups(self, name: str, month: str) -> Iterator[Any]:
        """Yield, one at a time, the row groups the last export wrote for a month of a table
        (none in a full export)."""
        path = self._old_partition(name, month)
        return iter(()) if path is None else self.parquet.row_groups(path)

    def month_file(self, name: str, columns: Sequence[Column], month: str) -> Any:
        """Return a month of a table to write in pieces (see `close_month`)."""
        path = self.parquet.partition_path(self.out, name, month)
        return self.parquet.MonthFile(path, columns, self.parquet.ROW_GROUP)

    def close_month(self, name: str, month: str, file: Any) -> None:
        """Put a month written in pieces in place (a month with no rows: removed)."""
        listed = self.tables.setdefault(name, {})
        size = file.close()
        if not file.rows:
            self._remove(name, month)
            listed.pop(month, None)
            return
        self._written(name, month, file.rows, size)

    def _written(self, name: str, month: str, rows: int, size: int) -> None:
        """Record one partition written."""
        self.tables[name][month] = {"rows": rows, "bytes": size}
        path = self.parquet.partition_path(self.out, name, month)
        self.report.written.append(path.relative_to(self.out).as_posix())
        self.report.rows[name] = self.report.rows.get(name, 0) + rows

    def finish(self, head: str, current: str, grafts: str = "") -> None:
        """Remove what a full export no longer fills, then write the manifest (grafts: the
        digest of the grafts history was read under)."""
        for name, months in self.old.items():
            for month in months:
                if month not in self.tables.get(name, {}):
                    self._remove(name, month)
        self.tables = {name: months for name, months in self.tables.items() if months}
        self.out.mkdir(parents=True, exist_ok=True)
        write_manifest(self.out, Manifest(head, current, self.tables, grafts))
        self.report.size = sum(f["bytes"] for t in self.tables.values() for f in t.values())

    def _remove(self, name: str, month: str) -> None:
        """Delete one partition file (and its folders once empty)."""
        path = self.parquet.partition_path(self.out, name, month)
        if remove_partition(path):
            self.report.removed.append(path.relative_to(self.out).as_posix())


def remove_partition(path: Path) -> bool:
    """Delete a partition's file, then its month and table folders once empty; tell if it
    was there."""
    if not path.is_file():
        return False
    path.unlink()
    for folder in (path.parent, path.parent.parent):
        if any(folder.iterdir()):
            break
        folder.rmdir()
    return True
