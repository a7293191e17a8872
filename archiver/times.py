"""Times, in one place: sync epochs, ISO 8601 in and out, and the forms people read.

Every time the archiver stores or prints is UTC. An epoch is a sync's hour, aligned down
(`2026-11-22T05:00:00Z`); a naive time or a bare date given by a user counts as UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from archiver.errors import ArchiverError

# A time as the library takes one: ISO 8601 text and a bare date too, as the CLI reads them.
When = datetime | date | str


def utc(moment: datetime) -> datetime:
    """Return a moment in UTC (a naive one is taken to be UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stamp(moment: datetime, pattern: str) -> str:
    """Return strftime(pattern) of a moment in UTC with a four-digit year: C's %Y writes the
    year 1 as "1", which no ISO 8601 reader (nor the archive's own) takes back."""
    moment = utc(moment)
    return moment.strftime(pattern.replace("%Y", f"{moment.year:04d}"))


def hour_epoch(moment: datetime | None = None) -> datetime:
    """Return the sync epoch for a moment (default now): its hour, aligned down, in UTC."""
    return utc(moment or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)


def format_epoch(moment: datetime) -> str:
    """Return a time as ISO 8601 UTC with a Z, to the second: 2026-11-22T05:00:00Z."""
    return stamp(moment, "%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time (a bare date or naive time counts as UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an ISO 8601 time such as 2026-07-17T18:00:00Z") from exc
    try:
        return utc(moment)
    except OverflowError as exc:
        # 0001-01-01T00:00+01:00 is a valid time whose UTC hour lies before the year 1.
        raise ValueError(f"{text!r} falls outside the years 1 to 9999 once in UTC") from exc


def given_time(value: object, label: str) -> datetime:
    """Return a time a library caller gave as `label` (at, since, until) in UTC: a datetime
    (naive: UTC), a date (its midnight, UTC) or ISO 8601 text, as `--at` reads it.

    Anything else, or a time outside the years 1 to 9999 once in UTC, raises ArchiverError
    with a one-line reason: not an AttributeError from deep inside, nor a naive time that
    compares with the archive's epochs only to raise TypeError there.
    """
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError as error:
            raise ArchiverError(f"{label}: {error}") from None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        raise ArchiverError(
            f"{label} must be a datetime, a date or ISO 8601 text, not {type(value).__name__}"
        )
    try:
        return utc(moment)
    except OverflowError:
        raise ArchiverError(
            f"{label} {moment.isoformat()} falls outside the years 1 to 9999 once in UTC"
        ) from None


def minute_text(moment: datetime) -> str:
    """Return a time as people read it in a summary: 2026-11-22 05:00 UTC."""
    return stamp(moment, "%Y-%m-%d %H:%M UTC")


def day_text(moment: datetime) -> str:
    """Return a time's UTC day: 2026-11-22."""
    return stamp(moment, "%Y-%m-%d")


def is_calendar_day(text: str) -> bool:
    """Tell whether YYYY-MM-DD text is a day of the calendar (not 07-32, not 02-30)."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
