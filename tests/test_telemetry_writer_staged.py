"""A sync hands each telemetry day file to the object store as soon as it is made.

A day's files grow hour by hour (at 50,000 endpoints, hundreds of MB by the evening): the
writer must not hold them all until the commit, and its cache of parsed files (kept between
the syncs of one process) must not hold their bodies. Neither may change a byte written.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from archiver.archive.store import Store
from archiver.telemetry import TelemetryWriter
from tests.test_telemetry_growth import Hour, hours, telemetry_files

__all__ = ["hours"]  # the module fixture, shared with the format tests


def test_staged_files_are_the_bytes_a_fresh_writer_returns(
    hours: list[Hour], tmp_path: Path
) -> None:
    store = Store(tmp_path / "archive")
    kept = TelemetryWriter()  # kept between hours, as an import of many captures keeps it
    staged_files = 0
    for hour in hours:
        tracked = store.tracked()
        fresh = TelemetryWriter().writes(
            hour.figures, hour.epoch, tracked, store.read, hour.unfetched
        )
        staged = kept.writes(
            hour.figures, hour.epoch, tracked, store.read, hour.unfetched, stage=store.stage
        )
        assert fresh.problems == staged.problems == []
        assert staged.writes == {}
        assert staged.staged.keys() == fresh.writes.keys()
        for path, (blob, size) in staged.staged.items():
            assert store.read(blob) == fresh.writes[path]
            assert size == len(fresh.writes[path])
        # The cache keeps what saves a parse (each key's state), never a file's bytes.
        assert [sheet.body for sheet in kept.sheets._sheets.values() if sheet.body] == []
        assert kept.sheets._sheets, "the kept writer cached nothing: the test tests nothing"
        staged_files += len(staged.staged)
        store.commit({}, [], f"sync {hour.epoch:%Y-%m-%dT%H}", staged=staged.staged)
    assert staged_files > len(hours)
    # Git itself finds the staged files committed and checked out: nothing staged, nothing
    # modified, and every object whole.
    root = store.root
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""
    subprocess.run(["git", "fsck", "--no-dangling"], cwd=root, capture_output=True, check=True)
    for file in telemetry_files(root):
        shown = subprocess.run(
            ["git", "show", f"HEAD:{file.relative_to(root).as_posix()}"],
            cwd=root,
            capture_output=True,
            check=True,
        )
        assert shown.stdout == file.read_bytes()


def test_a_staged_file_never_committed_changes_nothing(hours: list[Hour], tmp_path: Path) -> None:
    """A sync that fails after staging (a crash, a refused commit) leaves HEAD as it was."""
    store = Store(tmp_path / "archive")
    first, second = hours[:2]
    written = TelemetryWriter().writes(
        first.figures, first.epoch, {}, store.read, stage=store.stage
    )
    store.commit({}, [], "first", staged=written.staged)
    head, files = store.head, {p: p.read_bytes() for p in telemetry_files(store.root)}
    TelemetryWriter().writes(
        second.figures, second.epoch, store.tracked(), store.read, stage=store.stage
    )
    assert store.head == head
    assert {p: p.read_bytes() for p in telemetry_files(store.root)} == files
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=store.root, capture_output=True, text=True
    )
    assert status.stdout == ""
