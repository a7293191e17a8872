"""Months, the export's partitions: a time's month as text, and a month's bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archiver.times import stamp


def month_of(moment: datetime) -> str:
    """Return the UTC month of a moment as its partition value: 2026-07."""
    return stamp(moment, "%Y-%m")


def month_start(month: str) -> datetime:
    """Return the first moment of a month (UTC)."""
    return datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)


def month_last_second(month: str) -> datetime:
    """Return the last whole second of a month (the archive's epochs are whole seconds)."""
    start = month_start(month)
    following = (start + timedelta(days=32)).replace(day=1)
    return following - timedelta(seconds=1)


def previous_month(month: str) -> str:
    """Return the month before a month as text (2026-01 -> 2025-12), by arithmetic on the
    digits: a manifest's month is only checked to be `dddd-dd`."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number <= 1 else f"{year:04d}-{number - 1:02d}"
