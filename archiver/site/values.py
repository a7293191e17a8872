"""Typed reads of archived JSON values: the value if it has the expected type, else None.

Archived entities are upstream's JSON as it came: any field may be missing, null or of
another type. The site reads every field it shows through these, so a strange value
shows as absent instead of breaking a page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "as_bool",
    "as_float",
    "as_int",
    "as_mapping",
    "as_text",
    "dig",
    "iso_time",
    "unix_time",
]


def as_mapping(value: Any) -> Mapping[str, Any]:
    """Return value if it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def as_text(value: Any) -> str | None:
    """Return value if it is a non-empty string."""
    return value if isinstance(value, str) and value else None


def as_bool(value: Any) -> bool | None:
    """Return value if it is true or false."""
    return value if isinstance(value, bool) else None


def as_int(value: Any) -> int | None:
    """Return a JSON number as an int (truncated), or None (true and false are not numbers,
    and 1e400, which the archive keeps as sent, is no int: it reads as an infinite double)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if isinstance(value, int) or math.isfinite(value) else None


def as_float(value: Any) -> float | None:
    """Return a JSON number as a finite float, or None (true and false are not numbers, and
    neither 10**400 nor 1e400 is a double: float() raised on the one and gave inf for the other,
    and an arriving endpoint with such a context length stopped the whole site)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def iso_time(value: Any) -> datetime | None:
    """Return an upstream ISO time (2025-08-05T17:39:10.586Z), or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def unix_time(value: Any) -> datetime | None:
    """Return a Unix time in seconds as a datetime, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def dig(value: Any, parts: Sequence[str]) -> Any:
    """Return the value at a path of keys, or None."""
    for part in parts:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
