"""The telemetry tables of an export run, streamed: each folder's rows written as they are read.

A year of telemetry is gigabytes of rows, a month of hourly endpoint figures some 3 GB in
memory: no month is held whole. Folders are read in date order (`folder_reader`), and each
folder's rows of a month, sorted by key then time, go to that month's file as its own row
groups (`parquet.MonthFile`) as soon as they are read. So within a month the rows are in
folder order (a day; a week for variants), then key, then time, and memory holds a few
folders whatever the month's length or history's.

A rerun reads again only the folders the plan names; the rest of a month it rewrites is
copied from the last export's file a row group at a time (each row group holds one folder's
rows, so a kept one is copied whole, and the rows come out as a full export writes them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archiver.export import series
from archiver.export.folder_reader import FolderReader, Unreadable
from archiver.export.parquet import MonthFile
from archiver.export.plan import Plan
from archiver.export.tables import TableWriter
from archiver.export.telemetry_files import TelemetryFiles
from archiver.telemetry.uptime import KIND as UPTIME_KIND


def write_telemetry(repo: TelemetryFiles, plan: Plan, writer: TableWriter) -> None:
    """Write every telemetry kind's table and the uptime table, a folder of files at a time."""
    kinds = series.telemetry_kinds(repo)
    if UPTIME_KIND in repo.kinds():
        kinds.append(UPTIME_KIND)
    # A kind whose folders were all removed from the archive: the months the last export
    # wrote of it are rewritten with no rows, so removed, as a full export has none.
    exported = {series.kind_of_table(table) for table in writer.old}
    kinds += sorted(kind for kind in exported if kind is not None and kind not in kinds)
    with FolderReader(repo) as reader:
        for kind in kinds:
            _write_kind(reader, kind, plan, writer)


def _write_kind(reader: FolderReader, kind: str, plan: Plan, writer: TableWriter) -> None:
    """Write one kind's months: the folders the plan names read again, the rows of the
    others kept as the last export wrote them."""
    found = series.folders(reader.files, kind)
    changed = plan.telemetry(kind)
    for day in found.odd:
        if changed is None or day in changed:  # Named when it came, as a damaged file is.
            folder = reader.files.folder(kind, day)
            writer.report.problems.append(
                f"{folder}: not a day folder (no calendar has {day}); its telemetry is left out"
            )
    chosen = set(found.units) if changed is None else _units_of(found, changed)
    months = _Months(writer, kind, found, chosen, changed)
    units = sorted(chosen, key=lambda unit: unit.start)
    reader.files.prefetch(kind, [unit.start for unit in units])
    try:
        for unit, rows in reader.read(kind, units):
            # No folder from this one on holds a row of an earlier month: those are complete.
            months.close_before(unit.start[:7])
            if isinstance(rows, Unreadable):  # A damaged file: the rest is still exported.
                writer.report.problems.append(
                    f"{months.table} from {unit.start}: {rows.message}; left out"
                )
            elif rows is not None:
                months.add(unit, rows)
        months.close_before(None)
    except BaseException:
        months.discard()
        raise


