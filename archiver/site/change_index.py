"""The monitor's static index of every change, one JSON file per month, and a manifest.

The monitor's pages are paged HTML (complete without JavaScript); its filters (kind, model,
provider, dates) must search the whole history, not the page at hand. So the build writes
``changes/index/manifest.json`` (the months, their sizes and date spans, the kinds) and
``changes/index/YYYY-MM.json`` (the syncs of that month, newest first, each change with its
kinds, summary and facts); the monitor's script loads the manifest, then only the months a
filter's date range needs. Month shards keep each file small and unchanged once its month
is over, so a browser's cache and a CDN keep them.

The files are data, never markup: the script puts their text in the page as text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from archiver import jsonvalue
from archiver.site.cards import KIND_LABELS, ChangeCard
from archiver.site.formats import iso, page_text
from archiver.site.timeline import SyncGroup
from archiver.site.urls import href
from archiver.times import stamp

__all__ = ["INDEX_DIR", "MANIFEST", "index_files"]

INDEX_DIR = "changes/index"
MANIFEST = f"{INDEX_DIR}/manifest.json"
FORMAT = 1
# A change lists at most this many facts in the index (its summary names the first ones).
MAX_DETAILS = 12


def index_files(groups: Sequence[SyncGroup]) -> Iterator[tuple[str, bytes]]:
    """Yield (path, JSON bytes) of every month's shard, then the manifest."""
    months: dict[str, list[SyncGroup]] = {}
    for group in groups:
        months.setdefault(stamp(group.epoch, "%Y-%m"), []).append(group)
    listed: list[dict[str, Any]] = []
    for month, found in sorted(months.items(), reverse=True):
        path = f"{INDEX_DIR}/{month}.json"
        syncs = [_sync(group) for group in found]
        yield path, jsonvalue.dumps({"format": FORMAT, "month": month, "syncs": syncs}) + b"\n"
        listed.append(
            {
                "month": month,
                "path": path.removeprefix(f"{INDEX_DIR}/"),
                "syncs": len(syncs),
                "changes": sum(group.size for group in found),
                "newest": iso(found[0].epoch),
                "oldest": iso(found[-1].epoch),
            }
        )
    manifest = {
        "format": FORMAT,
        "kinds": KIND_LABELS,
        "syncs": sum(month["syncs"] for month in listed),
        "changes": sum(month["changes"] for month in listed),
        "months": listed,
    }
    yield MANIFEST, jsonvalue.dumps(manifest) + b"\n"


def _sync(group: SyncGroup) -> dict[str, Any]:
    """Return one sync's changes, most important first (bulk lists after the cards)."""
    cards = [*group.cards, *(card for found in group.bulk.values() for card in found)]
    return {
        "epoch": iso(group.epoch),
        "commit": group.commit,
        "changes": [_change(card) for card in cards],
    }


def _change(card: ChangeCard) -> dict[str, Any]:
    """Return one change as the monitor's script reads it (short keys: the files add up).

    The texts it shows are written as the pages write them (`page_text`); keys stay exact.
    """
    return {
        "c": card.category,
        "k": card.key,
        "t": list(card.change_kinds),
        "n": page_text(card.described.subject),
        "s": page_text(card.summary),
        "d": [
            [detail.kind.value, page_text(detail.text), detail.cheaper]
            for detail in card.details[:MAX_DETAILS]
        ],
        "m": card.model_key,
        "mn": page_text(card.title) if card.category != "provider" else "",
        "p": card.provider_key,
        "pn": page_text(card.provider_name),
        "pt": page_text(card.provider_tag),
        "u": href(page) if (page := card.href or card.model_href or card.provider_href) else None,
    }
