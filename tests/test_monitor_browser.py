"""The change monitor's filters search the whole history, in a real headless Chromium.

The session's small archive fits on one monitor page, so this module builds a longer one
once: the three small daily captures, then hourly copies of the last one in which every
endpoint's input price moved (real entities, real sync, real site build), so the oldest
syncs fall off the first page. Every other model of the catalog is kept (51 of 102, with
their endpoints and per-variant responses): the syncs still fill two pages of the monitor,
the change searched for is a price move of the endpoint the whole catalog gave (an OpenAI
model on Baseten, one sync older), and the site build, most of the module's time, writes
half the pages.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.files import Capture, CapturedResponse, read_capture, write_capture
from archiver.history.kinds import Kind, describe
from archiver.history.versions import changes
from archiver.site import build_site
from archiver.upstream import sources
from archiver.upstream.entities import catalog_key
from tests.browser import launch_chromium, needs_chromium, recording_page, serve_folder
from tests.small_captures import SMALL_DAILY, sync_small, with_models_only

pytestmark = needs_chromium
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
REPRICED_SYNCS = 3
# One catalog model in MODEL_STEP is kept (sorted by key, from the second).
MODEL_STEP = 2


def _repriced(capture: Capture, hours: int, folder: Path) -> Path:
    """Write a copy of a capture, hours later, with every endpoint's input price changed."""
    factor = Decimal(100 + 7 * hours) / 100

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            value = {key: walk(item) for key, item in value.items()}
            pricing = value.get("pricing")
            if (
                "id" in value
                and isinstance(pricing, dict)
                and isinstance(pricing.get("prompt"), str)
                and Decimal(pricing["prompt"]) > 0
            ):
                pricing["prompt"] = str((Decimal(pricing["prompt"]) * factor).normalize())
            return value
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    responses = [
        CapturedResponse(r.method, r.url, r.status, walk(copy.deepcopy(r.body)))
        if "/stats/endpoint" in r.url or r.url.endswith("/catalog/models")
        else r
        for r in capture.responses
    ]
    path = folder / f"repriced-{hours}.jsonl.gz"
    write_capture(path, capture.time + timedelta(hours=hours), "test", "repriced", responses)
    return path


@pytest.fixture(scope="module")
def long_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an archive of the small daily captures and REPRICED_SYNCS repriced syncs, every
    one cut to the same half of the catalog's models."""
    root = tmp_path_factory.mktemp("long-history")
    repo = root / "archive"
    captures = [read_capture(path) for path in SMALL_DAILY]
    catalog = next(r for r in captures[-1].responses if r.url == sources.CATALOG_MODELS)
    keys = set(sorted(catalog_key(entry) for entry in catalog.body["data"])[1::MODEL_STEP])
    captures = [with_models_only(capture, keys) for capture in captures]
    for capture in captures:
        sync_small(repo, capture)
    for hours in range(1, REPRICED_SYNCS + 1):
        assert sync_small(repo, _repriced(captures[-1], hours, root)).commit_id
    return repo


@pytest.fixture(scope="module")
def monitor_url(long_history: Path) -> Iterator[str]:
    out = long_history.parent / "site"
    build_site(long_history, out)
    with serve_folder(out) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(monitor_url: str) -> Iterator[Any]:
    with launch_chromium() as launched:
        yield launched


def _described(repo: Path) -> list[tuple[str, Any]]:
    """Return (epoch text, meaning) of every change of the archive, newest first."""
    return [
        (group.epoch.strftime("%Y-%m-%dT%H:%M:%SZ"), describe(c.category, c.key, c.before, c.after))
        for group in changes(repo)
        for c in group.changes
    ]


def _wait_for_results(page: Any) -> None:
    """Wait until the monitor shows what it found in the whole history (no eval: strict CSP)."""
    expect(page.locator("[data-scope]")).to_contain_text("whole history")


def test_filters_find_a_change_that_is_not_on_the_first_page(
    chromium: Any, monitor_url: str, long_history: Path
) -> None:
    first_page = (long_history.parent / "site" / "changes" / "index.html").read_text()
    everything = _described(long_history)
    old = [
        (epoch, d)
        for epoch, d in everything
        if Kind.PRICE in d.kinds and d.category == "endpoint" and epoch not in first_page
    ]
    assert old, "every price change is on the first page: the history is too short"
    epoch, target = old[0]
    provider = target.subject.split(" on ", 1)[1].split(" (")[0]
    with recording_page(chromium, "monitor-deep") as page:
        page.goto(monitor_url + "changes/index.html")
        assert epoch not in page.locator("[data-pages]").inner_html()
        page.select_option("[data-filter=kind]", "price")
        page.fill("[data-filter=provider]", provider.lower())
        _wait_for_results(page)
        # The scope line may still read "whole history" from the kind filter alone while the
        # provider filter runs: wait for its results (auto-retried), never read them once.
        cards = page.locator("[data-results] article.card")
        expect(cards.filter(has_text=target.details[0].text)).not_to_have_count(0)
        expected = [
            d for _, d in everything if Kind.PRICE in d.kinds and provider.lower() in _providers(d)
        ]
        counted = page.locator("[data-count]")
        expect(counted).to_contain_text(re.compile(rf"^{len(expected):,}\b"))
        assert "kind=price" in page.url


def _providers(described: Any) -> str:
    """Return the provider part of a change's subject, lowercased ("" for a model)."""
    subject = described.subject.lower()
    return subject.split(" on ", 1)[1] if described.category == "endpoint" else ""


def test_date_range_and_category_filters_cover_every_month(
    chromium: Any, monitor_url: str, long_history: Path
) -> None:
    everything = _described(long_history)
    day = sorted({epoch[:10] for epoch, _ in everything})[0]
    expected = [d for epoch, d in everything if epoch[:10] == day and d.category == "model"]
    assert expected
    with recording_page(chromium, "monitor-dates") as page:
        page.goto(monitor_url + f"changes/index.html?from={day}&to={day}&category=model")
        _wait_for_results(page)
        # Auto-retried: the count is written once the months the range needs have loaded.
        expect(page.locator("[data-count]")).to_contain_text(re.compile(rf"^{len(expected):,}\b"))
        heads = page.locator("[data-results] .sync-head time").evaluate_all(
            "ts => ts.map(t => t.getAttribute('datetime'))"
        )
        assert heads and all(head.startswith(day) for head in heads)
        page.fill("[data-filter=model]", "no such model at all")
        expect(page.locator("[data-empty]")).to_be_visible()
        page.fill("[data-filter=model]", "")
        page.fill("[data-filter=from]", "")
        page.fill("[data-filter=to]", "")
        page.select_option("[data-filter=category]", "")
        expect(page.locator("[data-pages]")).to_be_visible()
        assert page.locator("[data-results]").is_hidden()
