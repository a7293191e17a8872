"""`export --publish DIR` removes what the export does not hold: never a folder of other files.

Pointed at the built site's root (`--publish site` for `site/export`) it deleted the site;
pointed at the repository (`--publish .`) it deleted the work tree and .git. A real small
archive, the command line in-process.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from archiver.cli import main
from tests.archive_helpers import commit_count, status_clean
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]


def _export(repo: Path, out: Path, publish: Path) -> Result:
    """Run `archiver export OUT --publish DIR` in this process."""
    command = ["export", "--repo", str(repo), str(out), "--publish", str(publish)]
    return CliRunner().invoke(main, command)


def _refused(result: Result) -> str:
    """Assert exit 3 with one error line; return it."""
    assert result.exit_code == 3, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in result.output
    return errors[0]


def test_publish_into_a_folder_of_other_files_is_refused_and_deletes_nothing(
    small_archive: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    page = site / "model" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<p>a built page</p>")
    out = tmp_path / "export"

    line = _refused(_export(small_archive, out, site))

    assert "model/index.html" in line
    assert page.read_text() == "<p>a built page</p>"
    assert not out.exists()  # Refused before any work.


def test_publish_into_the_repository_itself_leaves_it_whole(
    small_archive: Path, tmp_path: Path
) -> None:
    commits = commit_count(small_archive)

    _refused(_export(small_archive, tmp_path / "export", small_archive))

    assert commit_count(small_archive) == commits and status_clean(small_archive)


def test_publish_again_into_its_own_mirror_still_works(small_archive: Path, tmp_path: Path) -> None:
    out, mirror = tmp_path / "export", tmp_path / "site" / "export"
    assert _export(small_archive, out, mirror).exit_code == 0
    assert _export(small_archive, out, mirror).exit_code == 0
    assert (mirror / "manifest.json").samefile(out / "manifest.json")


# A folder of one's own Parquet files passed every check (any `.parquet` below the top was
# taken for the export's), and the mirror then deleted those files. Only the names an
# export writes pass now: `table/month=YYYY-MM/part-0.parquet` and manifest.json.


def _refused_and_kept(repo: Path, tmp_path: Path, own: str) -> None:
    """Assert --publish into a folder holding the file `own` is refused, that file untouched."""
    publish = tmp_path / "publish"
    mine = publish / own
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_bytes(b"PAR1 someone's own table PAR1")
    out = tmp_path / "export"

    line = _refused(_export(repo, out, publish))

    assert f"holds {own}," in line, line
    assert mine.read_bytes() == b"PAR1 someone's own table PAR1"
    assert not out.exists()  # Refused before any work.


def test_publish_into_a_folder_of_ones_own_parquet_files_is_refused(
    small_archive: Path, tmp_path: Path
) -> None:
    _refused_and_kept(small_archive, tmp_path, "mydata/2024.parquet")


def test_a_parquet_file_in_a_partition_under_a_name_no_export_writes_is_refused(
    small_archive: Path, tmp_path: Path
) -> None:
    _refused_and_kept(small_archive, tmp_path, "models/month=2024-01/other.parquet")


def test_a_parquet_file_at_the_top_of_publish_is_refused(
    small_archive: Path, tmp_path: Path
) -> None:
    _refused_and_kept(small_archive, tmp_path, "2024.parquet")


def test_a_mirror_holding_a_month_the_export_dropped_is_still_accepted(
    small_archive: Path, tmp_path: Path
) -> None:
    out, mirror = tmp_path / "export", tmp_path / "site" / "export"
    assert _export(small_archive, out, mirror).exit_code == 0
    # A month an earlier export wrote and this one no longer holds: the mirror removes it.
    dropped = mirror / "models" / "month=2024-01" / "part-0.parquet"
    dropped.parent.mkdir(parents=True)
    dropped.write_bytes(b"PAR1 an older month PAR1")

    result = _export(small_archive, out, mirror)

    assert result.exit_code == 0, result.output
    assert not dropped.parent.exists()
    assert sorted(p.relative_to(mirror) for p in mirror.rglob("*.parquet")) == sorted(
        p.relative_to(out) for p in out.rglob("*.parquet")
    )


def test_a_folder_no_export_makes_is_refused_even_empty(
    small_archive: Path, tmp_path: Path
) -> None:
    publish = tmp_path / "publish"
    (publish / "Holiday Photos").mkdir(parents=True)

    line = _refused(_export(small_archive, tmp_path / "export", publish))

    assert "holds Holiday Photos," in line
    assert (publish / "Holiday Photos").is_dir()
