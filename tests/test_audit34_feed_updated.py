"""A feed is dated by its newest entry, so a sync that did not touch it leaves its bytes alone.

Every feed's `<updated>` was the build's sync: each hour every model's and provider's feed
changed (thousands of files rewritten and served anew) though none of its entries had, and
it told feed readers it had been modified when nothing in it was. RFC 4287 dates a feed
by its last significant change: its newest entry. A real archive of two syncs an hour
apart, the second changing one price; real builds after each.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from archiver.site import build_site
from archiver.site.urls import model_feed
from tests.small_captures import (
    first_listed_models,
    small_daily,
    some_models,
    sync_small,
    with_first_price_changed,
    with_models_only,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def _updated(path: Path) -> tuple[str, list[str]]:
    """Return a feed's own date and its entries' dates."""
    root = ET.parse(path).getroot()
    entries = [entry.findtext(f"{ATOM}updated", "") for entry in root.findall(f"{ATOM}entry")]
    return root.findtext(f"{ATOM}updated", ""), entries


def test_a_feed_no_sync_touched_keeps_its_bytes(tmp_path: Path) -> None:
    whole = small_daily()[-1]
    repriced_model = first_listed_models(whole, 1)
    keys = some_models(whole, 24) | repriced_model
    first = with_models_only(whole, keys)
    second = replace(with_first_price_changed(first), time=first.time + timedelta(hours=1))
    repo, sites = tmp_path / "archive", []
    for number, capture in enumerate((first, second)):
        assert sync_small(repo, capture).commit_id
        sites.append(tmp_path / f"site-{number}")
        build_site(repo, sites[-1], built=capture.time)
    untouched = sorted(keys - repriced_model)[0]
    feeds = [site / model_feed(untouched) for site in sites]
    assert feeds[0].read_bytes() == feeds[1].read_bytes()
    updated, entries = _updated(feeds[1])
    assert entries and updated == max(entries)
    # The feed of all changes has the new sync as its newest entry, and is dated by it.
    updated, entries = _updated(sites[1] / "feeds" / "changes.xml")
    assert updated == entries[0] == second.time.strftime("%Y-%m-%dT%H:00:00Z")
