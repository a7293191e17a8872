"""A telemetry folder named like a day that no calendar has is reported, not a traceback.

Telemetry lives in day folders (`data/telemetry/<kind>/<YYYY>/<MM-DD>/`), and the export
takes any folder of that shape for a day. A folder no sync writes (`07-32`, `02-30`, year
`0000`: a person's slip, a bad merge) ended the folder before it at a day that does not
exist: a full export stopped with a Python traceback (`month must be in 1..12`, `day is out
of range for month`), every hour, while an incremental one named the folder and went on.
Now the folder is named on stderr and left out, and every other row is exported.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.export import export_parquet
from tests.archive_helpers import as_person
from tests.small_captures import copy_archive, small_captures
from tests.small_captures import eighth_base as base

__all__ = ["base", "small_captures"]

pytest.importorskip("pyarrow")


def parts(out: Path) -> dict[str, bytes]:
    """Return every partition of an export folder with its bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.parquet")}


@pytest.mark.parametrize("odd", ["2026/07-32", "2026/13-01"])
def test_a_folder_that_is_no_day_is_named_and_left_out(
    base: Path, tmp_path: Path, odd: str
) -> None:
    repo = copy_archive(base, tmp_path / "archive")
    clean = export_parquet(repo, tmp_path / "clean")
    assert "telemetry_endpoint" in clean.rows
    kind = repo / "data/telemetry/endpoint"
    (day,) = kind.glob("*/*")
    shutil.copytree(day, kind / odd)
    as_person(repo, "add", "data/telemetry")
    as_person(repo, "commit", "-q", "-m", "A folder by hand")
    incremental = Path(shutil.copytree(tmp_path / "clean", tmp_path / "incremental"))
    for out in (tmp_path / "full", incremental):
        result = CliRunner().invoke(main, ["export", "--repo", str(repo), str(out)])
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and result.exception is not None
        skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped:")]
        assert len(skipped) == 1 and f"endpoint/{odd}" in skipped[0], result.stderr
        assert "not a day" in skipped[0]
        # Every row of the archive's real folders, as before the odd one came.
        assert parts(out) == parts(tmp_path / "clean")
