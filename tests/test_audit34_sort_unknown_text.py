"""A text column sorts the providers with no value last, whichever the direction.

The providers table shows a dash (U+2013) for a provider whose record names no
headquarters. Its sort read that dash as text, and a dash sorts after every letter:
ascending put the unknown headquarters last, but descending put all of them first, above
every provider that has one, where the site's rule (and its numeric columns) keeps unknown
values last either way. Real archive (the session's site of the small captures, where
most providers name no headquarters), real Chromium.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.browser import needs_chromium
from tests.site_helpers import SiteArchive

pytestmark = needs_chromium
pytest.importorskip("playwright.sync_api")

_RECORDS = ("provider_info", "all_providers", "v1")
DASH = "\u2013"  # What a cell without a value shows.


def _headquarters(archive: SiteArchive) -> list[str | None]:
    """Return each archived provider's headquarters (None: its record names none)."""
    found: list[str | None] = []
    for path in sorted((archive.repo / "data" / "provider").rglob("*.json")):
        entity = orjson.loads(path.read_bytes())
        record: dict[str, Any] = next((entity[part] for part in _RECORDS if entity.get(part)), {})
        found.append(record.get("headquarters") or None)
    return found


def test_providers_without_headquarters_sort_last_both_ways(
    page: Any, site_url: str, site_archive: SiteArchive
) -> None:
    archived = _headquarters(site_archive)
    known = sorted(str(place).lower() for place in archived if place is not None)
    unknown = archived.count(None)
    assert known and unknown  # Both kinds, or the order proves nothing.
    page.goto(site_url + "providers.html")
    header = page.locator("#providers th", has_text="Headquarters")
    for direction, expected in (("ascending", known), ("descending", known[::-1])):
        header.click()
        assert header.get_attribute("aria-sort") == direction
        shown = page.locator("#providers tbody tr td:nth-child(2)").all_inner_texts()
        assert [text.lower() for text in shown] == expected + [DASH] * unknown, direction
