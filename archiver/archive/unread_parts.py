"""How long a listing has failed, so that new entities wait for it a day at most.

A new entity is left out while a listing that may also hold it fails (archiver.archive.plan):
written with the parts that came, it would change when that listing comes back. A listing
that keeps failing (an endpoint that moved, or now answers 401) would hold every new entity
forever; so the first epoch of each failing streak is carried from sync to sync in the
`Sync-Unread-Since` trailer, and after MAX_WAIT new entities are written with what came.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from archiver.times import format_epoch, parse_time

TRAILER = "Sync-Unread-Since"
MAX_WAIT = timedelta(hours=24)


def read_unread_since(trailers: Mapping[str, str]) -> dict[str, datetime]:
    """Return {part label: first epoch of its failing streak} from a sync's trailers."""
    since: dict[str, datetime] = {}
    for item in trailers.get(TRAILER, "").split(";"):
        label, _, epoch = item.strip().partition(" ")
        try:
            since[label] = parse_time(epoch)
        except ValueError:
            continue  # Unreadable: that streak starts again at this sync.
    return since


def unread_since_text(since: Mapping[str, datetime]) -> str | None:
    """Return the trailer's value for the parts failing now (None: none)."""
    return "; ".join(f"{label} {format_epoch(since[label])}" for label in sorted(since)) or None
