"""A change's facts are never cut off by the card that holds them.

Change cards hide what overflows them (rounded corners). Two kinds of card held rows that
never wrapped: a price change's table (a long field name, `overrides[0].input_cache_read`,
beside a price that may not break) and the list a flood of one kind collapses into on the
changes page ("new model: input $2.00, output $12.00 per M tokens, context 1"). On a phone,
and for the list on a 1280-pixel screen too, the new price, its percentage or the end of a
context length were cut off mid-number with nothing to show it. They now wrap.

A real archive of a fifth of the small captures' models, x-ai/grok-4.5 among them (its
cache-read price and its long-context tier's fell in the last one): two real syncs, one
site build, Debian's Chromium at a phone's and a laptop's width.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.small_captures as small
from archiver.capture.files import Capture
from archiver.site import build_site
from archiver.site.timeline import BULK_THRESHOLD
from archiver.site.urls import href, model_page
from tests.browser import launch_chromium, needs_chromium, recording_page, serve_folder
from tests.small_captures import small_captures

__all__ = ["small_captures"]

pytestmark = needs_chromium

MODEL = "x-ai/grok-4.5"
# What sticks out of a card, by how many pixels: cards hide it. Closed lists are opened.
CLIPPED = """() => {
  document.querySelectorAll("details.bulk").forEach((list) => { list.open = true; });
  const found = [];
  for (const card of document.querySelectorAll(".card")) {
    const edge = card.getBoundingClientRect().right;
    for (const cell of card.querySelectorAll("td, th")) {
      const over = cell.getBoundingClientRect().right - edge;
      if (over > 1) { found.push(`${Math.round(over)} px: ${cell.textContent.trim()}`); }
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def site(small_captures: list[Capture], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the site of two real syncs of a fifth of the models, grok-4.5 among them."""
    root = tmp_path_factory.mktemp("clipped-changes")
    keys = small.some_models(small_captures[2], 5) | {MODEL}
    for capture in small_captures[1:]:
        assert small.sync_small(root / "archive", small.with_models_only(capture, keys)).commit_id
    build_site(root / "archive", root / "site")
    return root / "site"


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """Serve the site on loopback for the module."""
    with serve_folder(site) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(served: str) -> Iterator[Any]:
    """Launch Chromium once for the module, after the site is built."""
    with launch_chromium() as launched:
        yield launched


def test_a_price_change_shows_its_new_price_and_percentage_on_a_phone(
    chromium: Any, served: str, site: Path
) -> None:
    page_path = model_page(MODEL)
    assert "overrides[0].input_cache_read" in (site / page_path).read_text(encoding="utf-8")
    with recording_page(chromium, "audit33-price-card", 390, 800) as page:
        page.goto(served + href(page_path))
        assert page.locator(".card table.prices").count() >= 2
        assert page.evaluate(CLIPPED) == []


@pytest.mark.parametrize("width", [390, 1280])
def test_a_collapsed_flood_of_changes_shows_each_change_whole(
    chromium: Any, served: str, width: int
) -> None:
    with recording_page(chromium, f"audit33-bulk-{width}", width, 800) as page:
        page.goto(served + "changes/index.html")
        assert page.locator("details.bulk tr").count() > BULK_THRESHOLD
        assert page.evaluate(CLIPPED) == []
