"""History read under grafts a person adds (audit 34: history readers).

Found and fixed: git and libgit2 both take a commit's parents from ``.git/info/grafts``, so a
person who grafts a sync onto an older one rewrites history without changing a commit id.
The history index, the site's cache and the export's manifest each noticed history change
only by HEAD's id (and the shallow boundary): after the graft, `archiver log` and `changes`
went on answering the history as it was before, while the same commands in a fresh clone
with the same grafts answered the grafted one; the site built from its cache, and the export
rerun, kept their old changes. The grafts file's digest is now part of what each records,
and a change to it reads history in full.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.files import Capture
from archiver.export import export_parquet
from archiver.history.versions import changes
from archiver.site import build_site
from tests.archive_helpers import git
from tests.audit22_time_helpers import export_tables
from tests.small_captures import (
    copy_archive,
    small_captures,
    some_models,
    sync_small,
    with_models_only,
)

__all__ = ["small_captures"]

BUILT = datetime(2026, 7, 25, tzinfo=UTC)


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]) -> Path:
    """Return an archive of the three captures cut to a few models (do not write to it)."""
    repo = tmp_path_factory.mktemp("grafts") / "archive"
    keys = some_models(small_captures[1], 24, featured=1)
    for capture in small_captures:
        assert sync_small(repo, with_models_only(capture, keys)).commit_id
    return repo


def _graft_newest_onto_first(repo: Path) -> None:
    """Give the newest sync the first as its parent, as a person's `info/grafts` line does."""
    newest, _, first = git(repo, "rev-list", "--first-parent", "HEAD").split()
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "grafts").write_text(f"{newest} {first}\n")


def _told(repo: Path) -> list[Any]:
    """Return every change `archiver changes` tells, as plain data."""
    return [
        (group.commit, [(c.category, c.key, c.kinds, c.patch) for c in group.changes])
        for group in changes(repo)
    ]


def _cold(repo: Path, target: Path) -> Path:
    """Return a copy of the archive without anything derived from its history."""
    copy = copy_archive(repo, target)
    shutil.rmtree(copy / ".git" / "archiver", ignore_errors=True)
    return copy


def test_changes_after_a_graft_are_those_a_fresh_index_reads(synced: Path, tmp_path: Path) -> None:
    repo = copy_archive(synced, tmp_path / "archive")
    before = _told(repo)
    _graft_newest_onto_first(repo)
    after = _told(repo)
    assert after == _told(_cold(repo, tmp_path / "cold"))
    assert after != before


def test_the_export_rerun_after_a_graft_equals_a_clean_export(synced: Path, tmp_path: Path) -> None:
    repo = copy_archive(synced, tmp_path / "archive")
    incremental = tmp_path / "incremental"
    export_parquet(repo, incremental)
    _graft_newest_onto_first(repo)
    report = export_parquet(repo, incremental)
    assert report.note and "grafts" in report.note
    clean = tmp_path / "clean"
    export_parquet(_cold(repo, tmp_path / "cold"), clean)
    assert export_tables(incremental) == export_tables(clean)


def test_the_site_built_from_its_cache_after_a_graft_equals_a_full_build(
    synced: Path, tmp_path: Path
) -> None:
    repo = copy_archive(synced, tmp_path / "archive")
    cache, cached = tmp_path / "cache", tmp_path / "cached"
    build_site(repo, cached, cache=cache, built=BUILT)
    _graft_newest_onto_first(repo)
    report = build_site(repo, cached, cache=cache, built=BUILT)
    assert "grafts" in report.history
    full = tmp_path / "full"
    build_site(_cold(repo, tmp_path / "cold"), full, built=BUILT)
    assert _files(cached) == _files(full)


def _files(folder: Path) -> dict[str, bytes]:
    """Return {relative path: bytes} of every file below folder."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
