"""Hourly uptime windows: which endpoints are due this sync, and what a window holds.

OpenRouter serves an endpoint's hourly uptime only as a rolling window of about 72 hours
(`sources.UPTIME_HOURLY`). Fetching it once a day per endpoint loses nothing (every hour is
seen in three windows) and costs 1/24 of the endpoints per hourly sync: the endpoints are
spread over the hours by the same stable hash as the daily-bucket sources
(`archiver.upstream.schedule`), with a period of a day.

Unlike those sources, a first sync or a long gap does not fetch every endpoint at once (a
burst of a thousand requests): the window is three periods long, so an endpoint whose slot
was missed is fetched at its next slot and still finds every hour since its previous
fetch, as long as the gap is under 48 hours. Only the last `CATCH_UP_HOURS` missed slots are
caught up, which keeps any one sync's share small.

A window is read strictly: every point must be an object with a whole-hour `date` and an
`uptime` that is a number from 0 to 100 or null, each hour at most once, and no hour after
the sync's and this machine's by more than one (no window measures hours to come: one such
point, stitched, would be the archive's newest uptime day for good, and every reader that
counts back from the newest day would read that far-off day alone). A window that is not
is reported in one line and changes nothing (a half-read window would look like history).
The per-model `uptime-recent` source is not fetched: it holds the same measurements as daily
means over three days, which the hourly series already covers at 24 times the resolution.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from archiver.textsafe import key_text
from archiver.upstream.fetch import Response
from archiver.upstream.references import archivable
from archiver.upstream.schedule import Schedule, epoch_hour

# Hours between two fetches of one endpoint's window (the window is about 72 hours).
UPTIME_PERIOD = 24
# Missed slot hours a sync still catches up after a gap (the window covers the rest).
CATCH_UP_HOURS = 3
# Upstream writes "2025-05-21 23:00:00" (UTC); an ISO spelling with T and Z is taken too.
_HOUR = re.compile(r"(\d{4}-\d\d-\d\d)[ T](\d\d):00:00(?:\.0+)?(?:Z|\+00:00)?")

# {hour as ISO text "YYYY-MM-DDTHH:00:00Z": uptime percentage (or None) exactly as sent}
Window = dict[str, Any]


def uptime_schedule(hour: int, previous_hour: int | None) -> Schedule:
    """Return which endpoints' windows the sync of an hour fetches, after the previous one's.

    Hours are whole hours since the Unix epoch (`schedule.epoch_hour`), as a `Schedule` holds.
    """
    before = previous_hour if previous_hour is not None else hour - 1
    # Never more than a few hours' share at once: the window keeps what is older.
    return Schedule(hour, max(before, hour - 1 - CATCH_UP_HOURS), UPTIME_PERIOD)


def uptime_schedule_at(previous: datetime | None, epoch: datetime) -> Schedule:
    """Return the uptime schedule of a sync at epoch after one at `previous` (None: first)."""
    return uptime_schedule(epoch_hour(epoch), epoch_hour(previous) if previous else None)


def due_endpoints(endpoint_ids: Iterable[str], schedule: Schedule) -> list[str]:
    """Return the endpoints whose window is fetched this sync, sorted; never one whose id
    no file can be archived under (its endpoint is refused, its figures would be skipped,
    and a 70,000-character id made a URL no client sends)."""
    due = (key for key in set(endpoint_ids) if schedule.due(key))
    return sorted(key for key in due if archivable("endpoint", key))


def read_window(
    endpoint_id: str, response: Response, last_hour: int | None = None
) -> tuple[Window | None, str | None]:
    """Return (the window's points, None) or (None, the one-line reason it is not usable);
    last_hour is the latest hour a point may name (`schedule.epoch_hour`; None: any)."""
    label = f"uptime window of endpoint {key_text(endpoint_id)!r}"
    if not response.ok:
        return None, f"{label}: {response.error}; nothing changed"
    body = response.data
    data = body.get("data") if isinstance(body, dict) else None
    history = data.get("history") if isinstance(data, dict) else None
    if not isinstance(history, list):
        return None, f"{label}: expected {{'data': {{'history': [...]}}}}; nothing changed"
    window: Window = {}
    for position, point in enumerate(history):
        problem = _point_problem(point, window, last_hour)
        if problem:
            return None, f"{label}: point {position} {problem}; nothing changed"
    return window, None


def _point_problem(point: Any, window: Window, last_hour: int | None) -> str | None:
    """Add one point to the window, or return what is wrong with it."""
    if not isinstance(point, dict):
        return f"is a {type(point).__name__}, not an object"
    date, value = point.get("date"), point.get("uptime", _MISSING)
    match = _HOUR.fullmatch(date) if isinstance(date, str) else None
    if match is None or not _real_day(match[1]) or int(match[2]) > 23:
        return f"has date {date!r}, not a whole UTC hour"
    if value is _MISSING:
        return "has no uptime"
    if value is not None and not _percentage(value):
        return f"has uptime {value!r}, not a percentage or null"
    hour = f"{match[1]}T{match[2]}:00:00Z"
    if last_hour is not None and epoch_hour(datetime.fromisoformat(hour)) > last_hour:
        return f"has date {date!r}, an hour still to come"
    if hour in window and window[hour] != value:
        return f"repeats hour {hour} with another value"
    window[hour] = value
    return None


def _percentage(value: Any) -> bool:
    """Tell whether a value is a finite number from 0 to 100 (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and 0 <= value <= 100


def _real_day(text: str) -> bool:
    """Tell whether YYYY-MM-DD text names a day of the calendar."""
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True


_MISSING = object()
