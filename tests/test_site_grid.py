"""The endpoint grid at any size, in a real headless Chromium: virtual rows, URL state,
keyboard, the paged tables without JavaScript, the phone layout and honest freshness."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest

from archiver.paths import key_to_path
from archiver.times import parse_time
from tests.archive_helpers import git, keys_at
from tests.browser import needs_chromium, recording_page, screenshot
from tests.site_helpers import SiteArchive

pytestmark = needs_chromium
pytest.importorskip("playwright.sync_api")

# Scrolls the grid's scroller from top to bottom and returns, for every row of the grid in
# order (aria-rowindex), what `pick` reads from its rendered <tr>: the rows a reader sees.
_SCROLL_THROUGH = """async ({selector, attribute}) => {
  const table = document.querySelector('#endpoint-grid');
  const wrap = table.closest('[data-grid-scroll]');
  const total = Number(table.getAttribute('aria-rowcount')) - 1;
  const found = new Map();
  // Until the grid has drawn for the new scroll position: one frame, then a task. Setting
  // scrollTop queues a scroll event for the next frame, which dispatches it before running
  // that frame's animation callbacks; the grid's handler asks for one (its render), which
  // still runs in that frame after ours, since a frame runs every callback asked for before
  // it starts them. A task posted from our callback runs after the frame: after the render.
  // (A second frame waited 17 ms more per step, on 20 scrolls through the grid per run.)
  const frame = () => new Promise(done => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => done();
    channel.port2.postMessage(null);
  }));
  wrap.scrollTop = 0;
  await frame();
  for (let step = 0; step < 100000; step++) {
    for (const tr of table.querySelectorAll('tbody tr[aria-rowindex]')) {
      const index = Number(tr.getAttribute('aria-rowindex')) - 2;
      const holder = selector ? tr.querySelector(selector) : tr;
      if (!found.has(index)) { found.set(index, holder ? holder.getAttribute(attribute) : null); }
    }
    // On to the last row drawn, which the next draw holds (it is in view then): the grid
    // draws rows past the view, so this skips none and takes a fraction of the steps.
    const drawn = table.querySelectorAll('tbody tr[aria-rowindex]');
    const last = drawn.length ? drawn[drawn.length - 1].getBoundingClientRect().top : 0;
    const before = wrap.scrollTop;
    const lastTop = last - wrap.getBoundingClientRect().top + before;
    wrap.scrollTop = Math.max(before + wrap.clientHeight * 0.7, lastTop - 1);
    if (wrap.scrollTop === before) { break; }
    await frame();
  }
  wrap.scrollTop = 0;
  const rows = Array.from({length: total}, (_, i) => found.has(i) ? found.get(i) : '<missing>');
  return {total, rows};
}"""


def grid_column(page: Any, selector: str | None = None, attribute: str = "data-id") -> list[Any]:
    """Return an attribute of every row of the grid, in order, scrolling through it."""
    page.wait_for_selector("#endpoint-grid[data-ready]")
    result = page.evaluate(_SCROLL_THROUGH, {"selector": selector, "attribute": attribute})
    rows = result["rows"]
    assert "<missing>" not in rows, "the grid skipped rows while scrolling"
    assert len(rows) == result["total"]
    return list(rows)


def _archived_endpoints(archive: SiteArchive) -> dict[str, dict[str, Any]]:
    """Return HEAD's endpoints by endpointId, read from the archive's work tree."""
    return {
        key: orjson.loads((archive.repo / key_to_path("endpoint", key)).read_bytes())
        for key in keys_at(archive.repo)["endpoint"]
    }


def _rendered_rows(page: Any) -> int:
    return int(page.locator("#endpoint-grid tbody tr[aria-rowindex]").count())


def test_grid_renders_only_what_is_in_view(page: Any, site_url: str, archive: SiteArchive) -> None:
    endpoints = _archived_endpoints(archive)
    page.goto(site_url + "index.html")
    page.wait_for_selector("#endpoint-grid[data-ready]")
    total = int(page.get_attribute("#endpoint-grid", "aria-rowcount")) - 1
    assert total == len(endpoints)
    viewport_rows = 900 // 50
    # The small archive is many screens long: a grid that renders every row fails here.
    assert total > 4 * viewport_rows
    assert 0 < _rendered_rows(page) < 3 * viewport_rows
    page.locator("[data-grid-scroll]").evaluate("wrap => { wrap.scrollTop = wrap.scrollHeight; }")
    # Predicates are functions, never bare expressions: Playwright polls a bare expression
    # with eval() inside the page, which the site's CSP (no unsafe-eval) refuses.
    page.wait_for_function(
        f"() => document.querySelector('#endpoint-grid tbody tr[aria-rowindex=\"{total + 1}\"]')"
    )
    assert 0 < _rendered_rows(page) < 3 * viewport_rows
    ids = grid_column(page)
    assert sorted(ids) == sorted(endpoints)


def test_url_state_round_trips(page: Any, site_url: str, archive: SiteArchive) -> None:
    page.goto(site_url + "index.html")
    page.wait_for_selector("#endpoint-grid[data-ready]")
    total = len(_archived_endpoints(archive))
    page.fill("[data-search]", "a")
    page.locator("#endpoint-grid th", has_text="Output").click()
    page.locator("#endpoint-grid th", has_text="Output").click()
    page.click("summary:has-text('Features')")
    page.check("input[data-facet=f][value=tools]")
    page.keyboard.press("Escape")
    shown = grid_column(page)
    prices = grid_column(page, "td.c-out", "data-v")
    assert 0 < len(shown) < total
    known = [float(p) for p in prices if p]
    assert known == sorted(known, reverse=True) and prices[: len(known)] == [p for p in prices if p]
    assert re.search(r"[?&]q=a(&|$)", page.url) and "sort=output" in page.url
    assert "dir=desc" in page.url and "f=tools" in page.url

    page.wait_for_function("() => location.search.includes('f=tools')")
    page.reload()
    assert grid_column(page) == shown
    assert page.input_value("[data-search]") == "a"
    assert page.is_checked("input[data-facet=f][value=tools]")
    header = page.locator("#endpoint-grid th", has_text="Output")
    assert header.get_attribute("aria-sort") == "descending"
    assert page.inner_text("[data-count]") == f"{len(shown):,}"

    # Back undoes the facet (pushed), forward restores it.
    page.go_back()
    tools = "document.querySelector('input[data-facet=f][value=tools]').checked"
    page.wait_for_function(f"() => !{tools}")
    unfaceted = grid_column(page)
    assert len(unfaceted) > len(shown) and "f=tools" not in page.url
    page.go_forward()
    page.wait_for_function(f"() => {tools}")
    assert grid_column(page) == shown


def test_sort_cycles_and_leaves_unknown_last(page: Any, site_url: str) -> None:
    page.goto(site_url + "index.html")
    default = grid_column(page)
    header = page.locator("#endpoint-grid th", has_text="Context")
    header.focus()
    page.keyboard.press("Enter")
    contexts = grid_column(page, "td.c-ctx", "data-v")
    known = [int(v) for v in contexts if v]
    assert known == sorted(known) and known[0] < known[-1]
    assert all(v == "" for v in contexts[len(known) :])
    page.keyboard.press("Enter")
    assert [int(v) for v in grid_column(page, "td.c-ctx", "data-v") if v] == sorted(
        known, reverse=True
    )
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") is None
    assert grid_column(page) == default
    assert "sort=" not in page.url


def test_escape_closes_menus(page: Any, site_url: str) -> None:
    page.goto(site_url + "index.html")
    menu = page.locator("details.drop", has_text="Modalities")
    menu.locator("summary").click()
    assert menu.get_attribute("open") is not None
    page.keyboard.press("Escape")
    assert menu.get_attribute("open") is None
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"


def test_skip_link_reaches_main(page: Any, site_url: str) -> None:
    for path in ("index.html", "models.html", "status.html", "endpoints/page-1.html"):
        page.goto(site_url + path)
        page.keyboard.press("Tab")
        skip = page.locator("a.skip")
        assert page.evaluate("document.activeElement.className") == "skip"
        assert skip.is_visible() and skip.get_attribute("href") == "#main"
        page.keyboard.press("Enter")
        page.wait_for_url("**#main")


def test_without_javascript_every_endpoint_is_in_the_pages(
    browser: Any, site_url: str, archive: SiteArchive
) -> None:
    endpoints = _archived_endpoints(archive)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1440, "height": 900}
    )
    page = context.new_page()
    page.goto(site_url + "index.html")
    preview = page.locator("#endpoint-grid tbody tr").count()
    assert 0 < preview < len(endpoints)
    assert page.locator(".asof .dot-live").is_hidden()  # No "live" claim it cannot check.
    with page.expect_navigation():
        page.click("text=as plain pages")
    unit = {key for key, e in endpoints.items() if _unit_priced_only(e)}
    assert unit
    seen: list[str] = []
    while True:
        seen += page.locator("#endpoint-page tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.id)"
        )
        # Unit-priced endpoints read in their unit, never as dollars per million tokens.
        for key in unit & set(seen):
            cell = page.locator(f"#endpoint-page tr[data-id='{key}'] td.c-in")
            if cell.count():
                label = endpoints[key]["display_pricing"][0]["unitLabel"]
                assert cell.inner_text().endswith(label), key
        older = page.locator("nav.pager a[rel=next]").first
        if not older.count():
            break
        with page.expect_navigation():
            older.click()
    assert len(seen) == len(set(seen)) and set(seen) == set(endpoints)
    assert page.url.endswith(f"endpoints/page-{-(-len(seen) // 200)}.html")
    screenshot(page, "endpoints-paged-no-js")
    context.close()


def _unit_priced_only(endpoint: dict[str, Any]) -> bool:
    prices = endpoint.get("display_pricing") or []
    return bool(prices) and all(price.get("kind") == "unit" for price in prices)


def test_phone_shows_cards_with_prices(browser: Any, site_url: str, archive: SiteArchive) -> None:
    endpoints = _archived_endpoints(archive)
    with recording_page(browser, "phone-grid-cards", 390, 844) as phone:
        phone.goto(site_url + "index.html")
        phone.wait_for_selector("#endpoint-grid[data-ready]")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        rows = phone.locator("#endpoint-grid tbody tr[aria-rowindex]")
        checked = 0
        for number in range(3):
            row = rows.nth(number)
            endpoint = endpoints[row.get_attribute("data-id") or ""]
            for cell in ("td.c-model a", "td.c-prov a", "td.c-in", "td.c-out"):
                box = row.locator(cell).bounding_box()
                assert box and box["width"] > 0, (number, cell)
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (number, cell, box)
                assert box["y"] >= 0 and box["y"] + box["height"] <= 844, (number, cell, box)
            assert row.locator("td.c-prov code").inner_text().startswith(endpoint["provider_slug"])
            prompt = (endpoint.get("pricing") or {}).get("prompt")
            if prompt is not None and float(prompt) > 0 and not _unit_priced_only(endpoint):
                shown = row.locator("td.c-in").inner_text().replace("$", "").replace(",", "")
                assert abs(float(shown.split()[-1]) - float(prompt) * 1e6) < 0.01, shown
                checked += 1
        nav = phone.locator("header.top nav a")
        sections = {"Endpoints", "Models", "Providers", "Changes", "API", "Status"}
        assert sections <= {link.inner_text() for link in nav.all()}
        for link in nav.all():
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, link.inner_text()
        screenshot(phone, "phone-grid-cards")
    assert checked, "no card with a token price among the first three"


def _newest_sync(archive: SiteArchive) -> datetime:
    """Return the epoch of the archive's newest sync, from its commits' trailers."""
    trailer = git(archive.repo, "log", "-1", "--format=%(trailers:key=Sync-Epoch,valueonly)")
    return parse_time(trailer.strip())


def test_freshness_says_old_and_warns(page: Any, site_url: str, archive: SiteArchive) -> None:
    newest = _newest_sync(archive)
    days = round((datetime.now(newest.tzinfo) - newest).total_seconds() / 86400)
    assert days > 1, "the test archive's syncs are months old"
    page.goto(site_url + "index.html")
    label = page.locator(".asof [data-fresh-age]").inner_text()
    assert label == f"synced {days} days ago"
    assert page.locator(".asof [data-fresh-stale]").is_visible()
    assert page.locator(".asof .dot-live").is_hidden()
    page.goto(site_url + "status.html")
    assert page.locator(".banner.stale-note").is_visible()
    assert f"synced {days} days ago" in page.locator("main").inner_text()


def test_freshness_of_a_recent_sync_is_live(
    browser: Any, site_url: str, archive: SiteArchive
) -> None:
    newest = _newest_sync(archive)
    with recording_page(browser, "fresh") as fresh:
        # The reader's clock two hours after the newest sync: the site is fresh.
        fresh.clock.set_fixed_time(newest + timedelta(hours=2))
        fresh.goto(site_url + "index.html")
        assert fresh.locator(".asof [data-fresh-age]").inner_text() == "synced 2 h ago"
        assert fresh.locator(".asof .dot-live").is_visible()
        assert fresh.locator(".asof [data-fresh-stale]").is_hidden()
        fresh.clock.set_fixed_time(newest + timedelta(hours=3, minutes=5))
        fresh.goto(site_url + "status.html")
        assert fresh.locator(".banner.stale-note").is_visible()
        assert fresh.locator(".asof .dot-live").is_hidden()


@pytest.fixture
def archive(site_archive: SiteArchive) -> SiteArchive:
    """Return the session's site archive (tests/conftest.py); read only."""
    return site_archive
