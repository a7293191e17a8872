"""The feed of a model that left the catalog stays, its newest entry saying it left.

A model's feed was written for the models the catalog lists now: when a model was removed
its feed vanished with its page, so a reader following it got a 404 and never the entry
of its removal (nor, if it came back, of its return). Now every model the archive held
keeps its feed; a gone one's page link is the graveyard. A real archive of the small
captures (a model and its endpoints are removed in the third), a real site build.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from archiver.capture.files import Capture
from archiver.history.versions import changes
from archiver.site import build_site
from archiver.site.urls import model_feed
from tests.small_captures import (
    QUARTER_STEP,
    small_daily,
    some_models,
    sync_small,
    with_models_only,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def test_a_removed_models_feed_tells_its_removal(tmp_path: Path) -> None:
    captures: list[Capture] = small_daily()
    keys = some_models(captures[1], QUARTER_STEP, featured=2)
    repo = tmp_path / "archive"
    for capture in captures:
        sync_small(repo, with_models_only(capture, keys))
    newest = changes(repo)[0]
    gone = [c.key for c in newest.changes if c.category == "model" and c.after is None]
    assert gone, "the third capture removes no model"
    site = tmp_path / "site"

    build_site(repo, site, base_url="https://e.org/", built=datetime(2026, 8, 1, tzinfo=UTC))

    for key in gone:
        feed = ET.parse(site / model_feed(key)).getroot()
        entry = feed.find(f"{ATOM}entry")
        assert entry is not None and "removed" in (entry.findtext(f"{ATOM}title") or "")
        links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
        assert "https://e.org/deprecations.html" in links
