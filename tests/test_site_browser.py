"""The built site in a real headless Chromium (Debian's), served over HTTP on loopback."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from archiver.history.versions import changes
from archiver.site import build_site
from archiver.telemetry import endpoint_series
from tests.site_helpers import SiteArchive, build_test_archive

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "site"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)
sync_api = pytest.importorskip("playwright.sync_api")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """A static file handler that does not log every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory, v1_models_paths: list[Path], daily_paths: list[Path]
) -> SiteArchive:
    """Return a real archive built from captures, with a hostile description and telemetry."""
    return build_test_archive(tmp_path_factory.mktemp("browser"), v1_models_paths, daily_paths)


@pytest.fixture(scope="module")
def base_url(archive: SiteArchive) -> Iterator[str]:
    """Build the site and serve it on 127.0.0.1 at a free port."""
    out = archive.repo.parent / "site"
    build_site(archive.repo, out)
    handler = functools.partial(_Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[Any]:
    """Launch Debian's Chromium once for the module, after the site is built and served.

    Playwright's sync API keeps an asyncio loop running in this thread while it is open, and
    building the archive runs asyncio.run: the site must come first, whatever order pytest
    chooses among module fixtures (pytest 9.2 sets up `browser` before `archive` otherwise).
    """
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Return a fresh page that records console errors; the test fails on any."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="dark")
    opened = context.new_page()
    errors: list[str] = []
    opened.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    yield opened
    context.close()
    assert errors == [], f"{request.node.name}: console errors {errors}"


def _shot(page: Any, name: str, full: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)


def _entities(archive: SiteArchive, category: str) -> dict[str, dict[str, Any]]:
    """Return HEAD's entities of a category, read from the work tree."""
    folder = archive.repo / "data" / category
    return {
        str(path.relative_to(folder)): orjson.loads(path.read_bytes())
        for path in folder.rglob("*.json")
    }


def _visible_rows(page: Any) -> int:
    return int(page.locator("#endpoint-grid tbody tr:not([hidden])").count())


def _shown_count(page: Any) -> int:
    return int(page.locator("[data-count]").inner_text().replace(",", ""))


def test_grid_search_and_facets_match_the_archive(
    page: Any, base_url: str, archive: SiteArchive
) -> None:
    endpoints = _entities(archive, "endpoint")
    models = {m["key"]: m for m in _entities(archive, "model").values()}
    page.goto(base_url + "index.html")
    assert _visible_rows(page) == len(endpoints) == _shown_count(page)
    _shot(page, "grid")

    page.fill("[data-search]", "deepseek")
    page.wait_for_function("document.querySelector('[data-count]').textContent !== ''")
    expected = [
        e
        for e in endpoints.values()
        if "deepseek" in f"{e['model']} {e['provider_slug']} {e['provider_display_name']}".lower()
        or "deepseek"
        in str((models.get(e["model"], {}).get("catalog") or {}).get("name", "")).lower()
    ]
    page.wait_for_timeout(100)
    assert _visible_rows(page) == len(expected) == _shown_count(page)
    assert "q=deepseek" in page.url

    page.fill("[data-search]", "")
    page.click("summary:has-text('Modalities')")
    page.check("input[data-facet=in][value=image]")
    page.click("summary:has-text('Features')")
    page.check("input[data-facet=f][value=tools]")
    page.wait_for_timeout(100)

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
    assert _visible_rows(page) == wanted == _shown_count(page)
    _shot(page, "grid-filtered")
    page.click("button.reset")
    assert _visible_rows(page) == len(endpoints)


def test_sort_by_price(page: Any, base_url: str) -> None:
    page.goto(base_url + "index.html")
    header = page.locator("#endpoint-grid th", has_text="Input")
    header.click()
    values = page.eval_on_selector_all(
        "#endpoint-grid tbody tr td:nth-child(4)", "cells => cells.map(c => c.dataset.v)"
    )
    numbers = [float(v) for v in values if v]
    assert numbers == sorted(numbers) and numbers[0] < numbers[-1]
    assert values.index("") > len(numbers) - 1 if "" in values else True  # Unknown prices last.
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    values = page.eval_on_selector_all(
        "#endpoint-grid tbody tr td:nth-child(4)", "cells => cells.map(c => c.dataset.v)"
    )
    numbers = [float(v) for v in values if v]
    assert numbers == sorted(numbers, reverse=True)
    _shot(page, "grid-sorted-by-input-price")


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
    page.fill("[data-search]", model_key)
    page.wait_for_timeout(100)
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
    _shot(page, "model-page", full=True)

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
    _shot(page, "endpoint-page", full=True)


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
    _shot(page, "endpoint-telemetry")


def test_changes_monitor_filters(page: Any, base_url: str, archive: SiteArchive) -> None:
    page.goto(base_url + "changes/index.html")
    cards = page.locator(".monitor article.card")
    total = cards.count()
    assert total > 20
    _shot(page, "changes")
    page.select_option("[data-filter=kind]", "price_down")
    page.wait_for_timeout(50)
    shown = page.locator(".monitor article.card:not([hidden])")
    epochs = page.eval_on_selector_all(
        ".monitor [data-sync] time", "ts => ts.map(t => t.getAttribute('datetime'))"
    )
    expected = sum(
        1
        for group in changes(archive.repo)
        if group.epoch.strftime("%Y-%m-%dT%H:%M:%SZ") in epochs
        for change in group.changes
        if "price_down" in change.kinds
    )
    assert shown.count() == expected > 0
    assert all("price_down" in k for k in shown.evaluate_all("cs => cs.map(c => c.dataset.kinds)"))
    provider = shown.first.get_attribute("data-provider") or ""
    name = provider.split(" ")[0]
    page.fill("[data-filter=provider]", name)
    page.wait_for_timeout(50)
    remaining = page.locator(".monitor article.card:not([hidden])")
    assert 0 < remaining.count() <= expected
    assert all(name in p for p in remaining.evaluate_all("cs => cs.map(c => c.dataset.provider)"))
    assert "kind=price_down" in page.url
    _shot(page, "changes-filtered")
    page.fill("[data-filter=model]", "no such model at all")
    page.wait_for_timeout(50)
    assert page.locator("[data-empty]").is_visible()


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
    _shot(page, "hostile-description")


def test_every_section_renders_without_errors(
    page: Any, base_url: str, archive: SiteArchive
) -> None:
    # Every page of the changes monitor the build wrote: one on the small captures (fewer
    # changes than a page holds), several on a longer history.
    built = archive.repo.parent / "site"
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
    _shot(page, "models")


def test_phone_layout(browser: Any, base_url: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True
    )
    phone = context.new_page()
    for path, name in (("index.html", "phone-grid"), ("changes/index.html", "phone-changes")):
        phone.goto(base_url + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, f"{path} scrolls sideways: {width}px"
        _shot(phone, name)
    context.close()
