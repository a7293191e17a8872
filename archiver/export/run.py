"""One export run: the tables computed for the months the plan names, written, the manifest last.

Tables (all under OUT/, hive partitions ``month=YYYY-MM``):

==================  ==========================================================================
``models``,         entity versions as validity intervals, filed by the month they ended
``endpoints``,      (versions still in force: the current month, the month of the newest sync)
``providers``
``zdr``             ZDR list membership intervals, filed the same way
``changes``,        every classified change and every price move, by the month of the sync
``price_moves``
``telemetry_<k>``   every telemetry series of kind k, by the month of the sample
``uptime``          the stitched hourly uptime per endpoint, by the month of the hour
==================  ==========================================================================

Telemetry is read from the archive's work tree where its files are those of the commit
exported, else from git (:mod:`archiver.export.telemetry_files`); entities, changes and
the ledger from git. Problems with single files (a key that cannot be read, a
file that is not a JSON object, a value nested too deep) are reported one line each and the
file is left out; they never stop the export.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import time
from pathlib import Path

from archiver.archive.lock import output_lock
from archiver.errors import DISK_FULL, ArchiverError
from archiver.export.history_tables import ENTITY_TABLES, write_history
from archiver.export.months import month_of
from archiver.export.plan import (
    MANIFEST,
    MONTH,
    RELEASED,
    TABLE_NAME,
    Manifest,
    current_epoch,
    make_plan,
    other_format,
    read_manifest,
)
from archiver.export.tables import ExportReport, HandedOff, TableWriter
from archiver.export.telemetry_files import TelemetryFiles
from archiver.export.telemetry_tables import write_telemetry
from archiver.history.commits import (
    first_parent_chain,
    grafts_digest,
    head_id,
    is_shallow,
    open_repository,
)
from archiver.history.index import HistoryIndex
from archiver.history.shallow_fetch import fetch_history_after

__all__ = ["ENTITY_TABLES", "ExportReport", "ExportUnavailable", "export_lock", "export_parquet"]

# A partition as `archiver.export.parquet` writes it, or the part it writes first and renames.
_PARTITION = re.compile(rf"{TABLE_NAME}/month={MONTH}/part-0\.parquet(\.partial)?")
_PARTITION_FOLDER = re.compile(rf"{TABLE_NAME}(/month={MONTH})?")


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
    with export_lock(out):
        return _export_locked(repo, out, started)


def export_lock(out: Path) -> contextlib.AbstractContextManager[None]:
    """Return the lock of an export's folder: two exports into one folder would mix their
    partitions, so the second refuses; held by a caller, it covers what it does after
    (the --publish mirror copies the export this run wrote, not another's half-written)."""
    return output_lock(out.resolve(), f"export into {out.name}")


def _export_locked(repo: Path, out: Path, started: float) -> ExportReport:
    """Export (see export_parquet), holding the output folder's lock."""
    _check_out(out)
    older = other_format(out)
    if older is not None:
        # Its partitions hold rows this version would write otherwise, and some this
        # version writes no longer: kept, engines reading the folder would mix both.
        _remove_export(out)
        report = _export_unlocked(repo, out, started)
        report.note = (
            f"the export in {out} was made by another version of the archiver "
            f"({older}); exporting all"
        )
        return report
    return _export_unlocked(repo, out, started)


def _export_unlocked(repo: Path, out: Path, started: float) -> ExportReport:
    """Export (see export_parquet) once the folder is checked: incremental when it can be."""
    before = read_manifest(out)
    missing = _missing(out, before)
    from pyarrow import ArrowException

    try:
        return _export(repo, out, before, missing, started)
    except HandedOff as error:
        # New syncs touched a month whose file went to the release (a revised uptime hour
        # of an old month, an old capture imported): its kept rows are not here to read.
        report = _export(repo, out, before, [str(error)], started)
        report.note = (
            f"new syncs touched {error}, which was handed off to the release (its file is "
            "gone from the export folder); exporting all"
        )
        return report
    except (ArrowException, OSError) as error:
        if getattr(error, "errno", None) in DISK_FULL:
            # Arrow names no file; retried in full, it would write everything again into
            # the disk that just ran out.
            raise ArchiverError(
                f"the export into {out} ran out of disk space ({' '.join(str(error).split())}); "
                "every file there is still whole: free space, then run again"
            ) from error
        # A partition the manifest lists, at its size, whose bytes are not Parquet: read back
        # by every rerun, it failed every hour. Once more in full, which reads none back (a
        # full disk then fails the same way, and is reported).
        if before is None or missing:
            raise
        unreadable = " ".join(str(error).split())  # Arrow's messages span lines.
        return _export(repo, out, before, [f"a partition unreadable: {unreadable}"], started)


def _export(
    repo: Path, out: Path, before: Manifest | None, missing: list[str], started: float
) -> ExportReport:
    """Export (see export_parquet): in full when missing names partitions not there whole."""
    _fetch_history(repo, before.head if before is not None and not missing else None)
    with HistoryIndex(repo) as index:
        head = head_id(index.repo)
        if not head:
            raise ArchiverError(f"{repo} has no commits to export; run `archiver sync` first")
        grafts = grafts_digest(Path(index.repo.path))
        if before is not None and (before.head, before.grafts) == (head, grafts) and not missing:
            size = sum(f["bytes"] for t in before.tables.values() for f in t.values())
            return ExportReport(out, head, up_to_date=True, size=size)
        plan = make_plan(index, head, before, missing)
        current = month_of(current_epoch(index.repo, head))
        writer = TableWriter(out, before, plan)
        writer.report.head = head
        write_history(index, plan, current, writer)
        # Read at head, whatever a sync writes into the work tree meanwhile.
        telemetry = TelemetryFiles(repo, index.repo, head)
    writer.timed("telemetry", lambda: write_telemetry(telemetry, plan, writer))
    writer.finish(head, current, grafts)
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
    if not is_shallow(clone):
        return
    head = head_id(clone)
    if exported is not None and head and exported in first_parent_chain(clone, head):
        return
    fetch_history_after(repo, None)


def _check_out(out: Path) -> None:
    """Refuse an output folder that holds anything but an earlier export (it would be mixed).

    An export stopped before its manifest (killed, or out of disk) left only partitions: they
    are removed, and this run exports in full, as it would into an empty folder.
    """
    if out.exists() and not out.is_dir():
        raise ArchiverError(f"{out} is a file; give a folder for the export")
    if not out.is_dir() or not any(out.iterdir()) or (out / MANIFEST).is_file():
        return
    entries = sorted(out.rglob("*"), reverse=True)  # Files before the folders holding them.
    if not all(_ours(path, out) for path in entries):
        raise ArchiverError(
            f"{out} holds files that are not an archiver export (no {MANIFEST}); "
            "give an empty or new folder"
        )
    _remove_export(out)


def _remove_export(out: Path) -> None:
    """Remove the files and folders an export writes in out (its manifest last)."""
    entries = sorted(out.rglob("*"), reverse=True)  # Files before the folders holding them.
    for path in (p for p in entries if _ours(p, out)):
        if path.is_file() or path.is_symlink():
            path.unlink()
        else:
            with contextlib.suppress(OSError):  # A folder holding a file of someone else's.
                path.rmdir()
    # Last: killed before this, the next run finds the older export again and starts over.
    (out / MANIFEST).unlink(missing_ok=True)


def _ours(path: Path, out: Path) -> bool:
    """Tell whether a file or folder in out is one an export writes."""
    name = path.relative_to(out).as_posix()
    if path.is_dir() and not path.is_symlink():
        return _PARTITION_FOLDER.fullmatch(name) is not None
    return name == f"{MANIFEST}.partial" or _PARTITION.fullmatch(name) is not None


def _missing(out: Path, before: Manifest | None) -> list[str]:
    """Return the partitions the last export lists that are not on disk (handed off to the
    release and gone, they are not missing: only a run that must read them back needs them)."""
    if before is None:
        return []
    from archiver.export.parquet import partition_path

    found = []
    for table, months in before.tables.items():
        for month, facts in months.items():
            path = partition_path(out, table, month)
            if not _whole(path, facts.get("bytes")) and not (
                facts.get(RELEASED) and not path.exists()
            ):
                found.append(f"{table}/{month}")
    return found


def _whole(path: Path, size: object) -> bool:
    """Tell whether a partition is there at the size the manifest records (a stat: a file cut
    short, by a copy or an upload stopped half-way, is not read back as rows)."""
    try:
        return path.is_file() and path.stat().st_size == size
    except OSError:
        return False
