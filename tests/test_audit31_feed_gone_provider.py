"""A provider that left keeps its feed: its followers get the entry saying it left, then
the one saying it came back, under the same ids.

A provider's feed was written for the providers the archive holds now: when a provider
left (in no listing any more) its feed vanished with its page, a 404, and no "removed"
entry ever reached its followers. A real archive of the small captures (a provider and a
model gone from every listing of the second, both back in the third), real site builds.
"""

from __future__ import annotations

import collections
import copy
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from archiver.capture.files import Capture, CapturedResponse
from archiver.site import build_site
from archiver.site.feeds import provider_feed
from archiver.site.urls import model_feed
from archiver.upstream import sources
from archiver.upstream.entities import catalog_key
from tests.small_captures import (
    ENDPOINT_LISTING,
    QUARTER_STEP,
    small_daily,
    some_models,
    sync_small,
    with_models_only,
)

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://e.org/"


def _leaving(capture: Capture) -> tuple[str, str]:
    """Return a provider with one endpoint, which the catalog features for no model, and a
    model with no endpoint: each can leave without tripping the removal guard."""
    catalog = next(r for r in capture.responses if r.url == sources.CATALOG_MODELS)
    featured = {e["endpoint"]["id"] for e in catalog.body["data"] if e.get("endpoint")}
    count: collections.Counter[str] = collections.Counter()
    featuring = set()
    for response in capture.responses:
        if response.url.startswith(ENDPOINT_LISTING) and response.body.get("data"):
            for endpoint in response.body["data"]:
                count[endpoint["provider_info"]["slug"]] += 1
                if endpoint["id"] in featured:
                    featuring.add(endpoint["provider_info"]["slug"])
    provider = min(slug for slug, n in count.items() if n == 1 and slug not in featuring)
    model = min(catalog_key(e) for e in catalog.body["data"] if not e.get("endpoint"))
    return provider, model


def _without(capture: Capture, provider: str, model: str) -> Capture:
    """Return the capture with the provider in no listing, the model in no listing."""
    responses = []
    for response in capture.responses:
        body: Any = copy.deepcopy(response.body)
        if response.url == sources.ALL_PROVIDERS:
            body["data"] = [item for item in body["data"] if item["slug"] != provider]
        elif response.url == sources.CATALOG_MODELS:
            body["data"] = [e for e in body["data"] if catalog_key(e) != model]
        elif response.url == sources.V1_MODELS:
            body["data"] = [m for m in body["data"] if m.get("id") != model]
        elif response.url.startswith(ENDPOINT_LISTING) and isinstance(body, dict):
            data = body.get("data") or []
            body["data"] = [e for e in data if e["provider_info"]["slug"] != provider]
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return replace(capture, responses=tuple(responses))


def _feed(site: Path, path: str) -> tuple[str | None, list[tuple[str, str]], list[str]]:
    """Return a feed's id, its entries' (id, title) newest first, and its links' files."""
    root = ET.parse(site / path).getroot()
    entries = [
        (e.findtext(f"{ATOM}id") or "", e.findtext(f"{ATOM}title") or "")
        for e in root.iter(f"{ATOM}entry")
    ]
    links = [unquote(urlsplit(link.get("href", "")).path[1:]) for link in root.iter(f"{ATOM}link")]
    return root.findtext(f"{ATOM}id"), entries, links


def test_a_gone_providers_feed_tells_it_left_and_came_back(tmp_path: Path) -> None:
    whole = small_daily()
    captures = [with_models_only(c, some_models(whole[1], QUARTER_STEP, 2)) for c in whole]
    provider, model = _leaving(captures[0])
    repo = tmp_path / "archive"
    feeds = {"provider": provider_feed(provider), "model": model_feed(model)}
    seen: dict[str, list[tuple[str | None, list[tuple[str, str]]]]] = {}
    for number, capture in enumerate([captures[0], _without(captures[1], provider, model)]):
        sync_small(repo, capture)
        site = tmp_path / f"site{number}"
        build_site(repo, site, base_url=BASE, built=datetime(2026, 8, 1, tzinfo=UTC))
        for category, path in feeds.items():
            assert (site / path).is_file(), f"{category} feed missing after sync {number}"
            feed_id, entries, links = _feed(site, path)
            assert all((site / link).is_file() for link in links), links
            seen.setdefault(category, []).append((feed_id, entries))
    sync_small(repo, captures[2])
    site = tmp_path / "site2"
    build_site(repo, site, base_url=BASE, built=datetime(2026, 8, 1, tzinfo=UTC))

    for category, path in feeds.items():
        feed_id, entries, _ = _feed(site, path)
        (first_id, first), (gone_id, gone) = seen[category]
        assert "removed" in gone[0][1], (category, gone)
        assert "returned" in entries[0][1], (category, entries)
        # The same feed and the same entries: a reader shows each once.
        assert feed_id == gone_id == first_id
        assert entries[1:] == gone and gone[1:] == first
    _, _, links = _feed(tmp_path / "site1", feeds["provider"])
    assert "deprecations.html" in links
