"""`History` given a folder inside a person's own git repository (a project, a home folder
under git) that is no archive: the command line refuses such a --repo, but the Python API
wrote its history index into that repository's .git and answered as if it held an empty
archive ([] versions, {} catalog). Refused in one line, nothing written; a folder of an
archive still stands for the archive, as on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

import archiver
from tests.archive_helpers import stranger_repository
from tests.small_captures import eighth_base as base
from tests.small_captures import small_captures

__all__ = ["base", "small_captures"]


def test_history_of_a_folder_inside_another_repository_is_refused_untouched(
    tmp_path: Path,
) -> None:
    home = stranger_repository(tmp_path)
    before = sorted(str(path) for path in (home / ".git").rglob("*"))
    with pytest.raises(archiver.ArchiverError, match="not an archive"):
        archiver.History(home / "project" / "notes").category_at("provider", None)
    assert sorted(str(path) for path in (home / ".git").rglob("*")) == before


def test_history_of_an_archive_folder_reads_the_archive(base: Path) -> None:
    whole = archiver.History(base).category_at("provider", None)
    assert whole
    assert archiver.History(base / "data" / "provider").category_at("provider", None) == whole
