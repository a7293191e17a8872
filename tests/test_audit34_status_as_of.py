"""A site built as of an old sync (`archiver site --at`) does not call itself stale.

The header of such a site shows "as of" and the sync it was built at, never the reader's
clock against it: the site is a snapshot on purpose. Its status page still carried the
freshness check, so in a browser it said "synced 134 days ago", a "stale" badge and the
warning that "the hourly sync may have stopped, or this copy of the site is no longer
rebuilt": false of a snapshot, whose archive may well be syncing every hour. The status
page now leaves the check out of an `--at` build, as the header does; the site of HEAD
keeps it (tests/test_site_grid.py `test_freshness_says_old_and_warns`).

A real archive (one real sync of a cut small capture, months old), its site built as of
that sync, Debian's Chromium with JavaScript on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.site import build_site
from tests.browser import launch_chromium, needs_chromium, recording_page, serve_folder
from tests.small_captures import small_daily, some_models, sync_small, with_models_only

pytestmark = needs_chromium
pytest.importorskip("playwright.sync_api")


def test_the_status_page_of_an_old_snapshot_is_not_stale(tmp_path: Path) -> None:
    capture = small_daily()[0]
    capture = with_models_only(capture, some_models(capture, 50, featured=1))
    repo = tmp_path / "archive"
    assert sync_small(repo, capture).commit_id
    build_site(repo, tmp_path / "site", at=capture.time)
    site = serve_folder(tmp_path / "site")
    with site as url, launch_chromium() as browser, recording_page(browser, "as-of") as page:
        page.goto(url + "status.html")
        assert page.locator(".banner", has_text="as it was at").is_visible()
        assert page.locator(".stale-note").is_hidden()
        assert page.locator("main .badge", has_text="stale").is_hidden()
        assert "when this site was built" in page.locator(".big-age").inner_text()
