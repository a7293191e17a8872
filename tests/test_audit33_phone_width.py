"""No page scrolls sideways on a phone: not the JSON API page, not a long author or key.

The JSON API page's table of files never wraps its cells and stood outside a scrolling box:
on a 390-pixel phone the whole page was 880 pixels wide, with real data. A model's author
(upstream text of any length) sat in a badge that never wrapped, and a key may hold a
200-character segment that the model page names in running text (its pricing file, its
`git log` command, the "All fields" heading): one unbroken word made the page thousands of
pixels wide, or was cut off at the panel's edge; so was a long model name in the links of a
change card. The table now scrolls in its own box; the badge, the key and the links wrap.

A real archive of a fifth of the small captures' models: a real sync, then one of an edited
real capture, one site build, Debian's Chromium at a phone's width.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.small_captures as small
from archiver.capture.files import Capture, CapturedResponse
from archiver.site import build_site
from archiver.site.urls import href, model_page
from archiver.upstream.entities import catalog_key
from tests.browser import launch_chromium, needs_chromium, recording_page, serve_folder
from tests.small_captures import small_captures

__all__ = ["small_captures"]

pytestmark = needs_chromium

CATALOG = "/api/frontend/v1/catalog/models"
LONG_AUTHOR = "A" * 3000
LONG_PROVIDER = "P" * 3000
LONG_NAME = "N" * 3000
# A segment as long as the archive stores (archiver.paths.MAX_SEGMENT is 200 bytes).
LONG_KEY = "longkey/" + "k" * 190
# The fields that name an API's model, not the model's key: renaming them moves its URLs.
_OPAQUE = {"permaslug", "model_variant_permaslug"}
# The page's width as a reader scrolling to its end meets it: panels below the fold are laid
# out only when near (content-visibility), so the width at the top does not tell.
WIDEST = """async () => {
  let widest = 0;
  for (let y = 0; y <= document.documentElement.scrollHeight; y += innerHeight / 2) {
    window.scrollTo(0, y);
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    widest = Math.max(widest, document.documentElement.scrollWidth);
  }
  return widest;
}"""
# The key where a panel's text names it, past the panel's edge: panels clip what overflows.
# A text past the edge of the panel or change card that holds it: they clip what overflows.
CUT = """(texts) => Array.from(document.querySelectorAll(texts)).filter((text) => {
  const box = text.closest(".card, .panel");
  return box && text.getBoundingClientRect().right > box.getBoundingClientRect().right + 1;
}).map((text) => text.textContent.slice(0, 40))"""


def _renamed(value: Any, old: str, new: str, field: str = "") -> Any:
    """Return a response body with every value equal to key old (but opaque ones) as new."""
    if isinstance(value, dict):
        return {name: _renamed(item, old, new, name) for name, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, old, new, field) for item in value]
    return new if value == old and field not in _OPAQUE else value


def _edited(capture: Capture, key: str, author_of: str) -> Capture:
    """Return the capture with model key renamed LONG_KEY and named LONG_NAME, and author_of's
    author LONG_AUTHOR."""
    responses = []
    for response in capture.responses:
        body = copy.deepcopy(response.body)
        if response.url == CATALOG:
            for entry in body["data"]:
                if catalog_key(entry) == author_of:
                    entry["author_display_name"] = LONG_AUTHOR
                if catalog_key(entry) == key:
                    entry["name"] = entry["short_name"] = LONG_NAME
        body = _renamed(body, key, LONG_KEY)
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return Capture(capture.time, capture.source, "long author and key", tuple(responses))


def _provider(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return an endpoint whose provider is named LONG_PROVIDER: a change card for it."""
    info = {**endpoint["provider_info"], "displayName": LONG_PROVIDER}
    return {**endpoint, "provider_info": info, "provider_display_name": LONG_PROVIDER}


@pytest.fixture(scope="module")
def site(small_captures: list[Capture], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the site of one sync of a fifth of the models, two of them edited."""
    root = tmp_path_factory.mktemp("phone-width")
    keys = small.some_models(small_captures[1], 5, featured=2)
    assert small.sync_small(root / "archive", small.with_models_only(small_captures[0], keys))
    capture = small.with_models_only(small_captures[1], keys)
    first, second = sorted(small.first_listed_models(capture, 2))
    capture, _ = small.with_first_endpoints_edited(_edited(capture, first, second), [_provider])
    assert small.sync_small(root / "archive", capture).commit_id
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


def _pages(site: Path) -> list[str]:
    """Return the API page and the pages of the models with the long key and author."""
    authored = [
        path.relative_to(site).as_posix()
        for path in site.glob("model/*/*.html")
        if LONG_AUTHOR in path.read_text(encoding="utf-8")
    ]
    assert len(authored) == 1
    assert (site / model_page(LONG_KEY)).is_file()
    return ["api.html", model_page(LONG_KEY), *authored]


def test_no_page_is_wider_than_a_phone(chromium: Any, served: str, site: Path) -> None:
    wide = {}
    with recording_page(chromium, "audit33-phone-width", 390, 800) as page:
        for path in _pages(site):
            page.goto(served + href(path))
            width = page.evaluate(WIDEST)
            if width > 390:
                wide[path] = width
    assert wide == {}


def test_a_long_key_wraps_where_the_model_page_names_it(chromium: Any, served: str) -> None:
    with recording_page(chromium, "audit33-long-key", 390, 800) as page:
        page.goto(served + href(model_page(LONG_KEY)))
        page.evaluate(WIDEST)  # Every panel laid out.
        assert page.locator("main p code", has_text=LONG_KEY.split("/")[1]).count() >= 1
        assert page.evaluate(CUT, "main p code, main h2 code") == []


def test_a_long_name_wraps_in_a_change_cards_links(chromium: Any, served: str) -> None:
    with recording_page(chromium, "audit33-long-provider", 390, 800) as page:
        page.goto(served + "changes/index.html")
        assert page.locator(".card.change .links a", has_text=LONG_NAME).count() >= 1
        assert page.evaluate(CUT, ".card.change a") == []
