"""One failed request for the history index does not leave the change monitor offline.

The monitor's filters search the whole history from its index, one JSON file a month;
where the index cannot be read (a page opened from disk) they fall back to the changes on
the page and say so. A single failed request for a month's file (a network blip, a 503
while Pages deploys) put the page in that fallback for good: every later filter said "on
this page only (the history index could not be read)", the failed answer kept, until the
reader reloaded. The next filter now asks again.

The session's site of the small captures, served on loopback by a server that answers the
first request for a month of the index with 503, in Debian's Chromium.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.browser import needs_chromium, serve_handler

pytestmark = needs_chromium
expect = pytest.importorskip("playwright.sync_api").expect


class _FailsOnce(http.server.SimpleHTTPRequestHandler):
    """Serves the site, but answers 503 to the first request for a month of the index."""

    failed: ClassVar[list[str]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:
        month = "/changes/index/" in self.path and "manifest" not in self.path
        with self.lock:
            fail = month and not self.failed
            if fail:
                self.failed.append(self.path)
        if fail:
            self.send_error(503, "deploying")
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_filter_after_a_failed_month_searches_the_whole_history(
    browser: Any, site_folder: Path
) -> None:
    _FailsOnce.failed.clear()
    handler = functools.partial(_FailsOnce, directory=str(site_folder))
    with serve_handler(handler) as url:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(url + "changes/index.html")
            scope = page.locator("[data-scope]")
            page.fill("[data-filter=model]", "gpt")
            expect(scope).to_have_text("on this page only (the history index could not be read)")
            assert _FailsOnce.failed
            page.fill("[data-filter=model]", "gp")
            expect(scope).to_contain_text("of the whole history")
        finally:
            context.close()
