"""The hourly site job checks out one commit (`--depth 1`, no old blobs) and `archiver site`
fetches only the history its cache does not cover.

The upstream is a bare copy of the session's site archive served over file:// (filters
allowed, as GitHub does). The job of the hour before built at A, two syncs before HEAD (C),
and kept its .git/archiver (the actions/cache folder). This hour's job clones C shallow,
restores that folder, and builds: the clone is deepened until A is on HEAD's chain, never to
the root, and the site equals a full build at C byte for byte. Without a cache the shallow
clone fetches all of history and builds the same site. A whole clone is never fetched into.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.history.index import INDEX_FILE, HistoryIndex
from archiver.history.shallow_fetch import Deepening, fetch_history_after
from archiver.site import SiteReport, build_site
from archiver.site.incremental import default_cache_dir
from tests.archive_helpers import git, head
from tests.site_helpers import (
    ENTITY_FOLDERS,
    SITE_BASE_URL,
    CachedBuild,
    HeadBuild,
    SiteArchive,
    built_at,
)
from tests.test_site_incremental import files


@dataclass(frozen=True)
class Upstream:
    """The bare upstream, its commits A (cached) and C (HEAD), and the full build at C."""

    bare: Path
    a: str
    c: str
    full: Path
    cached_folder: Path
    root: Path


@pytest.fixture(scope="module")
def upstream(
    site_archive: SiteArchive,
    site_at_head: HeadBuild,
    site_cached_at_a: CachedBuild,
    tmp_path_factory: pytest.TempPathFactory,
) -> Upstream:
    """Return the upstream, a full build at its HEAD, and the .git/archiver of a build at A."""
    root = tmp_path_factory.mktemp("shallow")
    bare = root / "upstream.git"
    git(root, "clone", "--quiet", "--bare", str(site_archive.repo), str(bare))
    git(bare, "config", "uploadpack.allowFilter", "true")
    c = git(bare, "rev-parse", "HEAD").strip()
    # A: the commit before the last sync that changed entities, whose old blobs C needs.
    changed_last = git(bare, "log", "-1", "--format=%H", "--", *ENTITY_FOLDERS).strip()
    a = git(bare, "rev-parse", f"{changed_last}^").strip()
    # The full build at C, built once for the run (test_site_incremental compares with it too).
    assert head(site_archive.repo) == c
    full = site_at_head.folder
    # The hour before: the session's site job at A (a blob-less clone, `archiver site`), run
    # once for the run, its .git/archiver laid out as with the default cache: the history
    # index beside site-cache/. (Its cache keeps an index copy there too, which a cache beside
    # the index never reads.)
    assert site_cached_at_a.a == a
    cached_folder = root / "cached"
    shutil.copytree(site_cached_at_a.clone / ".git" / INDEX_FILE.parent, cached_folder)
    site_cache = default_cache_dir(site_cached_at_a.clone).name
    shutil.copytree(site_cached_at_a.cache, cached_folder / site_cache)
    return Upstream(bare, a, c, full, cached_folder, root)


def shallow_clone(bare: Path, target: Path) -> Path:
    """Clone bare over file:// as the site job's checkout does: HEAD alone, without blobs."""
    subprocess.run(
        [
            "git",
            "clone",
            "--quiet",
            "--depth",
            "1",
            "--filter=blob:none",
            f"file://{bare}",
            str(target),
        ],
        check=True,
        capture_output=True,
    )
    return target


