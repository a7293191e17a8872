"""A full disk outside `sync`: `site` and `export` stop with one line and lose nothing.

- `archiver site` on a full disk: the history index could not grow, and sqlite's
  "disk I/O error" came out as a traceback. A page or the site cache that could not be
  written gave "File too large; check the path" naming no path, and the half-built copy
  beside --out stayed there, holding the space that ran out.
- `archiver export` on a full disk named no folder either (Arrow's words only), and a
  rerun retried the whole export in full, writing every partition again into the disk
  that had just run out.

Each: one line, exit 3, no traceback; the previous site or export as it was (each Parquet
file still readable); the next run with room builds what a clean run builds. A write beyond
RLIMIT_FSIZE fails with EFBIG (SIGXFSZ ignored), as a full disk's writes do, in a child
process. A real small archive of two syncs of one catalog model in MODEL_STEP (every kind
of page, cache file and partition is still there; a site build grows with the models), the
command line.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.site import build_site
from archiver.site.incremental import default_cache_dir
from tests.small_captures import (
    archives_in_turn,
    copy_archive,
    small_captures,
    some_models,
    sync_small,
    with_models_only,
)

__all__ = ["small_captures"]

BUILT = datetime(2026, 7, 20, tzinfo=UTC)
MODEL_STEP = 4
CHILD = """
import resource, runpy, signal, sys
limit = int(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv = ["archiver", *sys.argv[2:]]
runpy.run_module("archiver", run_name="__main__")
"""


def with_file_limit(limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the archiver in a child whose writes fail past `limit` bytes per file."""
    command = [sys.executable, "-c", CHILD, str(limit), *args]
    return subprocess.run(command, capture_output=True, text=True)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """Assert exit 3, one `Error:` line and no traceback; return the line."""
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def files_of(folder: Path) -> dict[str, bytes]:
    """Return {relative path: bytes} of every file below folder."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def captures(small_captures: list[Capture]) -> list[Capture]:
    """Return the first two small captures cut to one catalog model in MODEL_STEP."""
    keys = some_models(small_captures[1], MODEL_STEP, featured=2)
    return [with_models_only(capture, keys) for capture in small_captures[:2]]


@pytest.fixture(scope="module")
def in_turn(tmp_path_factory: pytest.TempPathFactory, captures: list[Capture]) -> list[Path]:
    """Return archives of the first capture and of the first two (do not write to them)."""
    return archives_in_turn(tmp_path_factory, "full-disk", captures)


@pytest.fixture(scope="module")
def one_sync(in_turn: list[Path]) -> Path:
    """Return an archive of the first small capture (do not write to it)."""
    return in_turn[0]


@pytest.fixture(scope="module")
def two_syncs(in_turn: list[Path]) -> Path:
    """Return an archive of the first two small captures (do not write to it)."""
    return in_turn[1]


@pytest.fixture(scope="module")
def built(two_syncs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Return (a copy of the archive, its site) after one build as `archiver site` makes it,
    the cache in the repository, at BUILT (copy both)."""
    folder = tmp_path_factory.mktemp("full-disk-site")
    repo = copy_archive(two_syncs, folder / "archive")
    build_site(repo, folder / "site", built=BUILT, cache=default_cache_dir(repo))
    return repo, folder / "site"


@pytest.fixture(scope="module")
def clean_site(built: tuple[Path, Path]) -> dict[str, bytes]:
    """Return the files of a site built from a fresh copy of the archive, at BUILT: the first
    build above (one build of the same archive less)."""
    return files_of(built[1])


# (what runs out, file-size limit, extra arguments): the history index rebuilt (its file
# grows past the limit), the site cache's derived history, a page of a build without cache.
# Each limit lies inside the window where that file is the first to outgrow it, on this
# archive: 40-64 KB (the index is 64 KB; below 40 KB a site-cache file outgrows it first),
# 80 KB-1 MB, 100-620 KB.
SITE_CASES = [
    ("history-index", 50_000, ()),
    ("site-cache", 300_000, ()),
    ("page", 300_000, ("--no-cache",)),
]


@pytest.mark.parametrize(("what", "limit", "extra"), SITE_CASES, ids=[c[0] for c in SITE_CASES])
def test_site_on_a_full_disk_keeps_the_last_site_and_the_next_build_is_whole(
    built: tuple[Path, Path],
    clean_site: dict[str, bytes],
    tmp_path: Path,
    what: str,
    limit: int,
    extra: tuple[str, ...],
) -> None:
    repo = copy_archive(built[0], tmp_path / "archive")
    out = Path(shutil.copytree(built[1], tmp_path / "public" / "site"))
    before = files_of(out)
    if what == "history-index":
        shutil.rmtree(repo / ".git" / "archiver")
    args = ["site", "--repo", str(repo), "--out", str(out), *extra]
    line = one_line(with_file_limit(limit, *args))
    if what == "history-index":
        assert "the history index" in line and "free disk space" in line, line
    else:
        assert "the disk or a size limit is full" in line, line
        assert str(repo if what == "site-cache" else out.parent) in line, line
    assert files_of(out) == before, "the last site must stay as it was"
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"], "a half-built copy stayed"
    derived = repo / ".git" / "archiver"
    left = [p.name for p in derived.rglob(".*")] if derived.exists() else []
    assert not left, f"a cache file's half-written copy stayed: {left}"
    # With room again: the same site as a clean build of a fresh copy.
    build_site(repo, out, built=BUILT, cache=repo / ".git" / "archiver" / "site-cache")
    assert files_of(out) == clean_site


def test_export_on_a_full_disk_keeps_the_last_export_and_the_rerun_is_whole(
    one_sync: Path, captures: list[Capture], tmp_path: Path
) -> None:
    repo = copy_archive(one_sync, tmp_path / "archive")
    out = tmp_path / "export"
    first = CliRunner().invoke(main, ["export", "--repo", str(repo), str(out)])
    assert first.exit_code == 0, first.output
    untouched = shutil.copytree(out, tmp_path / "untouched")
    sync_small(repo, captures[1])
    line = one_line(with_file_limit(20_000, "export", "--repo", str(repo), str(out)))
    assert str(out) in line and "ran out of disk space" in line, line
    # Every file still a whole Parquet file (a partition is renamed into place whole).
    assert not list(out.rglob("*.partial"))
    for path in out.rglob("*.parquet"):
        pq.read_table(path)
    # With room again: what an export that never failed writes.
    again = CliRunner().invoke(main, ["export", "--repo", str(repo), str(out)])
    assert again.exit_code == 0, again.output
    never_failed = CliRunner().invoke(main, ["export", "--repo", str(repo), str(untouched)])
    assert never_failed.exit_code == 0, never_failed.output
    assert files_of(out) == files_of(untouched)
