"""The site's charts in a real headless Chromium: default lines, readout, zoom, phones, contrast.

Every expectation is computed from the session's archive (tests/conftest.py `site_archive`):
its endpoint files at HEAD, its history and its telemetry, never from the built pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest

from archiver.history.versions import changes
from archiver.telemetry import endpoint_series
from archiver.times import parse_time
from tests.archive_helpers import git
from tests.browser import needs_chromium, recording_page, screenshot
from tests.site_helpers import SiteArchive

pytestmark = needs_chromium
pytest.importorskip("playwright.sync_api")

CHEAPEST, MOST_USED = 4, 4  # What the default view promises: the cheapest, then the most used.
VISIBLE_SERIES = "gs => gs.filter(g => getComputedStyle(g).display !== 'none').length"


def _head_endpoints(archive: SiteArchive) -> dict[str, dict[str, Any]]:
    """Return HEAD's endpoints by id, read from the work tree."""
    folder = archive.repo / "data" / "endpoint"
    return {path.stem: orjson.loads(path.read_bytes()) for path in folder.glob("*.json")}


def _busiest_model(archive: SiteArchive) -> tuple[str, dict[str, dict[str, Any]]]:
    """Return the model with the most endpoints at HEAD, and those endpoints."""
    by_model: dict[str, dict[str, dict[str, Any]]] = {}
    for key, entity in _head_endpoints(archive).items():
        by_model.setdefault(entity["model"], {})[key] = entity
    model = max(sorted(by_model), key=lambda name: len(by_model[name]))
    return model, by_model[model]


def _per_million(value: Any) -> Decimal | None:
    """Return a per-token price as $ per million tokens; None when absent or negative."""
    if value is None or Decimal(str(value)) < 0:
        return None
    return Decimal(str(value)) * 1_000_000


def _exact(value: Decimal) -> str:
    """Return a price as the readout must print it: every archived digit, at least 2 decimals."""
    whole, _, decimals = f"{value.normalize():f}".partition(".")
    return "$0" if value == 0 else f"${whole}.{decimals.ljust(2, '0')}"


def _newest_epoch(archive: SiteArchive) -> datetime:
    """Return the newest sync epoch: where the site's charts end."""
    log = git(archive.repo, "log", "-1", "--format=%(trailers:key=Sync-Epoch,valueonly)")
    return parse_time(log.strip())


def _usage(archive: SiteArchive, endpoint: str, end: datetime) -> float:
    """Return an endpoint's mean request count per telemetry window, weighted by time."""
    samples = endpoint_series(archive.repo, endpoint)
    weighted = seconds = 0.0
    for sample, following in zip(samples, [*samples[1:], None], strict=True):
        requests = (sample.get("stats") or {}).get("request_count")
        if not isinstance(requests, int | float):
            continue
        start = parse_time(sample["epoch"])
        until = parse_time(following["epoch"]) if following else max(end, start)
        span = max((until - start).total_seconds(), 1.0)
        weighted, seconds = weighted + requests * span, seconds + span
    return weighted / seconds if seconds else 0.0


def _expected_default(archive: SiteArchive, endpoints: dict[str, dict[str, Any]]) -> set[str]:
    """Return the endpoint ids the default view must show: 4 cheapest, then 4 most used."""
    costs = {}
    for key, entity in endpoints.items():
        prompt = _per_million(entity["pricing"].get("prompt"))
        completion = _per_million(entity["pricing"].get("completion")) or Decimal(0)
        if prompt is not None:
            costs[key] = (prompt + completion, entity["provider_slug"])
    by_cost = sorted(costs, key=lambda key: costs[key])
    picked = by_cost[:CHEAPEST]
    end = _newest_epoch(archive)
    usage = {key: _usage(archive, key, end) for key in by_cost if key not in picked}
    used = sorted((k for k in usage if usage[k] > 0), key=lambda k: (-usage[k], costs[k][1]))
    picked += used[:MOST_USED]
    picked += [key for key in by_cost if key not in picked][: CHEAPEST + MOST_USED - len(picked)]
    return set(picked)


def _ever_listed(archive: SiteArchive, model: str) -> set[str]:
    """Return every endpoint the model ever had, gone ones included."""
    return {
        change.key
        for group in changes(archive.repo)
        for change in group.changes
        if change.category == "endpoint"
        and model in ((change.before or {}).get("model"), (change.after or {}).get("model"))
    }