class _Months:
    """The months of one kind's table being written: at most two are open at once (a week's
    folder may end in the next month), and the months a rerun rewrites without reading any
    of their folders again (kept rows only, or none: removed)."""

    def __init__(
        self,
        writer: TableWriter,
        kind: str,
        found: series.Folders,
        chosen: set[series.Unit],
        changed: set[str] | None,
    ) -> None:
        self.writer, self.kind, self.found, self.chosen = writer, kind, found, chosen
        self.table, self.time = series.table_name(kind), series.time_column(kind)
        self.open: dict[str, tuple[MonthFile, _Kept]] = {}
        listed = sorted(writer.old.get(self.table, {}))
        orphaned = _months_orphaned(found, changed, listed)
        self.waiting = sorted(_months_of(chosen, listed) | orphaned)

    def add(self, unit: series.Unit, rows: Any) -> None:
        """Write a folder's rows (sorted by key, then time) to the months they fall in."""
        for month, piece in self._by_month(rows):
            file, kept = self._month(month)
            for old in kept.before(unit.start):
                file.write(old)
            file.write(piece)

    def close_before(self, month: str | None) -> None:
        """Finish the months before one (None: every month)."""
        for waiting in [m for m in self.waiting if month is None or m < month]:
            self._month(waiting)
        for done in sorted(m for m in self.open if month is None or m < month):
            file, kept = self.open.pop(done)
            for old in kept.before(None):
                file.write(old)
            self.writer.close_month(self.table, done, file)

    def discard(self) -> None:
        """Drop the months being written (the export failed; their files stay as they were)."""
        for file, _ in self.open.values():
            file.discard()
        self.open.clear()

    def _month(self, month: str) -> tuple[MonthFile, _Kept]:
        """Return a month's file and the rows the last export wrote there that are kept."""
        if month not in self.open:
            if month in self.waiting:
                self.waiting.remove(month)
            old = self.writer.old_row_groups(self.table, month)
            file = self.writer.month_file(self.table, series.columns(self.kind), month)
            self.open[month] = (file, _Kept(old, self.found, self.chosen, self.time))
        return self.open[month]

    def _by_month(self, rows: Any) -> Iterator[tuple[str, Any]]:
        """Yield (month, its rows) of a folder's rows, in month order (most are in one)."""
        import pyarrow.compute as pc

        least, most = pc.min_max(rows[self.time]).values()
        first, last = (pc.strftime(t, format="%Y-%m").as_py() for t in (least, most))
        if first == last:
            yield first, rows
            return
        row_months = pc.strftime(rows[self.time], format="%Y-%m")
        for month in sorted(pc.unique(row_months).to_pylist()):
            yield month, rows.filter(pc.equal(row_months, month))


class _Kept:
    """The row groups of a month's last export whose folders are not read again, in order."""

    def __init__(
        self, groups: Iterator[Any], found: series.Folders, chosen: set[series.Unit], time: str
    ) -> None:
        self._found, self._chosen, self._time = found, chosen, time
        self._pieces = self._kept_pieces(groups)
        self._next: tuple[str, Any] | None = None

    def before(self, start: str | None) -> Iterator[Any]:
        """Yield the kept rows of the folders before the one starting at start (None: all)."""
        while True:
            if self._next is None:
                self._next = next(self._pieces, None)
                if self._next is None:
                    return
            folder, piece = self._next
            if start is not None and folder >= start:
                return
            self._next = None
            yield piece

    def _kept_pieces(self, groups: Iterator[Any]) -> Iterator[tuple[str, Any]]:
        """Yield (folder start, rows) of the kept rows, a row group (or part of one) at a time."""
        import pyarrow as pa
        import pyarrow.compute as pc

        for group in groups:
            days = pc.strftime(group[self._time], format="%Y-%m-%d")
            holding = {day: self._found.holding(day) for day in pc.unique(days).to_pylist()}
            folders = set(holding.values())
            # A row no folder holds (None: before the first) came from a folder since removed
            # from the archive: dropped, as a full export, which reads no such folder, has it.
            kept = sorted(
                (unit for unit in folders if unit is not None and unit not in self._chosen),
                key=lambda unit: unit.start,
            )
            for unit in kept:
                if len(folders) == 1:
                    yield unit.start, group  # A row group holds one folder's rows: copied whole.
                    continue
                mine = pa.array([day for day, at in holding.items() if at == unit], pa.string())
                yield unit.start, group.filter(pc.is_in(days, value_set=mine))


def _units_of(found: series.Folders, days: set[str]) -> set[series.Unit]:
    """Return the folders holding these days (a folder since removed: the one before it)."""
    return {unit for day in days if (unit := found.holding(day)) is not None}


def _months_orphaned(
    found: series.Folders, changed: set[str] | None, listed: list[str]
) -> set[str]:
    """Return the months, of those an earlier export wrote, that may hold rows of folders
    removed before the first folder left (no folder holds them now, so none is chosen): all
    months up to the first folder's, or every month when all folders are read again."""
    if changed is None or not found.units:
        return set(listed) if changed is None or changed else set()
    if all(found.holding(day) is not None for day in changed):
        return set()
    first = found.units[0].start[:7]
    return {month for month in listed if month <= first}


def _months_of(chosen: set[series.Unit], listed: list[str]) -> set[str]:
    """Return the months, of those an earlier export wrote, that the chosen folders span."""
    return {
        month
        for unit in chosen
        for month in listed
        if unit.start[:7] <= month and (unit.end is None or month <= unit.end[:7])
    }
