"""Where a chart must break: the stretches of time in which the archive recorded nothing.

A chart draws steps (a value holds until the next point), so a stretch without a record
drawn as a step shows a value held, for days or weeks, that the archive never saw. What the
archive recorded is read from the archive itself, for each kind of series:

- **Prices** (entity versions): an entity file changes only when its upstream data did, so
  its price holds between versions exactly as long as syncs ran. The syncs are the sync
  commits (their `Sync-Epoch`). Two syncs more than `PRICE_ALLOWANCE` (6 hours) apart are a
  stop of the job: the line breaks an hour after the last sync before it (that sync's
  price stands for its hour) and resumes, with the price the next sync found, at the first
  sync after. Six hours, not one: prices change a few times a month, so a few runs the
  scheduler dropped (GitHub delays and drops scheduled runs under load) hide nothing a
  reader would miss, while a day without a sync is not a day the archive knows.
- **Endpoint telemetry** (latency, throughput, status, request counts): a telemetry file
  names each sync that wrote it once, and a key gets a line only when its figures changed,
  so the syncs that recorded endpoint telemetry are the epochs the lines name, any key's
  (the site reads the lines where a charted figure changed: with request counts moving
  every hour on some endpoint, that is every sync that wrote endpoint telemetry). The job
  runs hourly, so the allowance is `TELEMETRY_ALLOWANCE`, 2 hours: one hour without a record
  (one scheduled run dropped, a run whose listings all failed) holds the reading of the
  hour before, as it would hold had the figures not changed; syncs more than 2 hours apart
  break the line. A key absent from syncs that ran is either unchanged or its listing
  failed, and the format cannot tell the two apart: it holds, as the files' reader holds
  it; a key the sync saw without figures has a `-` line and is a gap already (None). When
  the records stop before the chart's end (endpoint telemetry no longer written while syncs
  went on), the line ends where they stopped.
- **Hourly uptime**: one point per measured hour; an hour no window held breaks the line
  (:func:`hourly_gaps`), and so do the hours after the newest measured one.
- **Model variants** (effective pricing, activity) are fetched every 12 hours
  (:mod:`archiver.upstream.schedule`) and have no chart on the site; one would take the
  epochs of the variant files with an allowance of 12 hours and a dropped run (14 hours),
  so that a series written every 12 hours reads as continuous.

A stretch longer than its allowance is a stop only if it is also more than
`CADENCE_FACTOR` times the archive's own rhythm there (the median of the `NEIGHBOURS`
intervals before it, or the interval after it if that is longer): an archive imported from
daily captures syncs once a day, and its days are its rhythm, not stops; a week missing
from it is one, and so is a month between two imports. An hourly archive's rhythm is an
hour, so there the allowance alone decides.

A break is a point whose value is None and whose time is in `Recorded.gaps` ("not
recorded", distinct from None as a value: not offered, not reported); a value restated
after a break is a point in `Recorded.resumed` (no dot: it is no change).
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

__all__ = [
    "HOUR",
    "PRICE_ALLOWANCE",
    "TELEMETRY_ALLOWANCE",
    "Record",
    "Recorded",
    "hourly_gaps",
    "with_gaps",
]

V = TypeVar("V")
HOUR = timedelta(hours=1)
PRICE_ALLOWANCE = timedelta(hours=6)
TELEMETRY_ALLOWANCE = timedelta(hours=2)
# A stop is also this many times longer than the median interval of the syncs around it.
CADENCE_FACTOR = 2
NEIGHBOURS = 6


@dataclass(frozen=True)
class Record:
    """When the archive recorded a kind of series: its stops and its newest record.

    stops: (last record before, first record after) of each stretch that is a stop, oldest
    first. allowance: how long after the newest record the chart may go on unbroken (the
    allowance, or the cadence the records ended with). held: how long one record stands
    (the hourly job's hour).
    """

    stops: tuple[tuple[datetime, datetime], ...]
    newest: datetime | None
    allowance: timedelta
    held: timedelta = HOUR

    @classmethod
    def of(cls, epochs: Iterable[datetime], allowance: timedelta) -> Record:
        """Return the record of a kind of series from the epochs that recorded it."""
        ordered = sorted(set(epochs))
        steps = [after - before for before, after in itertools.pairwise(ordered)]
        stops = tuple(
            (ordered[index], ordered[index + 1])
            for index, step in enumerate(steps)
            if step > allowance and step > CADENCE_FACTOR * _cadence(steps, index)
        )
        # Past the newest record, the cadence is the one the records ended with.
        tail = max(allowance, CADENCE_FACTOR * _cadence(steps, len(steps)))
        return cls(stops, ordered[-1] if ordered else None, tail)

    def stopped_before(self, end: datetime) -> bool:
        """Tell whether the records stop longer than the allowance before end."""
        return self.newest is not None and end - self.newest > self.allowance


def _cadence(steps: Sequence[timedelta], index: int) -> timedelta:
    """Return the archive's rhythm at steps[index]: the median of the NEIGHBOURS intervals
    before it, or the interval right after it if that is longer (zero: neither)."""
    before = sorted(steps[max(index - NEIGHBOURS, 0) : index])
    usual = before[(len(before) - 1) // 2] if before else timedelta(0)
    # The interval after counts alone: a rhythm that changes there (imported days, then the
    # hourly job; or the archive's first interval) is no stop.
    return max(usual, steps[index + 1]) if index + 1 < len(steps) else usual


@dataclass(frozen=True)
class Recorded(Generic[V]):
    """A series with its breaks: points, where each break begins, and values restated."""

    points: list[tuple[datetime, V | None]]
    gaps: frozenset[datetime] = frozenset()
    resumed: frozenset[datetime] = frozenset()


def with_gaps(
    points: Sequence[tuple[datetime, V | None]], record: Record | None, end: datetime
) -> Recorded[V]:
    """Return step points broken wherever the record has a stop, and after its newest record.

    A value None (not offered, not reported) is no line already: nothing is added after it.
    """
    if record is None or not (record.stops or record.stopped_before(end)):
        return Recorded(list(points))
    stops: list[tuple[datetime, datetime | None]] = list(record.stops)
    if record.newest is not None and record.stopped_before(end):
        stops.append((record.newest, None))  # Nothing recorded since, up to the chart's end.
    found: list[tuple[datetime, V | None]] = []
    gaps: set[datetime] = set()
    resumed: set[datetime] = set()
    copied = 0
    # A search a stop, not a test a point: a month of hourly points, and stops are rare.
    for before, after in stops:
        index = bisect.bisect_right(points, before, key=operator.itemgetter(0)) - 1
        if index < 0 or points[index][1] is None:
            continue  # Before the series begins, or where it draws nothing anyway.
        value = points[index][1]
        until = points[index + 1][0] if index + 1 < len(points) else end
        if until - before <= record.held:  # Subtracted: an hour past 9999 would overflow.
            continue
        found.extend(points[copied : index + 1])
        copied = index + 1
        found.append((before + record.held, None))
        gaps.add(before + record.held)
        if after is not None and after < until:
            found.append((after, value))
            resumed.add(after)
    found.extend(points[copied:])
    return Recorded(found, frozenset(gaps), frozenset(resumed))


def hourly_gaps(points: Sequence[tuple[datetime, V | None]], end: datetime) -> Recorded[V]:
    """Return hourly points broken after each hour the next point does not follow, and
    after the newest hour when the chart goes on past it.

    Each point is one measured hour: an hour no window held (a hole in upstream's window,
    days the archive did not run, hours no window has covered yet) holds nothing.
    """
    found: list[tuple[datetime, V | None]] = []
    gaps: set[datetime] = set()
    for index, (when, value) in enumerate(points):
        found.append((when, value))
        following = points[index + 1][0] if index + 1 < len(points) else end
        if value is not None and following - when > HOUR:
            found.append((when + HOUR, None))
            gaps.add(when + HOUR)
    return Recorded(found, frozenset(gaps))
