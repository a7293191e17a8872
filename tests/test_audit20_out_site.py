"""Upstream names and descriptions on the site: no bidi control reorders the site's own text,
and no unbroken string widens a page.

A bidi override (U+202E) in a provider's name reversed everything after it up to the end of
its paragraph: in the page title and the meta description, "Model on Provider" and the
price facts that follow read backwards, so upstream text could rearrange what the site says.
Each embedding, override and isolate control now shows as a visible escape (`\\u202e`, as the
CLI shows it) in pages, feeds and the change index the monitor's script shows. A 3,000-letter
unbroken model or provider name, or word of a description, made its page 90,000 pixels wide:
headings and descriptions now wrap.

A real archive of a quarter of the small captures' models (the two named here among them):
one real sync, then one of an edited real capture, one site build (every page type, a
quarter of the pages), Debian's Chromium at a phone's width.
"""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.small_captures as small
from archiver.capture.files import Capture, CapturedResponse
from archiver.site import build_site
from archiver.site.urls import endpoint_page, model_page
from tests.browser import launch_chromium, needs_chromium, recording_page, serve_folder
from tests.small_captures import small_captures

__all__ = ["small_captures"]

pytestmark = needs_chromium

CATALOG = "/api/frontend/v1/catalog/models"
LONG_WORD = "W" * 3000
# The provider's name opens an override it never closes: what follows it would read reversed.
PROVIDER_NAME = "\u202eReversed " + "P" * 3000
MODEL_NAME = "Spoof: \u2067Isolated\u202bEmbedded"
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# One catalog model in MODEL_STEP is kept, besides the two given hostile names.
MODEL_STEP = 4


def _with_hostile_model(capture: Capture) -> tuple[Capture, str, str]:
    """Return a capture whose first featured catalog model has a hostile name and a long
    unbroken description, and whose second has a bidi name; return both keys."""
    responses, keys = [], []
    for response in capture.responses:
        body = response.body
        if response.url == CATALOG:
            body = copy.deepcopy(body)
            featured = [entry for entry in body["data"] if entry.get("endpoint")]
            featured[0]["name"] = f"Long: {LONG_WORD}"
            featured[0]["description"] = f"See {LONG_WORD} for details."
            featured[1]["name"] = MODEL_NAME
            keys = [entry["endpoint"]["model_variant_slug"] for entry in featured[:2]]
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return Capture(capture.time, capture.source, "hostile names", tuple(responses)), *keys


def _hostile_provider(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return an endpoint whose provider record names the provider with PROVIDER_NAME."""
    info = {**endpoint["provider_info"], "displayName": PROVIDER_NAME}
    return {**endpoint, "provider_info": info, "provider_display_name": PROVIDER_NAME}


@pytest.fixture(scope="module")
def hostile_site(
    small_captures: list[Capture], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """Return a site built after one sync of hostile names, and the pages that show them."""
    root = tmp_path_factory.mktemp("hostile-site")
    repo = root / "archive"
    # The build, most of the module's time, grows with the models: a quarter are enough.
    keys = small.some_models(small_captures[1], MODEL_STEP, featured=2)
    assert small.sync_small(repo, small.with_models_only(small_captures[0], keys)).commit_id
    hour = small.with_models_only(small_captures[1], keys)
    edited, long_model, bidi_model = _with_hostile_model(hour)
    edited, (endpoint_id,) = small.with_first_endpoints_edited(edited, [_hostile_provider])
    assert small.sync_small(repo, edited).commit_id
    build_site(repo, root / "site")
    pages = {
        "long model": model_page(long_model),
        "bidi model": model_page(bidi_model),
        "endpoint": endpoint_page(endpoint_id),
    }
    return root / "site", pages


@pytest.fixture(scope="module")
def served(hostile_site: tuple[Path, dict[str, str]]) -> Iterator[str]:
    """Serve the hostile site on loopback for the module."""
    with serve_folder(hostile_site[0]) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(served: str) -> Iterator[Any]:
    """Launch Chromium once for the module, after the site is built."""
    with launch_chromium() as launched:
        yield launched


def test_no_page_feed_or_change_index_holds_a_raw_bidi_control(
    hostile_site: tuple[Path, dict[str, str]],
) -> None:
    site, pages = hostile_site
    # The monitor's change index is text its script puts in the page, as the pages show it.
    files = [*site.rglob("*.html"), *site.rglob("*.xml"), *site.glob("changes/index/*.json")]
    raw = [
        str(path.relative_to(site))
        for path in files
        if any(char in path.read_text(encoding="utf-8") for char in BIDI_CONTROLS)
    ]
    assert raw == []
    endpoint = (site / pages["endpoint"]).read_text(encoding="utf-8")
    title = endpoint.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "\\u202eReversed PPP" in title  # Shown, not obeyed.
    model = (site / pages["bidi model"]).read_text(encoding="utf-8")
    assert "\\u2067Isolated\\u202bEmbedded</h1>" in model
    for feed in site.rglob("*.xml"):
        ET.parse(feed)  # Still well-formed XML.


def test_the_grid_data_shows_names_as_the_pages_do(
    hostile_site: tuple[Path, dict[str, str]],
) -> None:
    grid = json.loads((hostile_site[0] / "grid.json").read_bytes())
    shown = [
        text
        for column in ("model", "provider")
        for value in grid["columns"][column]["values"]
        for text in value[1:]  # The first is the search text, never shown.
        if isinstance(text, str)
    ]
    assert [text for text in shown if any(char in text for char in BIDI_CONTROLS)] == []
    assert any(text.startswith("\\u202eReversed PPP") for text in shown)


@pytest.mark.parametrize("which", ["long model", "endpoint"])
def test_a_long_unbroken_name_wraps_on_a_phone(
    chromium: Any, served: str, hostile_site: tuple[Path, dict[str, str]], which: str
) -> None:
    with recording_page(chromium, f"audit20-{which}", 390, 800) as page:
        page.goto(served + hostile_site[1][which])
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        heading = " ".join(page.locator("h1, .h1like").all_inner_texts())
    assert widths[0] <= widths[1], f"{which}: the page is {widths[0]} px wide on a 390 px phone"
    assert "W" * 50 in heading or "P" * 50 in heading  # The whole name is there, wrapped.
