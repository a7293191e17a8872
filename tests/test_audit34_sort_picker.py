"""The endpoint grid's sort picker names the order the rows are in, whatever set it.

On a phone the grid's headers are hidden and the picker ("Newest first", "Input price,
cheapest"...) is the only sort control. A link sorted by a column the picker does not list
(`?sort=created`, as a header click on a laptop writes it: oldest first) opened there with
the picker reading "Newest first" over rows in the opposite order; so did latency
descending or uptime. The picker now names such a sort ("Added, ascending") while it holds,
and drops the name once another sort is picked.

The session's site of the small captures in Debian's Chromium at a phone's size; the
expected order is read from the archived endpoint files.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from archiver.times import parse_time
from tests.browser import needs_chromium
from tests.site_helpers import SiteArchive

pytestmark = needs_chromium
pytest.importorskip("playwright.sync_api")

_PICKED = "s => s.options[s.selectedIndex].text"


def test_a_shared_column_sort_is_named_in_the_phone_picker(
    browser: Any, site_url: str, site_archive: SiteArchive
) -> None:
    folder = site_archive.repo / "data" / "endpoint"
    created = [orjson.loads(p.read_bytes()).get("created_at") for p in folder.rglob("*.json")]
    oldest = min(parse_time(stamp) for stamp in created if stamp)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(site_url + "index.html?sort=created")
        page.wait_for_selector("#endpoint-grid[data-ready]")
        first = page.locator("#endpoint-grid tbody tr[data-id] td.c-add").first.inner_text()
        assert first == f"{oldest:%Y-%m-%d}"  # Oldest first: not the default order.
        picker = page.locator("[data-sort-pick]")
        assert picker.is_visible()
        assert picker.evaluate(_PICKED) == "Added, ascending"
        picker.select_option("input")
        assert picker.evaluate(_PICKED) == "Input price, cheapest"
        assert picker.locator("option", has_text="Added").count() == 0
    finally:
        context.close()
