"""The Parquet export streams each month of telemetry: a folder's rows written as they are read.

The export held a month of telemetry whole before writing its file: about 3 GB for a real
month of 1,300 endpoints hourly, so an archive's export would grow with the month until a
7 GB runner ran out. Now each day folder's rows are written as their own row groups as soon
as they are read, and memory holds a few folders. Checked on an archive of 28 day folders of
endpoint figures in one month (TSV files committed as a sync commits them), exported by the
real command: each row group is one folder's (at most the row-group bound), the rows are
those of the month read whole, the export's peak memory stays well under the month's, and a
damaged folder (read in a reader process) is one problem line while the rest is written.
The memory is measured on rows of real size (a month of over 200 MB); the rest reads the
same folders with short rows, as the row groups, the order and the readers go by rows and
folders, not bytes.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pygit2
import pytest

from archiver.export import export_parquet, folder_reader, parquet, series
from archiver.export.parquet import partition_path

DAYS, KEYS, FILLER = 28, 40, 8000
SHORT = 8  # The filler of the archive the tests of rows and folders read.
HEADER = '"epoch"\t"key"\t"status"\t"stats/p50_latency"\t"note"'
TABLE, MONTH = "telemetry_endpoint", "2026-07"


@dataclass(frozen=True)
class Archive:
    """A committed archive holding a month of endpoint telemetry, a folder a day."""

    repo: Path
    rows: int


def _day_file(day: int, rng: random.Random, filler: int) -> str:
    """Return one day's file: every key every hour, in no order (a sync shards by hash)."""
    lines = [HEADER]
    for hour in range(24):
        keys = list(range(KEYS))
        rng.shuffle(keys)
        epoch = f'"2026-07-{day:02d}T{hour:02d}:00:00Z"'
        for at, key in enumerate(keys):
            note = f"{day}-{hour}-{key}-" + "x" * filler
            lines.append(f'{epoch if at == 0 else ""}\t"e-{key:03d}"\t{key % 2}\t{hour}\t"{note}"')
    return "\n".join(lines) + "\n"


def _archive(tmp_path_factory: pytest.TempPathFactory, filler: int) -> Archive:
    """Return a committed archive of a month of endpoint telemetry, notes of filler bytes."""
    root = tmp_path_factory.mktemp("streamed") / "archive"
    git = pygit2.init_repository(str(root), initial_head="main")
    rng = random.Random(15)
    for day in range(1, DAYS + 1):
        folder = root / "data" / "telemetry" / "endpoint" / "2026" / f"07-{day:02d}"
        folder.mkdir(parents=True)
        (folder / "0.tsv").write_text(_day_file(day, rng, filler))
    git.index.add_all()
    git.index.write()
    tree = git.index.write_tree()
    epoch = datetime(2026, 7, DAYS, 23, tzinfo=UTC)
    signature = pygit2.Signature("test", "test@example.com", int(epoch.timestamp()), 0)
    message = f"Sync\n\nSync-Epoch: {epoch:%Y-%m-%dT%H:%M:%SZ}\n"
    git.create_commit("refs/heads/main", signature, signature, message, tree, [])
    return Archive(root, DAYS * 24 * KEYS)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """Return the archive of short rows (do not write to it but in a test that puts it back)."""
    return _archive(tmp_path_factory, SHORT)


@pytest.fixture
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """Return an archive whose month of rows is of real size (its one test reads it)."""
    return _archive(tmp_path_factory, FILLER)


def _day(moment: Any) -> str:
    """Return a row's UTC day."""
    return str(moment.astimezone(UTC).date())


BOUND = 400  # A day folder holds 960 rows: three row groups each.


@pytest.fixture(scope="module")
def written(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> pq.ParquetFile:
    """Return the month's file of an export made with a row-group bound of BOUND rows."""
    out = tmp_path_factory.mktemp("streamed-export") / "export"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet, "ROW_GROUP", BOUND)
        report = export_parquet(archive.repo, out)
    assert report.rows[TABLE] == archive.rows and not report.problems
    return pq.ParquetFile(partition_path(out, TABLE, MONTH))


