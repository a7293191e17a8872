"""Line-ending settings a person's git may carry, against the archive's byte-exact files.

`core.safecrlf=true` beside `core.autocrlf=true` (or an `eol=crlf` in .git/info/attributes,
which outranks the archive's `data/** -text`) makes libgit2 refuse to add an LF file to the
index. The sync added each file it wrote by path after the branch had moved: the first sync
of a new archive (its .gitattributes is no data/ file) stopped with "LF would be replaced by
CRLF in '.gitattributes'; free disk space or fix permissions", its commit made but its work
tree half-written and the index empty (`git status`: every file staged as deleted), and
every later run stopped the same way while finishing it. The commit's blobs are what the
index needs: the sync now enters them from HEAD's tree when the filters refuse the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archiver.archive.store import JOURNAL
from archiver.capture.files import Capture
from tests.archive_helpers import git, status_clean
from tests.small_captures import small_captures, sync_small

__all__ = ["small_captures"]


@pytest.fixture(autouse=True)
def _no_global_git_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the machine's own git settings out of the git CLI the test and the sync run."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def _archive(path: Path, **settings: str) -> Path:
    """Return a new empty repository on main with these settings in its own config (which
    outranks any the machine has, for git and libgit2 alike)."""
    git(path.parent, "init", "-q", "-b", "main", str(path))
    for key, value in {"core.autocrlf": "false", "core.safecrlf": "false", **settings}.items():
        git(path, "config", key, value)
    return path


def _data_trees(repo: Path) -> list[str]:
    """Return the tree id of data/ at every commit, oldest first."""
    commits = git(repo, "rev-list", "--reverse", "HEAD").split()
    return [git(repo, "rev-parse", f"{commit}:data").strip() for commit in commits]


def _synced(repo: Path, captures: list[Capture]) -> Path:
    for capture in captures:
        log = sync_small(repo, capture)
        assert log.commit_id and not log.failures, log.failures
    return repo


def test_a_new_archive_under_autocrlf_and_safecrlf_commits_the_same_bytes(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    reference = _synced(_archive(tmp_path / "reference"), small_captures[:2])
    repo = _archive(tmp_path / "archive", **{"core.autocrlf": "true", "core.safecrlf": "true"})
    _synced(repo, small_captures[:2])
    assert _data_trees(repo) == _data_trees(reference)
    assert git(repo, "rev-parse", "HEAD:.gitattributes") == git(
        reference, "rev-parse", "HEAD:.gitattributes"
    )
    assert not (repo / ".git" / JOURNAL).exists()
    assert status_clean(repo), git(repo, "status", "--short")
    assert (repo / ".gitattributes").read_bytes() == b"data/** -text\n"


def test_eol_crlf_in_info_attributes_with_safecrlf_commits_the_same_bytes(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    reference = _synced(_archive(tmp_path / "reference"), small_captures)
    repo = _synced(_archive(tmp_path / "archive"), small_captures[:1])
    # .git/info/attributes outranks the archive's `data/** -text`: every data file is text.
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("* text eol=crlf\n")
    git(repo, "config", "core.safecrlf", "true")
    _synced(repo, small_captures[1:])
    assert _data_trees(repo) == _data_trees(reference)
    assert not (repo / ".git" / JOURNAL).exists()
    assert status_clean(repo), git(repo, "status", "--short")
    endpoint = next((repo / "data" / "endpoint").iterdir())
    assert b"\r" not in endpoint.read_bytes()
