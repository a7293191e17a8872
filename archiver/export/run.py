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
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from archiver.errors import ArchiverError
from archiver.export import series
from archiver.export.history_tables import ENTITY_TABLES, write_history
from archiver.export.months import month_of
from archiver.export.plan import MANIFEST, Manifest, Plan, epoch_of, make_plan, read_manifest
from archiver.export.tables import ExportReport, TableWriter
from archiver.history.commits import first_parent_chain, head_id, open_repository
from archiver.history.index import HistoryIndex
from archiver.history.shallow_fetch import fetch_history_after
from archiver.telemetry.uptime import KIND as UPTIME_KIND

__all__ = ["ENTITY_TABLES", "ExportReport", "ExportUnavailable", "export_parquet"]


class ExportUnavailable(ArchiverError):
    """The export's optional dependency (pyarrow) is not installed."""


def export_parquet(repo: str | Path, out: str | Path) -> ExportReport:
    """Export the archive at repo to Parquet tables in out, writing only what changed."""
    lacking = [name for name in ("pyarrow", "numpy") if importlib.util.find_spec(name) is None]
    if lacking:
        raise ExportUnavailable(
            f"the Parquet export needs {' and '.join(lacking)}: "
            "pip install 'openrouter-archiver[export]'"
        )
    started = time.perf_counter()
    repo, out = Path(repo), Path(out)
    _check_out(out)
    before = read_manifest(out)
    missing = _missing(out, before)
    _fetch_history(repo, before.head if before is not None and not missing else None)
    with HistoryIndex(repo) as index:
        head = head_id(index.repo)
        if not head:
            raise ArchiverError(f"{repo} has no commits to export; run `archiver sync` first")
        if before is not None and before.head == head and not missing:
            size = sum(f["bytes"] for t in before.tables.values() for f in t.values())
            return ExportReport(out, head, up_to_date=True, size=size)
        plan = make_plan(index.repo, head, before, missing)
        current = month_of(epoch_of(index.repo, head))
        writer = TableWriter(out, before, plan)
        writer.report.head = head
        write_history(index, plan, current, writer)
    writer.timed("telemetry", lambda: _telemetry(repo, plan, writer))
    writer.finish(head, current)
    writer.report.seconds = time.perf_counter() - started
    return writer.report


def _fetch_history(repo: Path, exported: str | None) -> None:
    """Fetch all of history into a shallow clone (the site job's) unless it holds the last export.

    The hourly job's site step has already deepened the clone to the commit its cache covers,
    which is the last export's head too: then nothing is fetched. Otherwise (no export yet, or
    the last one failed) the whole history is fetched, so that the history index rebuilds from
    real history rather than from a shallow root. A whole clone is left alone.
    """
    clone = open_repository(repo)
    if not clone.is_shallow:
        return
    head = head_id(clone)
    if exported is not None and head and exported in first_parent_chain(clone, head):
        return
    fetch_history_after(repo, None)


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


def _telemetry(repo: Path, plan: Plan, writer: TableWriter) -> None:
    """Write every telemetry kind's table and the uptime table, a folder of files at a time."""
    kinds = series.telemetry_kinds(repo)
    if (repo / "data" / "telemetry" / UPTIME_KIND).is_dir():
        kinds.append(UPTIME_KIND)
    for kind in kinds:
        table, found = series.table_name(kind), series.folders(repo, kind)
        changed = plan.telemetry(kind)
        chosen = set(found.units) if changed is None else _units_of(found, changed)
        months = _months_of(chosen, sorted(writer.old.get(table, {})))
        parts = _sample_tables(repo, kind, found, chosen, months, writer)
        owned = None if changed is None else set(parts)
        order = ("key", series.time_column(kind))
        writer.arrow_table(table, series.columns(kind), parts, owned, order)


def _sample_tables(
    repo: Path,
    kind: str,
    found: series.Folders,
    chosen: set[series.Unit],
    months: set[str],
    writer: TableWriter,
) -> dict[str, list[Any]]:
    """Return one kind's rows by month as Arrow tables: the chosen folders read again, the rows
    of the others as the last export wrote them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table, time = series.table_name(kind), series.time_column(kind)
    by_month: dict[str, list[Any]] = {}
    for month in months:
        old = writer.old_table(table, month)
        if old is not None:
            days = pc.strftime(old[time], format="%Y-%m-%d")
            kept = [d for d in pc.unique(days).to_pylist() if found.holding(d) not in chosen]
            by_month[month] = [old.filter(pc.is_in(days, value_set=pa.array(kept, pa.string())))]
    units = sorted(chosen, key=lambda unit: unit.start)
    # Arrow's kernels let go of the GIL: folders are read side by side, one per core.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        read = list(pool.map(lambda unit: _unit_table(repo, kind, unit), units))
    for unit, rows in zip(units, read, strict=True):
        if isinstance(rows, ArchiverError):  # A damaged file: the rest is still exported.
            writer.report.problems.append(f"{table} from {unit.start}: {rows}; left out")
            continue
        if rows is None:
            continue
        row_months = pc.strftime(rows[time], format="%Y-%m")
        for month in pc.unique(row_months).to_pylist():
            by_month.setdefault(month, []).append(rows.filter(pc.equal(row_months, month)))
    return by_month


def _unit_table(repo: Path, kind: str, unit: series.Unit) -> Any:
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
