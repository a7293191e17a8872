"""When a per-variant daily-bucket source is due: a polite, deterministic request schedule.

Effective pricing (8 daily buckets) and model activity (31 daily buckets) change their past
days only once a day, at midnight UTC, when yesterday's bucket becomes final. Fetching every
variant every hour (1,600 requests a sync) buys nothing but today's partial bucket 24 times.
So each variant is fetched every `DAILY_BUCKET_PERIOD` hours, at the hours its key's stable
hash picks: the variants are spread evenly over the syncs and no hour bursts.

The rule needs no state beyond the epoch of the previous sync: a key is due when one of its
slot hours lies after the previous sync and at or before this one. So a missed hour is
caught up at the next sync, a long outage (or a first sync) fetches every key, and a sync
repeated at the same hour fetches nothing new. As the period divides a day, every key has a
slot in the first hours of each UTC day, and that fetch holds yesterday's final bucket (and
the windows keep it for 7 and 30 more days, so even a failed fetch loses nothing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

# Hours between two fetches of one variant's daily-bucket telemetry; divides 24. Twice a
# day keeps every final bucket; beside the hourly endpoint listings (~430 requests), the
# uptime windows and the documented listings, it keeps the busiest hour under 700 requests
# (8 hours gave 748 at the busiest hour: bench/fetch_bench.py --schedule).
DAILY_BUCKET_PERIOD = 12
_HOUR = 3600


def epoch_hour(epoch: datetime) -> int:
    """Return the whole hours since the Unix epoch of a time (naive times are UTC)."""
    moment = epoch.replace(tzinfo=UTC) if epoch.tzinfo is None else epoch
    return int(moment.timestamp()) // _HOUR


def phase(key: str, period: int) -> int:
    """Return the key's slot offset in [0, period): stable across runs, machines, versions."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % period


@dataclass(frozen=True)
class Schedule:
    """Which keys one sync fetches: those with a slot hour in (previous sync, this sync]."""

    hour: int
    previous_hour: int | None = None
    period: int = DAILY_BUCKET_PERIOD
    # The keys the archive already holds (None: unknown). Any other key is new, or back after
    # its removal left a gap: due at once, or it would show no figures until its slot came.
    known: frozenset[str] | None = None

    @classmethod
    def between(
        cls,
        previous: datetime | None,
        epoch: datetime,
        period: int = DAILY_BUCKET_PERIOD,
        known: frozenset[str] | None = None,
    ) -> Schedule:
        """Return the schedule of a sync at epoch whose previous sync ran at `previous`."""
        if not 0 < period <= 24 or 24 % period:
            raise ValueError(f"a schedule period must divide 24 hours, got {period}")
        before = epoch_hour(previous) if previous is not None else None
        return cls(epoch_hour(epoch), before, period, known)

    def due(self, key: str) -> bool:
        """Tell whether a key's source is fetched this sync."""
        if self.known is not None and key not in self.known:
            return True  # New to the archive, or back: no figures of it stand.
        if self.previous_hour is None or self.hour - self.previous_hour >= self.period:
            return True  # A first sync, or a gap as long as the period: every key is due.
        if self.hour <= self.previous_hour:
            return False  # The same hour again (or a clock gone back): nothing new is due.
        # The key's first slot hour after the previous sync: due once it has come.
        first = self.previous_hour + 1
        first += (-(first + phase(key, self.period))) % self.period
        return first <= self.hour

    def split(self, keys: Iterable[str]) -> tuple[list[str], list[str]]:
        """Return (keys due, keys not due), each in the order given."""
        due: list[str] = []
        later: list[str] = []
        for key in keys:
            (due if self.due(key) else later).append(key)
        return due, later
