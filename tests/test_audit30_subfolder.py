"""Commands run from a subfolder of an archive (audit): the archive is the one git finds.

`cd archive/data/model && archiver import CAPTURE` (or `sync`, or `archiver.sync` given that
folder) created a second git repository inside the archive's data/, with its own data/ and
.gitattributes, and synced a fresh archive into it: the archive itself got nothing and its
next sync refused the untracked files. The readers already read the archive's history
from there (libgit2 finds the repository above, as git does), but looked for its telemetry
files under the subfolder: `archiver telemetry endpoint ID` answered "no telemetry", and
`archiver site` built a site without a single chart, exit 0.

Real small archives, the command line in this process with the subfolder as the current
folder, git to check the result.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.sync import SyncOptions, sync
from tests.archive_helpers import as_person, commit_count, git, status_clean
from tests.small_captures import (
    SMALL_DAILY,
    copy_archive,
    small_archive,
    small_base,
    small_captures,
    sync_small,
)

__all__ = ["small_archive", "small_base", "small_captures"]

NEXT_CAPTURE = str(SMALL_DAILY[1])


def run(*args: str) -> Result:
    """Run the archiver's command line in this process."""
    return CliRunner().invoke(main, list(args))


def data_tree(repo: Path) -> str:
    """Return the tree id of data/ at HEAD."""
    return git(repo, "rev-parse", "HEAD:data").strip()


def nested_repositories(repo: Path) -> list[Path]:
    """Return every .git below the archive's data/."""
    return sorted((repo / "data").rglob(".git"))


def test_import_from_a_folder_in_data_imports_into_the_archive(
    small_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = copy_archive(small_archive, tmp_path / "reference")
    assert run("import", "--repo", str(reference), NEXT_CAPTURE).exit_code == 0
    # A person's commit on top of the latest sync: still an archive.
    (small_archive / "NOTES.md").write_text("mine\n")
    as_person(small_archive, "add", "NOTES.md")
    as_person(small_archive, "commit", "-q", "-m", "notes")
    monkeypatch.chdir(small_archive / "data" / "model")
    result = run("import", NEXT_CAPTURE)
    assert result.exit_code == 0, result.output
    assert nested_repositories(small_archive) == []
    assert data_tree(small_archive) == data_tree(reference)
    assert commit_count(small_archive) == 3 and status_clean(small_archive)


def test_the_library_syncs_the_archive_a_folder_in_data_belongs_to(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    reference = copy_archive(small_archive, tmp_path / "reference")
    sync_small(reference, small_captures[1])
    inside = small_archive / "data" / "endpoint"
    replay = ReplayTransport(small_captures[1])
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=small_captures[1].time)
    log = sync(inside, options)
    assert log.commit_id is not None
    assert nested_repositories(small_archive) == []
    assert data_tree(small_archive) == data_tree(reference)


def test_readers_run_in_a_subfolder_read_the_archives_work_tree(
    small_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = sorted((small_archive / "data" / "endpoint").glob("*.json"))[0].stem
    expected = run("telemetry", "endpoint", endpoint, "--repo", str(small_archive))
    assert expected.exit_code == 0 and expected.output.count("\n") > 1, expected.output
    for folder in (small_archive / "data" / "endpoint", small_archive / "data" / "telemetry"):
        monkeypatch.chdir(folder)
        found = run("telemetry", "endpoint", endpoint)
        assert (found.exit_code, found.output) == (0, expected.output)


@pytest.mark.parametrize("folder", ["archive", "data/openrouter"])
def test_a_new_archive_in_a_folder_of_another_repository_is_still_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    # The quick start makes ./archive inside the code's clone; a project whose data/ is no
    # archive's (no sync commits) may keep one in it: either is a repository of its own.
    project = tmp_path / "project"
    (project / folder).mkdir(parents=True)
    git(project, "init", "-q")
    (project / "data" / "notes.txt").parent.mkdir(exist_ok=True)
    (project / "data" / "notes.txt").write_text("the project's\n")
    as_person(project, "add", "data/notes.txt")
    as_person(project, "commit", "-q", "-m", "the project's data")
    monkeypatch.chdir(project / folder)
    result = run("import", NEXT_CAPTURE)
    assert result.exit_code == 0, result.output
    assert (project / folder / ".git").is_dir()
    assert commit_count(project / folder) == 1
    assert commit_count(project) == 1