def test_each_folder_is_written_as_its_own_row_groups(written: pq.ParquetFile) -> None:
    columns = ["key", "epoch"]
    groups = [written.read_row_group(i, columns).to_pylist() for i in range(written.num_row_groups)]
    days = [{_day(row["epoch"]) for row in group} for group in groups]
    # Written folder by folder: no row group holds two days, none more than the bound.
    assert all(len(held) == 1 for held in days)
    assert [len(group) for group in groups] == [BOUND, BOUND, 24 * KEYS - 2 * BOUND] * DAYS
    order = [(_day(row["epoch"]), row["key"], row["epoch"]) for group in groups for row in group]
    assert order == sorted(order)


def test_the_streamed_rows_are_the_month_read_whole(
    archive: Archive, written: pq.ParquetFile
) -> None:
    streamed = written.read()
    # The month as the export read it before streaming: every folder, joined, then sorted.
    found = series.folders(archive.repo, "endpoint")
    parts = [series.unit_table(archive.repo, "endpoint", unit) for unit in found.units]
    whole = pa.concat_tables(parts).cast(streamed.schema)
    by_key = [("key", "ascending"), ("epoch", "ascending")]
    assert streamed.num_rows == archive.rows
    assert streamed.sort_by(by_key).equals(whole.sort_by(by_key))


# Run in a process of its own, so that its peak memory is the export's: the resident set
# before exporting (the modules an export imports, imported) and at its peak.
# (VmHWM, not ru_maxrss: a child's ru_maxrss starts at the peak of pytest's process.)
_MEASURE = """
import sys
import archiver.export.run, archiver.history.index
import pyarrow.compute, pyarrow.parquet, numpy, orjson
from archiver.export import export_parquet
def resident(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(field))
before = resident("VmRSS:")
export_parquet(sys.argv[1], sys.argv[2])
print(resident("VmHWM:") - before)
"""


def test_the_export_holds_a_few_folders_not_the_month(big_archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "export"
    command = [sys.executable, "-c", _MEASURE, str(big_archive.repo), str(out)]
    grown = int(subprocess.run(command, capture_output=True, check=True, text=True).stdout)
    month = pq.read_table(partition_path(out, TABLE, MONTH)).nbytes
    assert month > 200_000_000
    # Held whole (as before), the month and its sorted copy: over twice its size. Streamed,
    # a few folders (each a 28th of it) and the modules the export imports on the way.
    assert grown < month / 2, (grown, month)


@pytest.mark.parametrize("processes_from_bytes", [0, 1 << 60], ids=["processes", "threads"])
def test_a_damaged_folder_is_reported_and_the_others_written(
    archive: Archive, tmp_path: Path, processes_from_bytes: int
) -> None:
    # Damaged in a commit (the export reads the commit, not an edit left uncommitted). Its
    # folder is read in a reader process (a year of real files is), or on a thread (a few
    # small ones are); either way its error comes back as the export's one-line problem.
    damaged = archive.repo / "data" / "telemetry" / "endpoint" / "2026" / "07-10" / "0.tsv"
    damaged.write_text(f'{HEADER}\n"2026-07-10T00:00:00Z"\t"e-000"\t{{not json\n')
    git = ["git", "-C", str(archive.repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "commit", "-qam", "damaged by hand"], check=True)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(folder_reader, "PROCESSES_FROM_BYTES", processes_from_bytes)
            report = export_parquet(archive.repo, tmp_path / "export")
    finally:
        subprocess.run([*git, "reset", "-q", "--hard", "HEAD~1"], check=True)
    assert len(report.problems) == 1, report.problems
    assert str(damaged) in report.problems[0] and "\n" not in report.problems[0]
    assert report.rows[TABLE] == archive.rows - 24 * KEYS


def test_the_reader_processes_run_the_exports_code_from_any_folder(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `python -c` puts the current folder first on sys.path: run from a folder holding
    # another `archiver` (a checkout of another version), the readers imported that one.
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the folders are read on threads, no process is started")
    other = tmp_path / "elsewhere" / "archiver"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text('raise SystemExit("another archiver was imported")\n')
    monkeypatch.chdir(other.parent)
    monkeypatch.setattr(folder_reader, "PROCESSES_FROM_BYTES", 0)
    report = export_parquet(archive.repo, tmp_path / "export")
    assert not report.problems, report.problems
    assert report.rows[TABLE] == archive.rows
