"""The graveyard links each gone model's feed and lists the providers gone, with theirs.

A model or provider that left keeps its feed, whose page link is the deprecations page;
but that page linked no gone model's feed and listed no gone provider: a reader sent there
from a provider's feed found nothing of it, and nobody could find a gone one's feed to
follow its return. A real archive of the small captures (a provider and a model gone from
every listing of the second, both back in the third), real site builds.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from urllib.parse import unquote

from archiver.site import build_site
from archiver.site.feeds import provider_feed
from archiver.site.urls import model_feed
from tests.small_captures import QUARTER_STEP, small_daily, some_models, sync_small
from tests.small_captures import with_models_only as cut
from tests.test_audit31_feed_gone_provider import ATOM, _leaving, _without


def _rows(site: Path, table: str) -> dict[str, list[str]]:
    """Return each row's key in a table of the deprecations page, and the files it links."""
    html = (site / "deprecations.html").read_text()
    parts = html.split(f'<table class="grid compact lifecycle" {table}>', 1)
    body = parts[1].split("</table>", 1)[0] if len(parts) == 2 else ""
    found = {}
    for row in re.finditer(r'<tr data-key="([^"]*)"(.*?)</tr>', body, re.S):
        links = re.findall(r'href="([^"]*)"', row[2])
        found[unescape(row[1])] = [unquote(unescape(link)) for link in links]
    return found


def _entries(site: Path) -> list[ET.Element]:
    """Return the graveyard feed's entries."""
    return ET.parse(site / "feeds" / "graveyard.xml").getroot().findall(f"{ATOM}entry")


def test_the_graveyard_links_gone_models_and_providers_feeds(tmp_path: Path) -> None:
    whole = small_daily()
    captures = [cut(capture, some_models(whole[1], QUARTER_STEP, 2)) for capture in whole]
    provider, model = _leaving(captures[0])
    repo = tmp_path / "archive"
    sync_small(repo, captures[0])
    sync_small(repo, _without(captures[1], provider, model))
    site = tmp_path / "site"
    build_site(repo, site, base_url="https://e.org/", built=datetime(2026, 8, 1, tzinfo=UTC))

    providers = _rows(site, "data-gone-providers")
    assert list(providers) == [provider]
    assert provider_feed(provider) in providers[provider]
    assert model_feed(model) in _rows(site, "data-graveyard")[model]
    for links in (*providers.values(), *_rows(site, "data-graveyard").values()):
        feeds = [link for link in links if link.startswith("feeds/")]
        assert feeds and all((site / feed).is_file() for feed in feeds), links

    # The graveyard's feed tells each gone one's leaving, the provider's too.
    [entry] = _entries(site)
    assert "2 removed" in (entry.findtext(f"{ATOM}title") or ""), ET.tostring(entry)
    content = unescape(entry.findtext(f"{ATOM}content") or "")
    assert "(provider: removed)" in content and "(model: removed)" in content, content

    sync_small(repo, captures[2])
    build_site(repo, site, base_url="https://e.org/", built=datetime(2026, 8, 1, tzinfo=UTC))
    assert provider not in _rows(site, "data-gone-providers")
    assert model not in _rows(site, "data-graveyard")
