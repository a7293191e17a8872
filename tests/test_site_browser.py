"""The built site in a real headless Chromium (Debian's), served over HTTP on loopback."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from archiver.history.kinds import Kind, describe_change, importance, model_name
from archiver.history.versions import category_at, changes
from archiver.telemetry import endpoint_series
from tests.browser import needs_chromium, screenshot
from tests.site_helpers import SiteArchive
from tests.test_site_grid import grid_column

pytestmark = needs_chromium
expect = pytest.importorskip("playwright.sync_api").expect
# The grid has applied a search once its URL holds it (a function: the CSP bars eval).
SEARCHED_FOR = "query => new URLSearchParams(location.search).get('q') === query"


@pytest.fixture
def archive(site_archive: SiteArchive) -> SiteArchive:
    """Return the session's site archive (tests/conftest.py); read only."""
    return site_archive


@pytest.fixture
def base_url(site_url: str) -> str:
    """Return the URL the session's site is served at."""
    return site_url


def _entities(archive: SiteArchive, category: str) -> dict[str, dict[str, Any]]:
    """Return HEAD's entities of a category, read from the work tree."""
    folder = archive.repo / "data" / category
    return {
        str(path.relative_to(folder)): orjson.loads(path.read_bytes())
        for path in folder.rglob("*.json")
    }


def _visible_rows(page: Any) -> int:
    """Return how many rows a reader scrolling through the (virtual) grid sees."""
    return len(grid_column(page))


def _shown_count(page: Any) -> int:
    return int(page.locator("[data-count]").inner_text().replace(",", ""))


def test_grid_search_and_facets_match_the_archive(
    page: Any, base_url: str, archive: SiteArchive
) -> None:
    endpoints = _entities(archive, "endpoint")
    models = {m["key"]: m for m in _entities(archive, "model").values()}
    page.goto(base_url + "index.html")
    assert _visible_rows(page) == len(endpoints) == _shown_count(page)
    screenshot(page, "grid")

    page.fill("[data-search]", "deepseek")
    expected = [
        e
        for e in endpoints.values()
        if "deepseek" in f"{e['model']} {e['provider_slug']} {e['provider_display_name']}".lower()
        or "deepseek"
        in str((models.get(e["model"], {}).get("catalog") or {}).get("name", "")).lower()
    ]
    # The grid filters on the next frame and writes the URL just after it: waited for, not
    # timed.
    page.wait_for_function(SEARCHED_FOR, arg="deepseek")
    assert _visible_rows(page) == len(expected) == _shown_count(page)
    assert "q=deepseek" in page.url

    page.fill("[data-search]", "")
    page.click("summary:has-text('Modalities')")
    page.check("input[data-facet=in][value=image]")
    page.click("summary:has-text('Features')")
    page.check("input[data-facet=f][value=tools]")

    def has_image_and_tools(e: dict[str, Any]) -> bool:
        model = models.get(e["model"], {})
        inputs = (
            (model.get("catalog") or {}).get("input_modalities")
            or ((model.get("v1") or {}).get("architecture") or {}).get("input_modalities")
            or []
        )
        return "image" in inputs and "tools" in (e.get("supported_parameters") or [])

    wanted = sum(1 for e in endpoints.values() if has_image_and_tools(e))
    assert 0 < wanted < len(endpoints)
    expect(page.locator("[data-count]")).to_have_text(f"{wanted:,}")
    assert _visible_rows(page) == wanted == _shown_count(page)
    screenshot(page, "grid-filtered")
    page.click("button.reset")
    assert _visible_rows(page) == len(endpoints)


def test_sort_by_price(page: Any, base_url: str) -> None:
    page.goto(base_url + "index.html")
    page.wait_for_selector("#endpoint-grid[data-ready]")
    header = page.locator("#endpoint-grid th", has_text="Input")
    header.click()
    values = grid_column(page, "td:nth-child(4)", "data-v")
    numbers = [float(v) for v in values if v]
    assert numbers == sorted(numbers) and numbers[0] < numbers[-1]
    assert values.index("") > len(numbers) - 1 if "" in values else True  # Unknown prices last.
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    values = grid_column(page, "td:nth-child(4)", "data-v")
    numbers = [float(v) for v in values if v]
    assert numbers == sorted(numbers, reverse=True)
    screenshot(page, "grid-sorted-by-input-price")


def test_model_pricing_chart_history_and_endpoint(
    page: Any, base_url: str, archive: SiteArchive
) -> None:
    drop = next(
        change
        for group in changes(archive.repo)
        for change in group.changes
        if change.category == "endpoint" and "price_down" in change.kinds and change.after
    )
    assert drop.after is not None
    model_key, tag = drop.after["model"], drop.after["provider_slug"]
    page.goto(base_url + "index.html")
    page.wait_for_selector("#endpoint-grid[data-ready]")
    page.fill("[data-search]", model_key)
    page.wait_for_function(SEARCHED_FOR, arg=model_key)
    page.locator("#endpoint-grid tbody tr:not([hidden]) .c-model a").first.click()
    page.wait_for_load_state()
    assert page.locator("h1 + code.key, .hero code.key").first.inner_text() == model_key

    chart = page.locator("#prices .pane.p-input svg.chart")
    assert chart.is_visible()
    exact = page.get_by_text(tag, exact=True)
    legend = page.locator("#prices .pane.p-input .legend li").filter(has=exact)
    assert legend.count() == 1
    series = legend.get_attribute("data-series")
    assert chart.locator(f".s-{series} path.ln").get_attribute("d")
    page.click("#prices label:has-text('Output')")
    assert page.locator("#prices .pane.p-output svg.chart").is_visible()
    assert not chart.is_visible()
    ranges = page.locator("#prices .controls label", has_text="30d")
    if ranges.count():
        ranges.click()
        transform = page.eval_on_selector(
            "#prices .pane.p-output .plot", "g => getComputedStyle(g).transform"
        )
        assert transform != "none"
    screenshot(page, "model-page", full=True)

    history = page.locator("#history .card", has_text=tag).filter(has_text="price")
    assert history.count() >= 1
    price = drop.prices[0]
    shown = history.first.inner_text()
    assert f"{float(price.new) * 1e6:.2f}"[:4] in shown.replace("$", "")

    row = page.locator("#endpoints tbody tr").filter(has=page.get_by_text(tag, exact=True))
    row.first.locator(".c-prov a").click()
    page.wait_for_load_state()
    assert drop.key in page.locator(".hero .badges").inner_text()
    assert page.locator("#history .card").count() >= 2
    screenshot(page, "endpoint-page", full=True)


