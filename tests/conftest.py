"""Shared fixtures: the small real captures committed under tests/captures, read once.

Every test runs on them, on any machine, with or without ../shared: they are a few dozen
models of each real daily sweep and /api/v1/models capture (tests/captures/trim.py), with
every oddity of the real data kept. The full captures in ../shared are for the benches
(bench/) alone.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture, read_capture
from archiver.cli import main
from archiver.site import build_site
from tests.archive_helpers import built_once
from tests.browser import launch_chromium, recording_page, serve_folder
from tests.site_helpers import (
    SITE_BASE_URL,
    CachedBuild,
    HeadBuild,
    SiteArchive,
    build_test_archive,
    built_at,
    entity_commits,
    load_site_archive,
    partial_clone,
    save_site_archive,
)
from tests.small_captures import (
    SMALL_DAILY,
    SMALL_V1_MODELS,
    SyncedArchive,
    copy_archive,
    sync_small,
)

DAILY = SMALL_DAILY
V1_MODELS = SMALL_V1_MODELS
SITE_ARCHIVE_FACTS = "site-archive.json"


def _committed(paths: list[Path], what: str) -> list[Path]:
    """Return committed capture files; their absence is a broken checkout, not a skip."""
    if not paths:
        raise pytest.UsageError(
            f"no {what} captures under tests/captures; run tests/captures/trim.py"
        )
    return paths


@pytest.fixture(scope="session")
def daily_paths() -> list[Path]:
    """Return the small daily capture files, oldest first."""
    return _committed(DAILY, "daily")


@pytest.fixture(scope="session")
def v1_models_paths() -> list[Path]:
    """Return the small /api/v1/models capture files, oldest first."""
    return _committed(V1_MODELS, "v1-models")


@pytest.fixture(scope="session")
def daily_capture(daily_paths: list[Path]) -> Capture:
    """Return the newest small daily capture, read once for the whole session."""
    return read_capture(daily_paths[-1])


# Archives several test modules read, built once per session. Tests must not write to them:
# copy one first (tests/small_captures.py `copy_archive`).


@pytest.fixture(scope="session")
def v1_then_daily_archive(
    tmp_path_factory: pytest.TempPathFactory, v1_models_paths: list[Path], daily_paths: list[Path]
) -> SyncedArchive:
    """Return an archive synced from every capture, June's v1-models then July's daily ones.

    Synced once for the run; each worker reads its own copy (a history read writes its index
    into .git), with the sync logs the one build kept.
    """
    paths = [*v1_models_paths, *daily_paths]

    def build(folder: Path) -> None:
        logs = [sync_small(folder / "archive", path) for path in paths]
        for path, log in zip(paths, logs, strict=True):
            assert log.commit_id, f"sync of {path} committed nothing"
        (folder / "logs.pickle").write_bytes(pickle.dumps(logs))

    shared = built_once(tmp_path_factory, "v1-then-daily", build)
    repo = copy_archive(shared / "archive", tmp_path_factory.mktemp("v1-then-daily") / "archive")
    logs = pickle.loads((shared / "logs.pickle").read_bytes())
    return SyncedArchive(repo, [read_capture(path) for path in paths], logs)


@pytest.fixture(scope="session")
def daily_imported_archive(
    tmp_path_factory: pytest.TempPathFactory, daily_paths: list[Path]
) -> Path:
    """Return an archive of the three daily captures made by `archiver import`.

    Imported once for the run; each worker reads its own copy.
    """

    def build(folder: Path) -> None:
        command = ["import", "--repo", str(folder / "archive"), *map(str, daily_paths)]
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0, result.output

    shared = built_once(tmp_path_factory, "daily-imported", build)
    return copy_archive(shared / "archive", tmp_path_factory.mktemp("daily-imported") / "archive")


@pytest.fixture(scope="session")
def site_archive(
    tmp_path_factory: pytest.TempPathFactory, v1_models_paths: list[Path], daily_paths: list[Path]
) -> SiteArchive:
    """Return the site's archive: 2 v1-models and 3 daily captures, a hostile one, telemetry.

    Built once for the run (tests/archive_helpers.py `built_once`); each worker reads its own
    copy, since a site build writes its history index into .git. Tests must not write to it.
    """

    def build(folder: Path) -> None:
        made = build_test_archive(folder, v1_models_paths, daily_paths)
        save_site_archive(made, folder / SITE_ARCHIVE_FACTS)

    shared = built_once(tmp_path_factory, "site-archive", build)
    # The whole folder: the captures made for it (hostile, with ZDR lists) lie beside it.
    root = tmp_path_factory.mktemp("site-archive") / "copy"
    shutil.copytree(shared, root, symlinks=True)
    return load_site_archive(root / SITE_ARCHIVE_FACTS, root / "archive")


@pytest.fixture(scope="session")
def site_at_head(site_archive: SiteArchive, tmp_path_factory: pytest.TempPathFactory) -> HeadBuild:
    """Return the site built at HEAD, once for the run (read only).

    One build serves every module reading the site archive's site: its pages, feeds and API
    (tests/test_site.py), the served site (`site_folder`) and what the incremental, shallow
    and damaged-cache builds must equal byte for byte. Its build time is fixed by HEAD's epoch
    and its base URL is SITE_BASE_URL (the feeds' links), so those builds can pass the same.
    """

    def build(folder: Path) -> None:
        repo = site_archive.repo
        built = built_at(repo, "HEAD")
        report = build_site(repo, folder / "site", base_url=SITE_BASE_URL, built=built)
        (folder / "report.pickle").write_bytes(pickle.dumps(report))

    shared = built_once(tmp_path_factory, "site-at-head", build)
    report = pickle.loads((shared / "report.pickle").read_bytes())
    return HeadBuild(shared / "site", report.history, report)


@pytest.fixture(scope="session")
def site_folder(site_at_head: HeadBuild) -> Path:
    """Return the site of `site_archive` the browser tests serve: `site_at_head` (read only)."""
    return site_at_head.folder


@pytest.fixture(scope="session")
def site_cached_at_a(
    site_archive: SiteArchive, tmp_path_factory: pytest.TempPathFactory
) -> CachedBuild:
    """Return the hour before HEAD's site job (a blob-less clone at A, `archiver site --cache`),
    run once for the run: the cache the incremental and damaged-cache tests start from (read
    only: copy it to build from it)."""

    def build(folder: Path) -> None:
        a, _ = entity_commits(site_archive.repo)
        clone = partial_clone(site_archive.repo, folder / "clone-a", a)
        command = ["site", "--repo", str(clone), "--out", str(folder / "site")]
        command += ["--base-url", SITE_BASE_URL, "--cache", str(folder / "cache")]
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0, result.output
        (folder / "output.txt").write_text(result.output)

    shared = built_once(tmp_path_factory, "site-cached-at-a", build)
    a, b = entity_commits(site_archive.repo)
    output = (shared / "output.txt").read_text()
    return CachedBuild(a, b, shared / "cache", shared / "site", output, shared / "clone-a")


@pytest.fixture(scope="session")
def site_url(site_folder: Path) -> Iterator[str]:
    """Serve `site_folder` on 127.0.0.1 at a free port for the session."""
    with serve_folder(site_folder) as url:
        yield url


@pytest.fixture(scope="module")
def browser(site_url: str) -> Iterator[Any]:
    """Launch Debian's Chromium once per module, after the site is built and served.

    Module scope, not session: Playwright's sync API keeps an asyncio loop running in this
    thread while it is open, and a sync calls asyncio.run, so no other module may run under
    an open browser. Depending on `site_url` builds the site (which syncs) first.
    """
    with launch_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Return a fresh 1,440 px page that records console errors; the test fails on any."""
    with recording_page(browser, request.node.name) as opened:
        yield opened


# A run writes about 1 GB of scratch (archives, sites, clones, venvs) in tens of thousands of
# small files; on a disk-backed /tmp (here ext4 mounted with `discard`, on a busy VM) each
# file costs a millisecond or more to create and to delete, which made the disk, not the code
# under test, the slowest part of many tests (fault_matrix/test_repository_faults.py: 109 s
# on /tmp, 60 s on /dev/shm, same tests). The tests use the filesystem, not its durability
# (a SIGKILL leaves the page cache as it is), so a RAM-backed one tests the same behaviour.
SCRATCH_IN_RAM = Path("/dev/shm")
SCRATCH_IN_RAM_MIN_FREE = 4 << 30


def _scratch_folder() -> str | None:
    """Return a RAM-backed folder for the run's scratch, unless TMPDIR is set or RAM is tight."""
    if os.environ.get("TMPDIR") or not SCRATCH_IN_RAM.is_dir():
        return None
    if not os.access(SCRATCH_IN_RAM, os.W_OK | os.X_OK):
        return None
    stats = os.statvfs(SCRATCH_IN_RAM)
    if stats.f_bavail * stats.f_frsize < SCRATCH_IN_RAM_MIN_FREE:
        return None
    return str(SCRATCH_IN_RAM)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Put pytest's temp folders, and every child process's, in RAM where there is room."""
    folder = _scratch_folder()
    if folder is not None:
        # The environment reaches every child (git, Chromium, pip, benches, xdist's workers,
        # which then find TMPDIR set and keep it); pytest and tempfile read it from here.
        os.environ["TMPDIR"] = folder
        tempfile.tempdir = None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """Return `-n auto`'s workers: one more than the cores this process may use.

    Part of the suite waits rather than computes (Chromium, pip, git and the replay server in
    other processes, a deadline running out), so with a worker a core one core often idled:
    measured on 2 cores, the whole suite took 494 s with 3 workers against 584 s with 2.
    PYTEST_XDIST_AUTO_NUM_WORKERS still decides when set (None: xdist's own rule).
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1


@pytest.hookimpl(tryfirst=True)  # Before xdist reads the groups off the markers.
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the tests that share a module fixture on one worker (`--dist loadgroup`).

    A module fixture (an archive, a built site, a browser) is built on every worker that runs
    one of its tests; the rest of the suite spreads test by test, so no long file holds one
    worker alone at the end of the run.
    """
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        definitions = info.name2fixturedefs.values() if info is not None else []
        if any(defs and defs[-1].scope == "module" for defs in definitions):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
