"""The telemetry tables of an export run, written a month at a time as the folders are read.

A year of telemetry is gigabytes of rows: a month is written (and let go) as soon as every
folder that can fill it has been read. Folders are read in date order, a few side by side
(Arrow's kernels let go of the GIL), and never more than a few ahead of the writing.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from archiver.errors import ArchiverError
from archiver.export import series
from archiver.export.plan import Plan
from archiver.export.tables import TableWriter
from archiver.export.telemetry_files import TelemetryFiles
from archiver.telemetry.uptime import KIND as UPTIME_KIND


def write_telemetry(repo: TelemetryFiles, plan: Plan, writer: TableWriter) -> None:
    """Write every telemetry kind's table and the uptime table, a folder of files at a time."""
    kinds = series.telemetry_kinds(repo)
    if UPTIME_KIND in repo.kinds():
        kinds.append(UPTIME_KIND)
    for kind in kinds:
        _write_kind(repo, kind, plan, writer)


def _write_kind(repo: TelemetryFiles, kind: str, plan: Plan, writer: TableWriter) -> None:
    """Write one kind's months: the folders the plan names read again, the rows of the
    others kept as the last export wrote them."""
    import pyarrow.compute as pc

    table, time, found = (
        series.table_name(kind),
        series.time_column(kind),
        series.folders(repo, kind),
    )
    changed = plan.telemetry(kind)
    chosen = set(found.units) if changed is None else _units_of(found, changed)
    pending = _kept_rows(writer, kind, found, chosen)

    def write(month: str) -> None:
        owned = None if changed is None else {month}
        parts = {month: pending.pop(month)}
        writer.arrow_table(table, series.columns(kind), parts, owned, ("key", time))

    for unit, rows in _read(repo, kind, sorted(chosen, key=lambda unit: unit.start)):
        # No folder from this one on holds a row of an earlier month: those are complete.
        for month in sorted(m for m in pending if m < unit.start[:7]):
            write(month)
        if isinstance(rows, ArchiverError):  # A damaged file: the rest is still exported.
            writer.report.problems.append(f"{table} from {unit.start}: {rows}; left out")
            continue
        if rows is None:
            continue
        row_months = pc.strftime(rows[time], format="%Y-%m")
        for month in pc.unique(row_months).to_pylist():
            pending.setdefault(month, []).append(rows.filter(pc.equal(row_months, month)))
    for month in sorted(pending):
        write(month)


def _kept_rows(
    writer: TableWriter, kind: str, found: series.Folders, chosen: set[series.Unit]
) -> dict[str, list[Any]]:
    """Return, for each month the last export wrote that a chosen folder spans, the rows of it
    that no chosen folder holds (those are kept as written)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table, time = series.table_name(kind), series.time_column(kind)
    kept: dict[str, list[Any]] = {}
    for month in _months_of(chosen, sorted(writer.old.get(table, {}))):
        old = writer.old_table(table, month)
        kept[month] = []
        if old is not None:
            days = pc.strftime(old[time], format="%Y-%m-%d")
            others = [d for d in pc.unique(days).to_pylist() if found.holding(d) not in chosen]
            kept[month].append(old.filter(pc.is_in(days, value_set=pa.array(others, pa.string()))))
    return kept


def _read(
    repo: TelemetryFiles, kind: str, units: list[series.Unit]
) -> Iterator[tuple[series.Unit, Any]]:
    """Yield (folder, its rows as Arrow, None, or the error that left it out), in order."""
    workers = min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        ahead: deque[tuple[series.Unit, Future[Any]]] = deque()
        for unit in units:
            ahead.append((unit, pool.submit(_unit_table, repo, kind, unit)))
            if len(ahead) > workers:
                done, future = ahead.popleft()
                yield done, future.result()
        while ahead:
            done, future = ahead.popleft()
            yield done, future.result()


def _unit_table(repo: TelemetryFiles, kind: str, unit: series.Unit) -> Any:
    """Return a folder's rows as Arrow (None: none), or the error that left it out."""
    try:
        return series.unit_table(repo, kind, unit)
    except ArchiverError as error:
        return error


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
