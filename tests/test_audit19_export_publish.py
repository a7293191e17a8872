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
