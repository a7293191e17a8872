"""The models table's filters live in its URL, as its search and the endpoint grid's do.

Ticking "aliases only" on models.html filtered the table, but only the search went into
the address: a reload, coming back to the page, or the link a reader shared showed every
model again, the box unticked, while the endpoint grid keeps its filters (`f=tools`) in its
address. The table now writes its ticked filters (`f=orphan,alias`) and reads them back.

Real archive (the session's site of the small captures: orphans and `~` aliases among its
models), real Chromium; the expected rows are counted from the archived model files.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.browser import needs_chromium
from tests.site_helpers import SiteArchive

pytestmark = needs_chromium
expect = pytest.importorskip("playwright.sync_api").expect

# The table's rows once its filter has run (the count it shows must agree).
_SHOWN = "document.querySelectorAll('#models tbody tr:not([hidden])').length"


def _models(archive: SiteArchive) -> list[dict[str, Any]]:
    """Return every archived model entity."""
    folder = archive.repo / "data" / "model"
    return [orjson.loads(path.read_bytes()) for path in folder.rglob("*.json")]


def _shown(page: Any) -> int:
    count = int(page.locator("[data-count]").inner_text().replace(",", ""))
    assert count == page.evaluate(_SHOWN)
    return count


def test_a_ticked_filter_survives_a_reload_and_a_shared_link(
    page: Any, site_url: str, site_archive: SiteArchive
) -> None:
    models = _models(site_archive)
    aliases = sum(1 for model in models if str(model["key"]).startswith("~"))
    orphans = sum(1 for model in models if model.get("catalog") and not model.get("v1"))
    assert 0 < aliases < len(models) and 0 < orphans < len(models)

    page.goto(site_url + "models.html")
    assert _shown(page) == len(models)
    page.click("summary:has-text('Show')")
    page.check("input[data-facet=f][value=alias]")
    # The table filters on the next frame and writes its address as it does.
    expect(page.locator("[data-count]")).to_have_text(f"{aliases:,}")
    assert page.evaluate("new URLSearchParams(location.search).get('f')") == "alias"
    assert _shown(page) == aliases
    page.reload()
    assert page.is_checked("input[data-facet=f][value=alias]")
    assert _shown(page) == aliases

    page.goto(site_url + "models.html?f=orphan")
    assert page.is_checked("input[data-facet=f][value=orphan]")
    assert _shown(page) == orphans
    page.click("button.reset")
    assert "f=" not in page.url and _shown(page) == len(models)
