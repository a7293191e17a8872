"""Two syncs in one hour are two feed entries: the first one's never changes under its id.

A feed had one entry per hour (`<subject>/<epoch>`). A second sync in the same hour (a
rerun, a late schedule) has the same epoch, so its changes were added to the first one's
entry: same id, same `updated`, new content. A feed reader that had fetched the entry
before never showed the second sync's changes. Now each sync is an entry; the hour's first
keeps its id and content, the later one is a new entry. Real archive, real site builds,
incremental and full.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.capture.files import Capture
from archiver.site import build_site
from tests.archive_helpers import head
from tests.small_captures import (
    QUARTER_STEP,
    small_daily,
    some_models,
    sync_small,
    with_first_endpoints_edited,
    with_models_only,
)

ATOM = "{http://www.w3.org/2005/Atom}"
BASE_URL = "https://someone.github.io/archive/"


def _doubled(endpoint: dict[str, Any]) -> dict[str, Any]:
    pricing = {**endpoint["pricing"], "prompt": "0.125"}
    return {**endpoint, "pricing": pricing}


def _entries(site: Path) -> dict[str, tuple[str | None, str | None]]:
    """Return {entry id: (updated, content)} of the all-changes feed."""
    root = ET.parse(site / "feeds" / "changes.xml").getroot()
    return {
        entry.findtext(f"{ATOM}id") or "": (
            entry.findtext(f"{ATOM}updated"),
            entry.findtext(f"{ATOM}content"),
        )
        for entry in root.iter(f"{ATOM}entry")
    }


def _build(repo: Path, out: Path, cache: Path | None) -> dict[str, tuple[str | None, str | None]]:
    build_site(repo, out, base_url=BASE_URL, cache=cache, built=datetime(2026, 8, 1, tzinfo=UTC))
    return _entries(out)


def test_a_second_sync_in_the_hour_is_a_new_entry(tmp_path: Path) -> None:
    first = small_daily()[0]
    first = with_models_only(first, some_models(first, QUARTER_STEP, featured=2))
    small_archive = tmp_path / "archive"
    sync_small(small_archive, first)
    hour = first.time.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    one, _ = with_first_endpoints_edited(first, [_doubled])
    two, _ = with_first_endpoints_edited(first, [_doubled, _doubled])
    cache = tmp_path / "cache"

    sync_small(small_archive, Capture(hour + timedelta(minutes=10), one.source, "", one.responses))
    earlier = _build(small_archive, tmp_path / "site", cache)
    sync_small(small_archive, Capture(hour + timedelta(minutes=40), two.source, "", two.responses))
    later = _build(small_archive, tmp_path / "site", cache)

    # The entry a reader already has is the same, id and content; the new sync is new.
    assert all(later.get(entry_id) == seen for entry_id, seen in earlier.items())
    new = [entry_id for entry_id in later if entry_id not in earlier]
    assert len(new) == 1 and head(small_archive) in new[0]
    assert later[new[0]][0] == hour.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _build(small_archive, tmp_path / "full", None) == later
