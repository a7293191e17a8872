"""A site cache restored from CI storage with a flipped byte or a cut end builds what a build
without it builds.

The hourly site job restores its cache folder with actions/cache: from another run, maybe cut
short by a cancelled save. Its files were trusted once they parsed, so one flipped digit
showed a wrong price: in a kept card's price line (a model page), in a kept change's patch
(api/changes.json). The history index copy cut mid-page was put into the fresh clone's
.git and raised `database disk image is malformed` out of the build. A cache folder can
also hold links at the names a build writes its temporary files to: the build wrote through
them, out of the folder. Now each file carries a digest (the index copy's is in the cache
file) and damage reads as no cache; temporary files are made new.

An archive of the small captures cut to a quarter of their models (B its HEAD, A the commit
before its last sync that changed entities, so A's cache holds price moves, not only
additions), the cache the hourly job at A left (`archiver site --cache` in a blob-less clone
at A, built once for the module), a build at B from a damaged copy of it compared byte for
byte with a build at B without a cache. (The session's site archive served before: each of
the five builds here at B was a build of its whole site.)
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.history.index import INDEX_FILE
from archiver.site import build_site
from archiver.site.card_cache import CARDS_FILE
from archiver.site.derived_cache import CACHE_FILE
from tests.site_helpers import SITE_BASE_URL, built_at, entity_commits, partial_clone
from tests.small_captures import quarter_captures, sync_small

__all__ = ["quarter_captures"]


@dataclass(frozen=True)
class Builds:
    """The archive at B, the cache a build at A left, and the build at B without a cache."""

    repo: Path
    cache: Path
    full: Path


@pytest.fixture(scope="module")
def builds(quarter_captures: list[Capture], tmp_path_factory: pytest.TempPathFactory) -> Builds:
    root = tmp_path_factory.mktemp("state-site-cache")
    # The archive at B: each test takes the history index out of its .git, as a fresh checkout.
    repo = root / "archive"
    for capture in quarter_captures:
        log = sync_small(repo, capture)
        assert log.commit_id and not log.failures, log.failures
    a, _ = entity_commits(repo)
    # The hour before: the site job at A, in a blob-less clone, with its cache.
    clone = partial_clone(repo, root / "clone-a", a)
    command = ["site", "--repo", str(clone), "--out", str(root / "site-a")]
    command += ["--base-url", SITE_BASE_URL, "--cache", str(root / "cache")]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    full = root / "full"
    build_site(repo, full, base_url=SITE_BASE_URL, built=built_at(repo, "HEAD"))
    return Builds(repo, root / "cache", full)


def _flip_first(pattern: bytes) -> Callable[[Path], None]:
    """Return a damage: one bit of the first digit pattern's group holds, flipped (a digit
    stays a digit: 0 and 1, 2 and 3, ... swap)."""

    def damage(path: Path) -> None:
        data = bytearray(path.read_bytes())
        found = re.search(pattern, data)
        assert found, f"nothing matches {pattern!r} in {path.name}"
        data[found.start(1)] ^= 0x01
        path.write_bytes(bytes(data))

    return damage


def _cut_mid_page(path: Path) -> None:
    """Cut a file's last 100 bytes, as a cancelled save might."""
    path.write_bytes(path.read_bytes()[:-100])


# Each damage, the file it hits, and what it showed before.
DAMAGES = {
    # A model page's price line: "$0.22 -> $0.12" read "$1.22 -> $0.12".
    "card price digit": (CARDS_FILE, _flip_first(rb'\[\["[a-z ]+","\$(\d)')),
    # api/changes.json: a price patch's new value, 0.00000037 read 0.10000037.
    "patch price digit": (CACHE_FILE, _flip_first(rb'/pricing/[a-z_]+","value":"0\.(\d)')),
    # A traceback: `database disk image is malformed`.
    "index copy cut": (INDEX_FILE.name, _cut_mid_page),
}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_cache_builds_exactly_what_no_cache_builds(
    builds: Builds, damage: str, tmp_path: Path
) -> None:
    cache = Path(shutil.copytree(builds.cache, tmp_path / "cache"))
    name, damaging = DAMAGES[damage]
    damaging(cache / name)
    # A fresh checkout: no index in .git, so the cache's copy would be put there.
    for path in (builds.repo / ".git" / INDEX_FILE).parent.glob(f"{INDEX_FILE.name}*"):
        path.unlink()

    built = built_at(builds.repo, "HEAD")
    report = build_site(
        builds.repo, tmp_path / "site", base_url=SITE_BASE_URL, cache=cache, built=built
    )

    assert _files(tmp_path / "site") == _files(builds.full)
    # And the cache it leaves serves the next build.
    assert (cache / CACHE_FILE).exists() and report.history


def test_links_in_a_restored_cache_folder_are_never_written_through(
    builds: Builds, tmp_path: Path
) -> None:
    cache = Path(shutil.copytree(builds.cache, tmp_path / "cache"))
    outside = tmp_path / "outside"
    outside.mkdir()
    # Links at the names this process writes its temporary files to, and at the files.
    planted = [f".{CACHE_FILE}.{os.getpid()}", f".{CARDS_FILE}.{os.getpid()}", CARDS_FILE]
    for name in planted:
        (outside / name).write_bytes(b"not the cache's\n")
        (cache / name).unlink(missing_ok=True)
        (cache / name).symlink_to(outside / name)

    built = built_at(builds.repo, "HEAD")
    build_site(builds.repo, tmp_path / "site", base_url=SITE_BASE_URL, cache=cache, built=built)

    assert _files(tmp_path / "site") == _files(builds.full)
    assert all((outside / name).read_bytes() == b"not the cache's\n" for name in planted)
    assert not any((cache / name).is_symlink() for name in planted)
