"""An export holds the commit it names: a telemetry edit left uncommitted is not read.

README: "`site` and `export` read the archive as it stood at the commit they started
from". The export read a telemetry file from the work tree whenever no sync was writing, so
a line a person added and never committed became a row of the export whose manifest named
HEAD. Undone, the line stayed: the next sync touched other folders, the rerun kept that
folder's rows, and the export differed from a fresh export of the same commit for good.
A real archive of the small captures (a quarter of their models: three syncs and three
exports of the whole ones are most of the test's time), real syncs, git's own work tree.
(Found by a helper's hunt comparing incremental and fresh exports.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pyarrow.parquet as pq

from archiver.capture.files import Capture
from archiver.export import export_parquet
from tests.small_captures import quarter_captures, sync_small

__all__ = ["quarter_captures"]

TABLE = "telemetry_endpoint"
STRANGER = "not-an-endpoint-of-any-commit"


def _keys(out: Path) -> set[str]:
    return set(pq.read_table(out / TABLE, columns=["key"]).column("key").to_pylist())


def test_an_uncommitted_telemetry_edit_never_reaches_the_export(
    quarter_captures: list[Capture], tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    first, second, third = quarter_captures
    assert sync_small(repo, first).commit_id and sync_small(repo, second).commit_id
    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "data/telemetry/endpoint/2026/07-17/"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    edited = repo / listed[0]
    kept = edited.read_bytes()
    edited.write_bytes(kept + f'\t"{STRANGER}"\t1\n'.encode())

    out = tmp_path / "export"
    report = export_parquet(repo, out)
    assert not report.problems, report.problems
    assert STRANGER not in _keys(out)

    edited.write_bytes(kept)  # Undone, as a sync requires before it starts.
    assert sync_small(repo, third).commit_id
    export_parquet(repo, out)
    fresh = tmp_path / "fresh"
    export_parquet(repo, fresh)
    assert STRANGER not in _keys(out)
    assert pq.read_table(out / TABLE).sort_by([("key", "ascending"), ("epoch", "ascending")]) == (
        pq.read_table(fresh / TABLE).sort_by([("key", "ascending"), ("epoch", "ascending")])
    )
