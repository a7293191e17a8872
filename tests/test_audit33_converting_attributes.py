"""A filter or eol attribute that converts data/ files (audit 33).

Found and fixed: a `filter=` attribute on data/ (`git lfs track "*.json"` writes one) makes
git see every file the archiver writes byte for byte as edited, and the next sync refused
with "unstaged edits ... commit them or `git restore data`": advice that cannot help (a
restore writes the same bytes, which git still sees as edited; a commit stores converted
bytes). The refusal now says the bytes are those committed, that an attribute converts
them, and how to find and remove it; a real edit keeps its own message.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.times import format_epoch
from tests.archive_helpers import git, head
from tests.small_captures import copy_archive, small_captures, sync_small
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


@pytest.fixture
def converting(base: Path, tmp_path: Path) -> tuple[Path, str]:
    """Return an archive whose data/ files git runs through a filter that changes them, and
    one file git now sees as edited (its bytes untouched)."""
    repo = copy_archive(base, tmp_path / "archive")
    git(repo, "config", "filter.upper.clean", "tr a-z A-Z")
    git(repo, "config", "filter.upper.smudge", "cat")
    (repo / ".git/info/attributes").write_text("data/** filter=upper\n")
    path = sorted(git(repo, "ls-files", "data/endpoint").split())[0]
    # A new time makes git read the file again, through the filter (as after a sync).
    os.utime(repo / path, (1_800_000_000, 1_800_000_000))
    assert f" M {path}" in git(repo, "status", "--porcelain", "--", "data")
    return repo, path


def _sync(repo: Path, capture: Capture) -> tuple[int, str]:
    with ReplayServer(capture) as server:
        result = CliRunner().invoke(
            main,
            ["sync", "--repo", str(repo), "--base-url", server.base_url,
             "--epoch", format_epoch(capture.time)],
        )  # fmt: skip
    return result.exit_code, result.output


def test_the_refusal_names_the_converting_attribute(
    converting: tuple[Path, str], cut: list[Capture]
) -> None:
    repo, path = converting
    before = head(repo)
    code, output = _sync(repo, cut[-1])
    assert code == 3, output
    assert path in output
    assert "filter or eol rule" in output and "git check-attr" in output
    assert "git restore" not in output and "Traceback" not in output
    assert head(repo) == before
    # Done as it says, the sync runs.
    (repo / ".git/info/attributes").unlink()
    assert sync_small(repo, cut[-1]).commit_id is not None


def test_a_real_edit_keeps_its_own_advice(converting: tuple[Path, str], cut: list[Capture]) -> None:
    repo, path = converting
    (repo / ".git/info/attributes").unlink()
    with (repo / path).open("ab") as file:
        file.write(b" ")
    code, output = _sync(repo, cut[-1])
    assert code == 3, output
    assert "unstaged edits" in output and "git restore" in output
