"""A rerun of `archiver export` into a folder whose partitions or manifest were damaged.

- A partition cut short (a copy or an upload stopped half-way), or one whose Parquet footer
  is garbled at the same size: the rerun read its rows back and failed, one line every hour,
  never recovering. It now exports in full (a cut file is caught by its size, before any
  read; a garbled one when Arrow cannot read it) and writes what a fresh export writes.
- A manifest edited to list a table `../victim`, or to name its month `2026-07/../../..`: a
  rerun removed each listed partition it no longer fills (the current month's, when empty),
  the one outside OUT included. It is now refused in one line; nothing outside OUT is touched.
- An export made by another version of the archiver (its manifest's `format` differs): the
  rerun exported in full over it and kept its partitions this version no longer writes, so
  an engine reading the folder mixed both. The older export is now removed first, with a note.

A real small archive: exported after the first small capture's sync, then the second synced.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.export.plan import FORMAT
from tests.small_captures import copy_archive, small_base, small_captures, sync_small

__all__ = ["small_base", "small_captures"]

pytest.importorskip("pyarrow")

CHANGES = Path("changes") / "month=2026-07" / "part-0.parquet"


@dataclass(frozen=True)
class Exports:
    """The archive at its second sync, its export at the first, a fresh export at the second."""

    repo: Path
    earlier: Path
    fresh: Path


def _export(repo: Path, out: Path) -> str:
    result = CliRunner().invoke(main, ["export", "--repo", str(repo), str(out)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def exports(
    small_base: Path, small_captures: list[Capture], tmp_path_factory: pytest.TempPathFactory
) -> Exports:
    root = tmp_path_factory.mktemp("state-export")
    repo = copy_archive(small_base, root / "archive")
    _export(repo, root / "earlier")
    assert (root / "earlier" / CHANGES).is_file()
    sync_small(repo, small_captures[1])
    _export(repo, root / "fresh")
    return Exports(repo, root / "earlier", root / "fresh")


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garble_footer(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-8:-4] = b"\0\0\0\0"  # The footer's length: same size, no longer Parquet.
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_cut, _garble_footer], ids=["cut short", "footer garbled"])
def test_a_damaged_partition_is_exported_again_as_a_fresh_export_would(
    exports: Exports, damage: Callable[[Path], None], tmp_path: Path
) -> None:
    out = Path(shutil.copytree(exports.earlier, tmp_path / "out"))
    damage(out / CHANGES)

    output = _export(exports.repo, out)

    assert "exporting all" in output
    assert _files(out) == _files(exports.fresh)


# How a hand-edited manifest named a file outside OUT: a table, or the month of its head.
OUTSIDE = {
    "table": ("victim/month=2026-07/part-0.parquet", ("tables", "../victim")),
    "current month": ("escaped/part-0.parquet", ("current_month", "2026-07/../../../escaped")),
}


@pytest.mark.parametrize("named", OUTSIDE)
def test_a_manifest_naming_a_file_outside_out_is_refused_and_nothing_outside_is_touched(
    exports: Exports, named: str, tmp_path: Path
) -> None:
    out = Path(shutil.copytree(exports.earlier, tmp_path / "out"))
    where, (field, value) = OUTSIDE[named]
    victim = tmp_path / where
    victim.parent.mkdir(parents=True)
    victim.write_bytes(b"a file that is not the export's\n")
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    if field == "tables":
        manifest["tables"][value] = {"2026-07": {"rows": 1, "bytes": victim.stat().st_size}}
        (out / CHANGES).unlink()  # So that the rerun exports in full, removing what it lists.
    else:
        manifest[field] = value
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))

    result = CliRunner().invoke(main, ["export", "--repo", str(exports.repo), str(out)])

    assert result.exit_code == 3, result.output
    assert repr(value) in result.output and len(result.output.strip().splitlines()) == 1
    assert victim.read_bytes() == b"a file that is not the export's\n"


def test_an_export_of_an_older_format_is_replaced_by_a_fresh_one(
    exports: Exports, tmp_path: Path
) -> None:
    # An older archiver's export: its manifest's format differs, and it holds a partition
    # this version writes no longer (here a month of changes it would not file any more).
    out = Path(shutil.copytree(exports.earlier, tmp_path / "out"))
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    manifest["format"] = FORMAT - 1
    stale = Path("changes") / "month=2001-01" / "part-0.parquet"
    (out / stale).parent.mkdir()
    shutil.copyfile(out / CHANGES, out / stale)
    size = (out / stale).stat().st_size
    manifest["tables"]["changes"]["2001-01"] = {"rows": 1, "bytes": size}
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))

    output = _export(exports.repo, out)

    assert f"made by another version of the archiver (format {FORMAT - 1})" in output
    assert _files(out) == _files(exports.fresh)
