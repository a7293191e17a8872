"""History is written in time order: a sync's given epoch is checked against the archive.

A future epoch makes every later hourly sync look older than HEAD; an epoch before the latest
sync puts a sync after newer ones. Either is refused under the repository's lock, where no
other run can commit between the check and the sync.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archiver.archive.store import Store
from archiver.errors import ArchiverError
from archiver.times import format_epoch, hour_epoch

# How far past now a capture or a given epoch may be: clocks differ by minutes, not hours.
FUTURE_SLACK = timedelta(hours=1)


def refuse_epoch_out_of_order(store: Store, epoch: datetime | None) -> None:
    """Raise if a sync's given epoch is after now + FUTURE_SLACK or before the latest sync
    (None: the sync runs at now, nothing to check)."""
    if epoch is None:
        return
    now = datetime.now(UTC)
    if epoch > now + FUTURE_SLACK:
        raise ArchiverError(
            f"refusing --epoch {format_epoch(epoch)}: it is in the future (now is "
            f"{format_epoch(now)}); give a time at or before now"
        )
    latest = store.latest_epoch()
    if latest is not None and hour_epoch(epoch) < latest:
        raise ArchiverError(
            f"refusing --epoch {format_epoch(epoch)}: the archive's latest sync is "
            f"{format_epoch(latest)}; history is written in time order, so sync older "
            "hours into a new archive first"
        )
