"""The sources a sync fetches after the endpoint listings: uptime windows, documented listings.

Both are optional (a 404 means "not offered here" and is only counted), both are spread over
the hours by a stable hash of their key (each key about once a day), and neither can block
the rest of the sync: whatever they fail at is reported and changes nothing.

- uptime windows (`archiver.upstream.uptime`) of the endpoints some listing held this sync
  whose slot is due;
- documented endpoint listings (`archiver.upstream.documented`) of every model whose
  frontend listing failed, and of the models whose slot is due.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from archiver import jsonvalue
from archiver.errors import UnsafeKeyError
from archiver.paths import category_dir, path_to_key
from archiver.times import hour_epoch
from archiver.upstream import sources
from archiver.upstream.documented import KIND as DOCUMENTED_KIND
from archiver.upstream.documented import Listings, archived_endpoints, map_listings, read_listing
from archiver.upstream.entities import Observed, Observer
from archiver.upstream.fetch import Fetcher, Response
from archiver.upstream.references import archivable
from archiver.upstream.schedule import Schedule, epoch_hour
from archiver.upstream.uptime import (
    Window,
    due_endpoints,
    read_window,
    uptime_schedule,
    uptime_schedule_at,
)

# The telemetry kind the uptime windows are stitched into (archiver.telemetry.uptime; the
# name is repeated here because upstream may not import the telemetry package).
UPTIME_KIND = "endpoint_uptime"
# The extra sources' paths, as the sync log names them: optional, like every telemetry source.
EXTRA_SOURCES = (sources.UPTIME_HOURLY, sources.DOCUMENTED_ENDPOINTS)
Offered = Callable[[Response], Response | None]


@dataclass
class ExtraFigures:
    """The extra sources' telemetry, ready for the telemetry writer, and what to report."""

    # {kind: {key: figures}} and {kind: keys not fetched this sync, whose figures stand}.
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    unfetched: dict[str, set[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ExtraSources:
    """What the extra sources gave one sync."""

    # {endpointId: {hour: uptime}} of the windows read whole.
    windows: dict[str, Window] = field(default_factory=dict)
    # {modelKey: documented endpoint objects} of the listings read whole.
    documented: Listings = field(default_factory=dict)
    # Models whose frontend listing failed this sync (the documented one was asked for).
    frontend_failed: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def figures(
        self, observed: Observed, tracked: Mapping[str, str], read: Callable[[str], bytes]
    ) -> ExtraFigures:
        """Return the telemetry to write: the windows, and the documented figures mapped onto
        this sync's endpoints and, for models whose frontend listing failed, archived ones."""
        result = ExtraFigures(problems=list(self.problems), notes=list(self.notes))
        if self.windows:
            result.kinds[UPTIME_KIND] = dict(self.windows)
        if not self.documented:
            return result
        files = observed.parts["endpoint"].get("endpoint", {})
        # jsonvalue: a file may hold a literal no double carries (1e400), digit for digit.
        endpoints = [jsonvalue.loads(data) for data in files.values()]
        failed = self.frontend_failed & set(self.documented)
        archived = archived_endpoints(tracked, read, failed)
        endpoints += [e for e in archived if e.get("id") not in files]
        mapped = map_listings(self.documented, endpoints, failed)
        result.kinds[DOCUMENTED_KIND] = mapped.telemetry
        known = {str(e.get("id")) for e in endpoints} | _archived_ids(tracked)
        result.unfetched[DOCUMENTED_KIND] = known - mapped.covered
        result.problems += mapped.problems
        result.notes += mapped.notes
        return result


def _archived_ids(tracked: Mapping[str, str]) -> set[str]:
    """Return the endpointIds of the archive's endpoint files (from their paths, none read)."""
    ids: set[str] = set()
    prefix = f"{category_dir('endpoint')}/"
    for path in tracked:
        if path.startswith(prefix):
            try:
                ids.add(path_to_key(path)[1])
            except UnsafeKeyError:
                continue  # Not a file the archive wrote; the plan reports it.
    return ids


async def fetch_extra_sources(
    fetcher: Fetcher, observer: Observer, schedule: Schedule | None, offered: Offered
) -> ExtraSources:
    """Fetch the due uptime windows and documented listings, after the endpoint listings.

    schedule is the sync's daily-bucket schedule, whose hours these sources share (None: a
    sync of this hour after one of the previous hour).
    """
    found = ExtraSources()
    if schedule is None:
        daily = uptime_schedule_at(None, hour_epoch())
    else:
        daily = uptime_schedule(schedule.hour, schedule.previous_hour)
    listings_whole = observer.listings_whole()
    found.frontend_failed = {key for key, whole in listings_whole.items() if not whole}
    # Not a key no file can be archived under: its endpoints are refused, and its `..`
    # segments sent the request to another path (`a/../b` asked for model b's listing).
    models = sorted(
        key
        for key in listings_whole
        if not key.startswith("~")
        and (key in found.frontend_failed or daily.due(key))
        and archivable("model", key)
    )
    endpoints = due_endpoints(observer.seen_endpoints(), daily)
    # A window ends at the hour it is fetched: the sync's, or the next if the run crossed it;
    # later still only for a backfill given an --epoch behind this machine's clock.
    last_hour = max(daily.hour, epoch_hour(hour_epoch())) + 1
    urls = [sources.documented_url(key) for key in models]
    urls += [sources.uptime_url(endpoint_id) for endpoint_id in endpoints]

    def take(position: int, response: Response) -> None:
        if offered(response) is None:
            return
        if position < len(models):
            items, problem = read_listing(models[position], response)
            if items is not None:
                found.documented[models[position]] = items
            else:
                found.problems.append(problem)
            return
        endpoint_id = endpoints[position - len(models)]
        window, reason = read_window(endpoint_id, response, last_hour)
        if window is not None:
            found.windows[endpoint_id] = window
        elif reason:
            found.problems.append(reason)

    if urls and fetcher.past_deadline():
        # Nothing is lost by waiting: an uptime window spans ~72 hours and a documented
        # listing is a second source; one line, not a deadline failure per URL.
        found.notes.append(
            f"the sync deadline passed before {len(urls)} uptime windows and documented "
            "listings were fetched; their next turn fetches them"
        )
        urls = []
    if urls:
        await fetcher.get_many(urls, take)
    found.problems.sort()  # They arrive in any order; the log reads the same every time.
    return found
