"""An export folder written by an older release is exported again in full by this one.

A rerun keeps the rows of months no new sync touched, read back from the files the last run
wrote: they are never derived again. The manifest's `format` was bumped by hand when rows
changed, and not always: the release at dba7844 wrote a telemetry row's `changed` as a map,
the next one (5b49ae8, same format 4) as a list of pairs. An export of the first, rerun by the
second after a new month began, kept the older months' partitions as maps beside the new
months' lists: pyarrow's dataset refused the table, DuckDB asked for union_by_name. The
manifest now records the code that wrote it; other code exports everything again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.sync import SyncOptions, sync
from tests.small_captures import small_captures

__all__ = ["small_captures"]

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

JUNE = Path("telemetry_endpoint") / "month=2026-06" / "part-0.parquet"


def _sync(repo: Path, capture: Capture, epoch: datetime) -> None:
    """Sync a capture served in-process, at an epoch of the test's choosing."""
    replay = ReplayTransport(capture)
    sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch))


def _export(repo: Path, out: Path) -> str:
    result = CliRunner().invoke(main, ["export", "--repo", str(repo), str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def _as_older_release_wrote_it(out: Path) -> None:
    """Make the export one the release at dba7844 wrote: `changed` a map, no code recorded."""
    table = pq.read_table(out / JUNE)
    pairs = [
        None if row is None else [(pair["column"], pair["value"]) for pair in row]
        for row in table.column("changed").to_pylist()
    ]
    as_map = pa.array(pairs, type=pa.map_(pa.string(), pa.string()))
    index = table.schema.get_field_index("changed")
    pq.write_table(table.set_column(index, "changed", as_map), out / JUNE)
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    manifest.pop("code", None)
    manifest["tables"]["telemetry_endpoint"]["2026-06"]["bytes"] = (out / JUNE).stat().st_size
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_an_older_release_s_export_is_not_kept_in_part(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    repo, out = tmp_path / "archive", tmp_path / "out"
    repo.mkdir()
    # A month of syncs the older release exported, then a sync in the next month.
    _sync(repo, small_captures[0], datetime(2026, 6, 30, 18, tzinfo=UTC))
    _export(repo, out)
    _as_older_release_wrote_it(out)
    _sync(repo, small_captures[1], datetime(2026, 7, 1, 1, tzinfo=UTC))

    output = _export(repo, out)

    assert pq.read_schema(out / JUNE).field("changed").type == pa.list_(
        pa.struct([("column", pa.string()), ("value", pa.string())])
    )
    _export(repo, tmp_path / "fresh")
    assert _files(out) == _files(tmp_path / "fresh")
    assert "made by another version of the archiver" in output
