"""History is written in time order: a sync's given epoch is checked against the archive.

A future epoch makes every later hourly sync look older than HEAD; an epoch before the latest
sync puts a sync after newer ones, and so does a sync at now on a machine whose clock is
behind (or after a sync given an epoch up to an hour ahead). Each is refused under the
repository's lock, where no other archiver run can commit between the check and the sync;
git can (a `git pull` in the work tree while the sync fetches), so `refuse_overtaken`
checks again once the data is in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archiver.archive.store import Store
from archiver.errors import ArchiverError
from archiver.times import format_epoch, hour_epoch

# How far past now a capture or a given epoch may be: clocks differ by minutes, not hours.
FUTURE_SLACK = timedelta(hours=1)


def refuse_epoch_out_of_order(store: Store, epoch: datetime | None) -> None:
    """Raise if a sync's epoch (given, or None: now) is after now + FUTURE_SLACK or before
    the latest sync."""
    now = datetime.now(UTC)
    if epoch is None:
        _refuse_clock_behind(store, now)
        return
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


def _refuse_clock_behind(store: Store, now: datetime) -> None:
    """Raise if this machine's clock reads an hour before the latest sync's epoch.

    A runner whose clock is behind (or a sync after one given an epoch up to an hour ahead)
    would file its sync before newer ones: history read in time order would go backwards.
    """
    latest = store.latest_epoch()
    if latest is not None and hour_epoch(now) < latest:
        raise ArchiverError(
            f"refusing to sync at {format_epoch(hour_epoch(now))}: this machine's clock reads "
            f"{format_epoch(now)}, before the archive's latest sync {format_epoch(latest)}; "
            "check the clock, or sync again once it passes that hour"
        )


def refuse_overtaken(store: Store, epoch: datetime) -> None:
    """Raise if a sync newer than this one's epoch landed while it fetched (git, not a sync).

    Committed on top, the older hour's data would undo the newer sync's changes.
    """
    latest = newer_sync(store, epoch)
    if latest is not None:
        raise ArchiverError(
            f"the archive's latest sync became {format_epoch(latest)} while this sync of "
            f"{format_epoch(epoch)} fetched (a git pull in {store.root}?); it is newer, so "
            "nothing was committed: sync again"
        )


def newer_sync(store: Store, epoch: datetime) -> datetime | None:
    """Return the epoch of the archive's latest sync when it is later than epoch, else None."""
    latest = store.latest_epoch()
    return latest if latest is not None and latest > epoch else None