def index_rows(repo: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Return the history index's commits and changes, brought up to the clone's HEAD."""
    HistoryIndex(repo).close()
    with sqlite3.connect(
        Path(git(repo, "rev-parse", "--absolute-git-dir").strip()) / INDEX_FILE
    ) as db:
        commits = db.execute("SELECT * FROM commits ORDER BY seq").fetchall()
        changed = db.execute("SELECT * FROM changes ORDER BY seq, path").fetchall()
    return commits, changed


def commits_held(repo: Path) -> list[str]:
    """Return the commits the clone holds, newest first."""
    return git(repo, "rev-list", "HEAD").split()


@dataclass(frozen=True)
class HourlyJob:
    """This hour's site job: its shallow clone of C with last hour's cache, and its build."""

    clone: Path
    held_before: list[str]
    report: SiteReport
    site: Path


@pytest.fixture(scope="module")
def site_job(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> HourlyJob:
    """Run this hour's site job once for the module (tests copy the clone to change it)."""
    root = tmp_path_factory.mktemp("hourly")
    clone = shallow_clone(upstream.bare, root / "clone")
    held_before = commits_held(clone)
    shutil.copytree(upstream.cached_folder, clone / ".git" / INDEX_FILE.parent)
    report = build_site(
        clone,
        root / "site",
        base_url=SITE_BASE_URL,
        cache=default_cache_dir(clone),
        built=built_at(clone, "HEAD"),
    )
    return HourlyJob(clone, held_before, report, root / "site")


def test_a_shallow_clone_is_deepened_only_to_the_cached_head(
    upstream: Upstream, site_job: HourlyJob
) -> None:
    clone, report = site_job.clone, site_job.report
    assert site_job.held_before == [upstream.c]

    since_a = git(clone, "rev-list", "--first-parent", "--count", f"{upstream.a}..HEAD").strip()
    assert report.history.startswith(f"history read incrementally: {since_a} new commits")
    assert f"shallow clone deepened to {upstream.a[:12]}" in report.history
    held = commits_held(clone)
    assert (clone / ".git" / "shallow").exists()
    # A and the commits after it, fetched by doubling depth: never more than twice as many.
    assert upstream.a in held and len(held) < 2 * (held.index(upstream.a) + 1)
    assert len(held) < int(git(upstream.bare, "rev-list", "--count", "HEAD"))
    # The history index kept the commits before A it was restored with, as the upstream's
    # whole history indexes them (no rebuild from the clone's shallow root, which would pass
    # for a sync adding everything).
    assert index_rows(clone) == index_rows(upstream.bare)
    built, full = files(site_job.site), files(upstream.full)
    assert built.keys() == full.keys()
    assert [path for path in full if built[path] != full[path]] == []


def test_a_shallow_clone_without_a_cache_fetches_all_history(
    upstream: Upstream, tmp_path: Path
) -> None:
    clone = shallow_clone(upstream.bare, tmp_path / "clone")

    report = build_site(
        clone,
        tmp_path / "site",
        base_url=SITE_BASE_URL,
        cache=default_cache_dir(clone),
        built=built_at(clone, "HEAD"),
    )

    assert "no readable site cache: history read in full" in report.history
    assert "shallow clone: the whole history fetched" in report.history
    assert not (clone / ".git" / "shallow").exists()
    assert len(commits_held(clone)) == int(git(upstream.bare, "rev-list", "--count", "HEAD"))
    built, full = files(tmp_path / "site"), files(upstream.full)
    assert built.keys() == full.keys()
    assert [path for path in full if built[path] != full[path]] == []


def test_a_whole_clone_is_left_alone(site_archive: SiteArchive, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(site_archive.repo), str(clone))
    # An origin that cannot answer: any fetch would fail the call.
    git(clone, "remote", "set-url", "origin", f"file://{tmp_path / 'gone.git'}")

    assert fetch_history_after(clone, None) == Deepening(0, False, True, "")
    assert fetch_history_after(clone, head(clone)) == Deepening(0, False, True, "")


def test_the_export_after_a_shallow_site_build_equals_a_full_export(
    upstream: Upstream, site_job: HourlyJob, site_archive: SiteArchive, tmp_path: Path
) -> None:
    """The hourly job exports after the site: last hour's export (at A) is brought up to C
    with the history the site's deepening fetched, and an export with no earlier one fetches
    the whole history first; both equal an export of the whole archive."""
    from archiver.export import export_parquet

    whole = tmp_path / "whole"
    export_parquet(site_archive.repo, whole)
    at_a = tmp_path / "clone-a"
    git(tmp_path, "clone", "--quiet", f"file://{upstream.bare}", str(at_a))
    git(at_a, "reset", "--quiet", "--hard", upstream.a)
    hourly = tmp_path / "hourly"
    export_parquet(at_a, hourly)
    # The clone as this hour's site job left it (deepened to A), copied: the export deepens it.
    clone = Path(shutil.copytree(site_job.clone, tmp_path / "clone", symlinks=True))
    held = commits_held(clone)
    assert held == commits_held(site_job.clone) and upstream.a in held

    export_parquet(clone, hourly)
    assert commits_held(clone) == held  # Nothing more fetched: A was already there.
    assert files(hourly) == files(whole)

    fresh = tmp_path / "fresh"
    export_parquet(clone, fresh)
    assert not (clone / ".git" / "shallow").exists()
    assert files(fresh) == files(whole)


def test_a_shallow_clone_whose_remote_is_gone_fails_in_one_line(
    upstream: Upstream, tmp_path: Path
) -> None:
    clone = shallow_clone(upstream.bare, tmp_path / "clone")
    git(clone, "remote", "set-url", "origin", f"file://{tmp_path / 'gone.git'}")

    result = CliRunner().invoke(main, ["site", "--repo", str(clone), "--out", str(tmp_path / "s")])

    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "could not fetch history (--unshallow)" in lines[0], lines
    assert "check the network" in lines[0]
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())
