"""Another git repository where a sync writes (audit): refused, never written into.

A submodule committed at a folder of data/ (to keep telemetry in a repository of its own,
say) was taken for a plain folder. Checked out, the sync wrote hundreds of files into the
submodule's work tree (untracked files of another repository) and committed a tree in
place of the submodule; not checked out (a clone without --recurse-submodules leaves its
folder empty), the sync found none of the folder's files in HEAD, wrote them all afresh and
replaced the submodule all the same, its telemetry restarted from nothing. A clone made
inside data/ (a .git of its own) was written into alike. Each is now refused in one line,
before anything is written; the repository and the submodule stay as they were.

Real small archives, real submodules made by git, the command line in this process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archiver.cli import main
from tests.archive_helpers import as_person, git, head, status_clean
from tests.small_captures import SMALL_DAILY, small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

NEXT_CAPTURE = str(SMALL_DAILY[1])


def run(*args: str) -> Result:
    """Run the archiver's command line in this process."""
    return CliRunner().invoke(main, list(args))


def refused(result: Result) -> str:
    """Assert exit 3 with one `Error:` line and no traceback; return the line."""
    assert result.exit_code == 3, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def other_repository(tmp_path: Path) -> Path:
    """Return a small repository of one commit, to be a submodule."""
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    (other / "notes.txt").write_text("not the archive's\n")
    as_person(other, "add", "notes.txt")
    as_person(other, "commit", "-q", "-m", "notes")
    return other


def make_submodule(repo: Path, folder: str, other: Path) -> None:
    """Replace a folder of the archive by a submodule of other, committed."""
    as_person(repo, "rm", "-q", "-r", folder)
    as_person(
        repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(other), folder
    )
    as_person(repo, "commit", "-q", "-m", f"{folder} as a submodule")


@pytest.mark.parametrize("folder", ["data/endpoint", "data/telemetry/endpoint"])
def test_a_checked_out_submodule_in_data_is_refused_and_left_as_it_is(
    small_archive: Path, tmp_path: Path, folder: str
) -> None:
    make_submodule(small_archive, folder, other_repository(tmp_path))
    before = head(small_archive)
    line = refused(run("import", "--repo", str(small_archive), NEXT_CAPTURE))
    assert f"{small_archive / folder} is another git repository" in line, line
    assert head(small_archive) == before and status_clean(small_archive)
    assert sorted(p.name for p in (small_archive / folder).iterdir()) == [".git", "notes.txt"]


def test_a_submodule_not_checked_out_is_refused_and_kept_in_the_tree(
    small_archive: Path, tmp_path: Path
) -> None:
    folder = "data/telemetry/endpoint"
    make_submodule(small_archive, folder, other_repository(tmp_path))
    git(small_archive, "submodule", "deinit", "-q", "-f", folder)
    assert list((small_archive / folder).iterdir()) == []
    before = head(small_archive)
    line = refused(run("import", "--repo", str(small_archive), NEXT_CAPTURE))
    assert f"{small_archive / folder} is another git repository" in line, line
    assert head(small_archive) == before
    assert git(small_archive, "ls-tree", "HEAD", folder).startswith("160000 commit ")
    assert list((small_archive / folder).iterdir()) == []


def test_a_clone_inside_a_telemetry_folder_is_refused(small_archive: Path) -> None:
    folder = sorted((small_archive / "data" / "telemetry" / "endpoint").iterdir())[0]
    git(folder, "init", "-q")
    files = {path: path.read_bytes() for path in folder.rglob("*.tsv")}
    before = head(small_archive)
    line = refused(run("import", "--repo", str(small_archive), NEXT_CAPTURE))
    assert f"{folder} is another git repository" in line, line
    assert head(small_archive) == before
    assert {path: path.read_bytes() for path in folder.rglob("*.tsv")} == files