def _shown_endpoints(page: Any, pane: str) -> set[str]:
    """Return the endpoint ids whose lines a pane's legend shows (links to endpoint pages)."""
    hrefs = page.eval_on_selector_all(
        f"#prices .pane.p-{pane} .legend li",
        "items => items.filter(li => getComputedStyle(li).display !== 'none')"
        ".map(li => li.querySelector('a') ? li.querySelector('a').getAttribute('href') : '')",
    )
    return {href.rsplit("/", 1)[-1].removesuffix(".html") for href in hrefs if href}


@pytest.fixture(scope="module")
def busiest(site_archive: SiteArchive) -> tuple[str, dict[str, dict[str, Any]]]:
    """Return the model with the most endpoints (more than the default view shows)."""
    model, endpoints = _busiest_model(site_archive)
    assert len(endpoints) > CHEAPEST + MOST_USED + 1, "the captures lost their busy models"
    return model, endpoints


def test_default_view_shows_the_cheapest_and_most_used_and_show_all_shows_every_line(
    page: Any, site_url: str, site_archive: SiteArchive, busiest: tuple[str, Any]
) -> None:
    model, endpoints = busiest
    page.goto(f"{site_url}model/{model}.html")
    expected = _expected_default(site_archive, endpoints)
    assert _shown_endpoints(page, "input") == expected
    lines = page.locator("#prices .pane.p-input svg.chart .series")
    visible = lines.evaluate_all(VISIBLE_SERIES)
    list_price = page.locator("#prices .pane.p-input .legend li", has_text="list price").count()
    assert visible == len(expected) + list_price < len(endpoints)

    page.get_by_label(re.compile(r"Show all \d+")).check()
    ever = _ever_listed(site_archive, model)
    assert lines.evaluate_all(VISIBLE_SERIES) == lines.count() == len(ever) + list_price
    assert _shown_endpoints(page, "input") == set(endpoints)
    screenshot(page, "chart-show-all")


def _price_at(archive: SiteArchive, endpoint: str, moment: datetime) -> Decimal | None:
    """Return an endpoint's input price in force at a moment, from the archive's history."""
    found: Any = None
    for group in sorted(changes(archive.repo), key=lambda group: group.epoch):
        if group.epoch > moment:
            break
        for change in group.changes:
            if change.category == "endpoint" and change.key == endpoint:
                found = change.after
    return _per_million(found["pricing"].get("prompt")) if found else None


def _readout(page: Any, pane: str) -> tuple[datetime, dict[str, str]]:
    """Return the readout's time and its {label: value} rows."""
    readout = page.locator(f"#prices .pane.p-{pane} .readout")
    stamp = readout.locator("time").get_attribute("datetime")
    rows = readout.locator("li").evaluate_all(
        "items => items.map(li => [li.querySelector('span').textContent,"
        " li.querySelector('b').textContent])"
    )
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")), dict(rows)


def test_readout_at_a_focused_time_shows_the_archived_price(
    page: Any, site_url: str, site_archive: SiteArchive, busiest: tuple[str, Any]
) -> None:
    model, endpoints = busiest
    moved = [
        (change.epoch, change.key)
        for group in changes(site_archive.repo)
        for change in group.changes
        if change.key in endpoints and change.before and change.after
        and change.before["pricing"].get("prompt") != change.after["pricing"].get("prompt")
    ]  # fmt: skip
    assert moved, f"no input price of {model} changed in the archive"
    epoch, endpoint = moved[0]
    tag = endpoints[endpoint]["provider_slug"]
    page.goto(f"{site_url}model/{model}.html")
    page.get_by_label(re.compile(r"Show all \d+")).check()
    page.locator("#prices .pane.p-input .plotbox").focus()
    page.keyboard.press("Home")
    for _ in range(200):  # Each arrow step lands on the next change of a visible line.
        when, rows = _readout(page, "input")
        if when >= epoch:
            break
        page.keyboard.press("ArrowRight")
    assert when == epoch.astimezone(UTC)
    price = _price_at(site_archive, endpoint, when)
    assert price is not None and rows[tag] == _exact(price)
    page.keyboard.press("ArrowLeft")
    before, rows = _readout(page, "input")
    old = _price_at(site_archive, endpoint, before)
    assert before < epoch and old is not None and old != price and rows[tag] == _exact(old)
    described = page.locator("#prices .pane.p-input .plotbox").get_attribute("aria-valuetext")
    assert f"{tag} {_exact(old)}" in described
    screenshot(page, "chart-readout")


def _visible_text(page: Any, selector: str) -> str:
    return str(page.locator(selector).inner_text())


