"""Without JavaScript, a page whose search and filters cannot work says so.

The endpoint grid tells a reader without JavaScript that its search, sorting and filters
need it. The models table, the providers table and the change monitor showed the same
controls with no word: a reader could tick "orphans only" or type a model into the
monitor's filter and read the unfiltered list under it as the answer (the monitor's own
line below even said "the filters above search the whole history"). Each now says what
needs JavaScript and what the page lists without it.

The session's site of the small captures, in Debian's Chromium with JavaScript off, then on.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import needs_chromium

pytestmark = needs_chromium
pytest.importorskip("playwright.sync_api")

NOTES = {
    "models.html": "Search, sorting and filters need JavaScript",
    "providers.html": "Search and sorting need JavaScript",
    "changes/index.html": "The filters need JavaScript",
}


def test_pages_with_inert_controls_say_so_without_javascript(browser: Any, site_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        for path, note in NOTES.items():
            page.goto(site_url + path)
            shown = page.locator(".nojs")
            assert shown.is_visible(), path
            assert note in shown.inner_text(), path
    finally:
        context.close()


def test_with_javascript_no_note_shows(page: Any, site_url: str) -> None:
    for path in NOTES:
        page.goto(site_url + path)
        assert page.locator(".nojs").count() == 0, path
