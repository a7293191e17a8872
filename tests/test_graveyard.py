"""The deprecations page and the graveyard, and their feeds, against the raw captures.

The site's archive is 2 /api/v1/models captures, the 3 small daily ones and a copy of the
last (tests/site_helpers.py). Which entities carry an end date, when each date was first
shown, and which models left and when are all computed here from the capture responses.
"""

from __future__ import annotations

import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.files import Capture, read_capture
from archiver.site.formats import money
from archiver.times import format_epoch, hour_epoch
from tests.archive_helpers import capture_entities
from tests.site_helpers import SiteArchive

ATOM = "{http://www.w3.org/2005/Atom}"
Key = tuple[str, str]


class _Rows(HTMLParser):
    """The data attributes of every table row of one table (by its data-* marker)."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.inside = False
        self.rows: list[dict[str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.tags.append(tag)
        if tag == "table":
            self.inside = self.marker in found
        elif tag == "tr" and self.inside and "data-key" in found:
            self.rows.append(found)


def fetch(url: str) -> bytes:
    """Return what a URL serves."""
    with urllib.request.urlopen(url) as response:
        data: bytes = response.read()
        return data


def rows(site_url: str, marker: str) -> list[dict[str, str]]:
    """Return the rows of one table of the deprecations page."""
    parser = _Rows(marker)
    parser.feed(fetch(site_url + "deprecations.html").decode())
    return parser.rows


@pytest.fixture(scope="module")
def captures(
    site_archive: SiteArchive, v1_models_paths: list[Path], daily_paths: list[Path]
) -> list[Capture]:
    """Return the captures the site's archive was imported from, in order."""
    evil = site_archive.repo.parent / "evil.jsonl.gz"
    return [read_capture(path) for path in [*v1_models_paths[:2], *daily_paths[:3], evil]]


def end_dates(capture: Capture) -> dict[Key, tuple[str | None, ...]]:
    """Return every entity's end dates in a capture: (catalog, v1) for models, one for endpoints."""
    entities = capture_entities(capture)
    catalog: dict[str, Any] = {}
    for response in capture.responses:
        if response.url == "/api/frontend/v1/catalog/models":
            for item in response.body["data"]:
                featured = item["endpoint"]
                catalog[featured["model_variant_slug"] if featured else item["slug"]] = item
    found: dict[Key, tuple[str | None, ...]] = {}
    for key in entities.models:
        v1 = entities.v1_models.get(key, {}).get("expiration_date")
        found[("model", key)] = (catalog.get(key, {}).get("deprecation_date"), v1)
    for key, endpoint in entities.endpoint_objects.items():
        found[("endpoint", key)] = (endpoint["deprecation_date"],)
    return found


def date_events(captures: list[Capture]) -> list[tuple[Key, tuple[str | None, ...], datetime]]:
    """Return every sync at which an entity's end dates were set, moved or withdrawn.

    An entity arriving without a date is no event; leaving and coming back is none either.
    """
    shown: dict[Key, tuple[str | None, ...]] = {}
    events = []
    for capture in captures:
        for key, dates in end_dates(capture).items():
            changed = key in shown and shown[key] != dates
            if changed or (key not in shown and any(dates)):
                events.append((key, dates, hour_epoch(capture.time)))
            shown[key] = dates
    return events


def announcements(captures: list[Capture]) -> dict[Key, datetime]:
    """Return when each entity's current end dates were first shown."""
    return {key: epoch for key, _, epoch in date_events(captures)}


def test_every_entity_with_an_end_date_is_listed_soonest_first(
    site_url: str, captures: list[Capture]
) -> None:
    final = end_dates(captures[-1])
    expected = {key for key, dates in final.items() if any(dates)}
    listed = rows(site_url, "data-deprecations")
    assert {(row["data-category"], row["data-key"]) for row in listed} == expected
    assert len(expected) > 2 and {"model", "endpoint"} <= {key[0] for key in expected}
    moments = [datetime.fromisoformat(row["data-date"].replace("Z", "+00:00")) for row in listed]
    moments = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments]
    assert moments == sorted(moments), "soonest first"
    announced = announcements(captures)
    for row in listed:
        key = (row["data-category"], row["data-key"])
        assert row["data-date"] in final[key]
        assert row["data-announced"] == format_epoch(announced[key]), key


def gone_models(captures: list[Capture]) -> Iterator[tuple[str, datetime, Any]]:
    """Yield (model, when it left, its last v1 object) for models absent from the last capture."""
    last_seen: dict[str, int] = {}
    last_v1: dict[str, Any] = {}
    for number, capture in enumerate(captures):
        entities = capture_entities(capture)
        for key in entities.models:
            last_seen[key] = number
            if key in entities.v1_models:
                last_v1[key] = entities.v1_models[key]
    for key, number in last_seen.items():
        if number < len(captures) - 1:
            yield key, hour_epoch(captures[number + 1].time), last_v1.get(key)


def test_the_graveyard_lists_the_models_that_left(site_url: str, captures: list[Capture]) -> None:
    expected = {key: (left, v1) for key, left, v1 in gone_models(captures)}
    deprecated_then_gone = [
        key for key, (left, _) in expected.items() if left == hour_epoch(captures[4].time)
    ]
    assert deprecated_then_gone, "the small captures show models leaving on their end date"
    listed = rows(site_url, "data-graveyard")
    assert {row["data-key"] for row in listed} == set(expected)
    page = fetch(site_url + "deprecations.html").decode()
    for row in listed:
        left, v1 = expected[row["data-key"]]
        assert row["data-left"] == format_epoch(left)
        price = money(Decimal(v1["pricing"]["prompt"]) * 1_000_000)
        assert f">{price}<" in page
    lefts = [row["data-left"] for row in listed]
    assert lefts == sorted(lefts, reverse=True), "most recently gone first"


def feed_entries(site_url: str, path: str) -> list[ET.Element]:
    """Parse a feed strictly and return its entries; it must carry no script."""
    data = fetch(site_url + path)
    root = ET.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    assert b"<script" not in data.lower()
    for element in root.iter():
        assert not element.tag.lower().endswith("script")
    return root.findall(f"{ATOM}entry")


def test_both_lists_have_a_feed(site_url: str, captures: list[Capture]) -> None:
    gone = feed_entries(site_url, "feeds/graveyard.xml")
    text = " ".join(ET.tostring(entry, encoding="unicode") for entry in gone)
    for key, _, v1 in gone_models(captures):
        assert (v1 or {}).get("name", key).split(": ")[-1] in text
    deprecations = feed_entries(site_url, "feeds/deprecations.xml")
    assert deprecations
    updated = {entry.findtext(f"{ATOM}updated") for entry in deprecations}
    assert updated == {format_epoch(epoch) for _, _, epoch in date_events(captures)}


def test_the_page_is_linked_and_reads_without_script(site_url: str) -> None:
    for page in ("index.html", "status.html"):
        assert 'href="deprecations.html"' in fetch(site_url + page).decode()
    parser = _Rows("data-none")
    parser.feed(fetch(site_url + "deprecations.html").decode())
    assert parser.tags.count("script") == 1, "site.js alone (the freshness badge)"