def _zooms(page: Any, block: str) -> None:
    """Check that range buttons and a drag change the window a block shows, and reset."""
    showing = f"#{block} .showing"
    whole = _visible_text(page, showing)
    ticks = page.locator(f"#{block} .pane:visible .xt-js span")
    whole_ticks = ticks.all_inner_texts()
    page.locator(f"#{block} .controls label", has_text="1d").click()
    assert _visible_text(page, showing) != whole
    assert ticks.all_inner_texts() != whole_ticks
    box = page.locator(f"#{block} .pane:visible .plotbox")
    box.focus()
    page.keyboard.press("Home")
    first = box.get_attribute("aria-valuenow")
    assert int(first) >= int(box.get_attribute("aria-valuemax")) - 86400
    page.locator(f"#{block} .controls label", has_text="All").click()
    assert _visible_text(page, showing) == whole

    area = box.bounding_box()
    y = area["y"] + area["height"] / 2
    page.mouse.move(area["x"] + area["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * 0.5, y, steps=5)
    page.mouse.up()
    dragged = _visible_text(page, showing)
    assert dragged != whole
    reset = page.locator(f"#{block} button", has_text="Reset zoom")
    assert reset.is_visible()
    reset.click()
    assert _visible_text(page, showing) == whole and not reset.is_visible()


def test_zoom_changes_the_visible_range_of_price_and_telemetry_charts(
    page: Any, site_url: str, site_archive: SiteArchive, busiest: tuple[str, Any]
) -> None:
    model, _ = busiest
    page.goto(f"{site_url}model/{model}.html")
    _zooms(page, "prices")
    if site_archive.telemetry_endpoint is None:
        pytest.skip("archiver.telemetry is not available")
    page.goto(f"{site_url}endpoint/{site_archive.telemetry_endpoint}.html")
    _zooms(page, "telemetry")
    screenshot(page, "chart-telemetry-zoomed")


SMALLEST_TEXT = """blocks => Math.min(...blocks.flatMap(block => [...block.querySelectorAll('*')]
  .filter(el => el.getClientRects().length && [...el.childNodes].some(
    n => n.nodeType === 3 && n.textContent.trim()))
  .map(el => el instanceof SVGElement ? el.getBoundingClientRect().height
    : parseFloat(getComputedStyle(el).fontSize))))"""


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Return a 390 px wide page (an iPhone's), recording console errors."""
    with recording_page(browser, request.node.name, 390, 844) as opened:
        yield opened


def test_charts_are_legible_on_a_phone_without_sideways_scroll(
    phone: Any, site_url: str, site_archive: SiteArchive, busiest: tuple[str, Any]
) -> None:
    model, _ = busiest
    pages = [f"model/{model}.html"]
    if site_archive.telemetry_endpoint:
        pages.append(f"endpoint/{site_archive.telemetry_endpoint}.html")
    for path in pages:
        phone.goto(site_url + path)
        box = phone.locator(".chartblock .pane:visible .plotbox").first
        box.scroll_into_view_if_needed()
        box.focus()  # The readout opens: its text counts too.
        assert phone.locator(".chartblock .readout:visible").count() == 1
        smallest = phone.locator(".chartblock").evaluate_all(SMALLEST_TEXT)
        assert smallest >= 11, (path, smallest)
        width = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)
        screenshot(phone, f"chart-phone-{path.split('/')[0]}", full=True)


def _ratio(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two computed rgb() colours."""

    def luminance(color: str) -> float:
        channels = [int(part) / 255 for part in re.findall(r"\d+", color)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_inputs_are_labelled_and_lines_and_labels_have_aa_contrast(
    browser: Any, site_url: str, busiest: tuple[str, Any], scheme: str
) -> None:
    model, _ = busiest
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(f"{site_url}model/{model}.html")
        page.get_by_label(re.compile(r"Show all \d+")).check()
        unnamed = page.locator("#prices input").evaluate_all(
            "inputs => inputs.filter(i => !(i.getAttribute('aria-label') || "
            "(i.labels.length && i.labels[0].textContent.trim()))).length"
        )
        assert unnamed == 0
        assert page.locator("#prices input.line-toggle").count() > CHEAPEST + MOST_USED
        panel = page.eval_on_selector("#prices", "el => getComputedStyle(el).backgroundColor")
        strokes = page.eval_on_selector_all(
            "#prices .pane:visible svg.chart .series",
            "gs => gs.map(g => getComputedStyle(g.querySelector('.ln')).stroke)",
        )
        assert strokes and min(_ratio(stroke, panel) for stroke in strokes) >= 3
        labels = page.eval_on_selector_all(
            "#prices .yaxis span, #prices .xt-js span, #prices .legend a, #prices .legend b",
            "els => els.map(el => getComputedStyle(el).color)",
        )
        assert labels and min(_ratio(color, panel) for color in labels) >= 4.5
    finally:
        context.close()
