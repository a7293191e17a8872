"""Shared fixtures: the small real captures committed under tests/captures, read once.

Every test runs on them, on any machine, with or without ../shared: they are a few dozen
models of each real daily sweep and /api/v1/models capture (tests/captures/trim.py), with
every oddity of the real data kept. The full captures in ../shared are for the benches
(bench/) alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture, read_capture
from archiver.cli import main
from archiver.site import build_site
from tests.browser import launch_chromium, recording_page, serve_folder
from tests.site_helpers import SiteArchive, build_test_archive
from tests.small_captures import SMALL_DAILY, SMALL_V1_MODELS, SyncedArchive, sync_small

DAILY = SMALL_DAILY
V1_MODELS = SMALL_V1_MODELS


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
    """Return an archive synced from every capture, June's v1-models then July's daily ones."""
    repo = tmp_path_factory.mktemp("v1-then-daily") / "archive"
    captures = [read_capture(path) for path in [*v1_models_paths, *daily_paths]]
    logs = [sync_small(repo, capture) for capture in captures]
    for capture, log in zip(captures, logs, strict=True):
        assert log.commit_id, f"sync of {capture.path} committed nothing"
    return SyncedArchive(repo, captures, logs)


@pytest.fixture(scope="session")
def daily_imported_archive(
    tmp_path_factory: pytest.TempPathFactory, daily_paths: list[Path]
) -> Path:
    """Return an archive of the three daily captures made by `archiver import`."""
    repo = tmp_path_factory.mktemp("daily-imported") / "archive"
    result = CliRunner().invoke(main, ["import", "--repo", str(repo), *map(str, daily_paths)])
    assert result.exit_code == 0, result.output
    return repo


@pytest.fixture(scope="session")
def site_archive(
    tmp_path_factory: pytest.TempPathFactory, v1_models_paths: list[Path], daily_paths: list[Path]
) -> SiteArchive:
    """Return the site's archive: 2 v1-models and 3 daily captures, a hostile one, telemetry.

    Built once; the site and browser tests read it and must not write to it.
    """
    return build_test_archive(tmp_path_factory.mktemp("site-archive"), v1_models_paths, daily_paths)


@pytest.fixture(scope="session")
def site_folder(site_archive: SiteArchive, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the site built once from `site_archive` (read only)."""
    out = tmp_path_factory.mktemp("served-site") / "site"
    build_site(site_archive.repo, out)
    return out


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
