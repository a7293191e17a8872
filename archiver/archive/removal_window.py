"""The removal guard's memory: each part's largest size on each of the last days.

A listing that comes back half empty is caught by comparing it with what the part held.
A listing that shrinks a few percent each sync would slip past a guard that looks at one
sync only, so the guard compares with the largest size the part had on any of the last
`WINDOW_DAYS` days: a part may not end a sync more than the allowed share below that peak.

The window travels in the sync commit's message, as the trailer

    Sync-Part-Peaks: 2026-07-19; endpoint 1060 1062 1059; model/v1 344 343; ...

(per part, the largest size of each day, oldest first, the last one on the date given), so
a shallow clone with HEAD alone has it. A day without a commit had nothing removed or
added: it held what the archive holds before this sync (`held`), the size the day before
ended with, not its peak: a peak repeated into the next day would repeat into every day
after it, and the window would never forget a size the part lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

TRAILER = "Sync-Part-Peaks"
WINDOW_DAYS = 7


@dataclass
class RemovalWindow:
    """Daily largest sizes per part ("endpoint", "model/v1", ...), the newest on `day`."""

    day: date | None = None
    sizes: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def from_trailers(cls, trailers: Mapping[str, str]) -> RemovalWindow:
        """Return the window a sync commit's trailers record (empty if they record none)."""
        value = trailers.get(TRAILER)
        if value is None:
            return cls()
        first, *parts = value.split(";")
        try:
            day = date.fromisoformat(first.strip())
            sizes = {
                label: [int(n) for n in numbers]
                for label, *numbers in (part.split() for part in parts if part.strip())
            }
        except ValueError:
            return cls()  # Unreadable: the guard then compares with this sync alone.
        return cls(day, {k: v[-WINDOW_DAYS:] for k, v in sizes.items() if v})

    def peak(self, label: str, epoch: datetime, held: int | None = None) -> int | None:
        """Return the part's largest size on the window's days up to the epoch, or None;
        held: its size before this sync (what the days since the last recorded one held)."""
        return max(self._days_at(label, epoch.date(), held), default=None)

    def recorded(
        self, epoch: datetime, sizes: Mapping[str, int], held: Mapping[str, int] | None = None
    ) -> RemovalWindow:
        """Return the window with this sync's sizes counted on its day; held: each part's
        size before this sync."""
        day = epoch.date()
        merged: dict[str, list[int]] = {}
        for label in sorted(self.sizes.keys() | sizes.keys()):
            days = self._days_at(label, day, (held or {}).get(label))
            if label in sizes:
                # The last entry is this day's: the part held that many before this sync too.
                days = days or [sizes[label]]
                days[-1] = max(days[-1], sizes[label])
            merged[label] = days
        return RemovalWindow(day, merged)

    def trailer_value(self) -> str:
        """Return the trailer's value."""
        assert self.day is not None
        parts = [f"{label} {' '.join(map(str, days))}" for label, days in self.sizes.items()]
        return "; ".join([self.day.isoformat(), *parts])

    def _days_at(self, label: str, day: date, held: int | None = None) -> list[int]:
        """Return the part's daily sizes shifted so the last entry is `day` (oldest first);
        the days after the last recorded one held `held` (unknown: the last day's peak)."""
        days = list(self.sizes.get(label, []))
        if days and self.day is not None and day > self.day:
            # Days without a commit changed nothing: they held what the last sync left.
            gap = min((day - self.day).days, WINDOW_DAYS)
            days += [days[-1] if held is None else held] * gap
        return days[-WINDOW_DAYS:]
