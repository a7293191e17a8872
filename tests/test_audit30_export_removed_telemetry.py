"""Telemetry removed from the archive leaves an incremental export as a full export has it.

A person may remove telemetry from HEAD (`git rm -r` of an old day's folder, or of a whole
kind). A rerun reads again the folders whose files changed, and keeps the rest of the months
it rewrites from the last export. A removed folder's rows are held by no folder of the archive
when it was the first one (or the only ones of its kind): no folder was read again, no month
rewritten, and the rows stayed in the export for good, where a full export of the same commit
had none of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archiver.export import export_parquet
from tests.archive_helpers import as_person
from tests.small_captures import SMALL_DAILY, copy_archive, sync_small


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Return an archive of two daily syncs (two day folders a kind) and its export."""
    root = tmp_path_factory.mktemp("removed-telemetry")
    repo, out = root / "archive", root / "export"
    for path in SMALL_DAILY[:2]:
        assert sync_small(repo, path).commit_id
    export_parquet(repo, out)
    return repo, out


def parts(out: Path) -> dict[str, bytes]:
    """Return every partition of an export folder with its bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.parquet")}


def rerun_after_removing(exported: tuple[Path, Path], tmp_path: Path, *paths: str) -> None:
    """Remove telemetry paths in a person's commit, rerun the export, and check it equals a
    full export of the same commit."""
    repo = copy_archive(exported[0], tmp_path / "archive")
    out = Path(shutil.copytree(exported[1], tmp_path / "export"))
    as_person(repo, "rm", "-r", "-q", *paths)
    as_person(repo, "commit", "-q", "-m", "Remove old telemetry")
    before = parts(out)
    report = export_parquet(repo, out)
    assert not report.full
    export_parquet(repo, tmp_path / "full")
    after, full = parts(out), parts(tmp_path / "full")
    assert after.keys() == full.keys()
    assert [name for name in full if after[name] != full[name]] == []
    assert after != before


def test_removing_the_oldest_day_folder_drops_its_rows(
    exported: tuple[Path, Path], tmp_path: Path
) -> None:
    oldest = sorted((exported[0] / "data/telemetry/endpoint").glob("*/*"))[0]
    rerun_after_removing(exported, tmp_path, oldest.relative_to(exported[0]).as_posix())


def test_removing_a_whole_kind_drops_its_table(exported: tuple[Path, Path], tmp_path: Path) -> None:
    assert (exported[1] / "telemetry_model").is_dir()
    rerun_after_removing(exported, tmp_path, "data/telemetry/model")
    assert not (tmp_path / "export" / "telemetry_model").exists()