def test_endpoint_telemetry_charts(page: Any, base_url: str, archive: SiteArchive) -> None:
    if archive.telemetry_endpoint is None:
        pytest.skip("archiver.telemetry.store is not available")
    page.goto(base_url + f"endpoint/{archive.telemetry_endpoint}.html")
    chart = page.locator("#telemetry .pane.p-latency svg.chart")
    assert chart.is_visible()
    # One dot per sample: the syncs' own (from the captures) and the six hours written after.
    samples = endpoint_series(archive.repo, archive.telemetry_endpoint)
    assert chart.locator("path.dot").get_attribute("d").count("M") == len(samples) >= 6
    tiles = page.locator(".hero .tiles").inner_text()
    assert "0.70 s" in tiles and "36 tok/s" in tiles  # The newest sample: 700 ms, 36 tok/s.
    assert page.locator("svg.strip rect.st-bad").count() == 1
    page.click("#telemetry label:has-text('Throughput')")
    assert page.locator("#telemetry .pane.p-throughput svg.chart").is_visible()
    screenshot(page, "endpoint-telemetry")


def test_changes_monitor_filters(page: Any, base_url: str, archive: SiteArchive) -> None:
    page.goto(base_url + "changes/index.html")
    assert page.locator(".monitor [data-pages] article.card").count() > 20
    screenshot(page, "changes")
    page.select_option("[data-filter=kind]", "price")
    expect(page.locator("[data-scope]")).to_contain_text("whole history")
    models = category_at(archive.repo, "model", datetime.max)
    names = {key: model_name(entity, key) for key, entity in models.items()}
    by_sync = [
        [describe_change(c, names) for c in group.changes] for group in changes(archive.repo)
    ]
    priced = [d for sync in by_sync for d in sync if Kind.PRICE in d.kinds]
    shown = page.locator("[data-results] article.card")
    assert shown.count() == len(priced) > 0
    kinds = shown.evaluate_all("cs => cs.map(c => c.dataset.kinds)")
    assert all("price" in k.split() for k in kinds)
    # Most important first: the newest sync's cards come in the order kinds.importance gives.
    newest = next(sync for sync in by_sync if any(Kind.PRICE in d.kinds for d in sync))
    ordered = sorted((d for d in newest if Kind.PRICE in d.kinds), key=importance)
    first = page.locator("[data-results] [data-sync]").first.locator("article.card")
    heads = first.locator("h3").all_inner_texts()
    assert heads == [d.subject for d in ordered]
    name = next(d.subject.split(" on ", 1)[1].split(" (")[0] for d in priced if " on " in d.subject)
    page.fill("[data-filter=provider]", name.lower())
    expect(page.locator("[data-count]")).not_to_have_text(f"{len(priced):,} changes")
    remaining = page.locator("[data-results] article.card")
    assert 0 < remaining.count() < len(priced)
    assert "kind=price" in page.url
    screenshot(page, "changes-filtered")
    page.fill("[data-filter=model]", "no such model at all")
    expect(page.locator("[data-empty]")).to_be_visible()


def test_hostile_description_is_inert(page: Any, base_url: str, archive: SiteArchive) -> None:
    key = archive.evil_model
    page.goto(base_url + f"model/{key}.html")
    prose = page.locator(".prose")
    text = prose.inner_text()
    assert "<script>window.__pwned = 1</script>" in text
    assert "onerror" in text
    assert prose.locator("script, img, svg, iframe, [onclick], [onerror], [onload]").count() == 0
    hrefs = prose.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith(("https://", "mailto:")) for h in hrefs)
    assert "<b" in page.locator("h1").inner_text()
    page.hover("h1")
    page.hover(".prose")
    assert page.evaluate("window.__pwned") is None
    screenshot(page, "hostile-description")


def test_every_section_renders_without_errors(page: Any, base_url: str, site_folder: Path) -> None:
    # Every page of the changes monitor the build wrote: one on the small captures (fewer
    # changes than a page holds), several on a longer history.
    built = site_folder
    monitor = sorted(str(p.relative_to(built)) for p in (built / "changes").glob("*.html"))
    assert "changes/index.html" in monitor
    for path in ("models.html", "providers.html", "status.html", "api.html", *monitor):
        page.goto(base_url + path)
        assert page.locator("main").inner_text().strip()
    page.goto(base_url + "models.html")
    page.locator("#models th", has_text="Endpoints").click()
    page.locator("#models th", has_text="Endpoints").click()
    first = page.locator("#models tbody tr").first.locator("td.num").nth(5).inner_text()
    assert int(first.replace(",", "")) > 5
    screenshot(page, "models")


def test_phone_layout(browser: Any, base_url: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True
    )
    phone = context.new_page()
    for path, name in (("index.html", "phone-grid"), ("changes/index.html", "phone-changes")):
        phone.goto(base_url + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, f"{path} scrolls sideways: {width}px"
        screenshot(phone, name)
    context.close()
