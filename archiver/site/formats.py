"""How figures read on the site: prices per million tokens, token counts, times, percentages."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from archiver.history.classify import decimal_price
from archiver.history.price_moves import EXACT, dollars, signed_percent
from archiver.times import day_text, format_epoch, minute_text

__all__ = [
    "MILLION",
    "ago",
    "count",
    "date",
    "moment",
    "money",
    "page_text",
    "per_million",
    "percent",
    "xml_text",
]

MILLION = Decimal(1_000_000)
# What XML 1.0 forbids (C0 controls but tab and line ends, U+FFFE/FFFF, lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Bidi embeddings, overrides and isolates reorder all that follows them to the end of the
# paragraph: in a name they would reorder the site's own words beside it ("on Provider",
# prices). Shown as escapes, as the command line shows them; marks (LRM, RLM) only nudge.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


# Either of the above: most text holds neither, and one search tells (the site's hot path).
_REWRITTEN = re.compile(f"{_NOT_XML.pattern}|{_BIDI_CONTROLS.pattern}")


def needs_page_text(text: str) -> bool:
    """Tell whether page_text would change a text."""
    return _REWRITTEN.search(text) is not None


def xml_text(text: str) -> str:
    """Return upstream text with what XML forbids replaced by U+FFFD, so feeds stay valid XML."""
    return _NOT_XML.sub("\ufffd", text)


def page_text(text: str) -> str:
    """Return upstream text as pages and feeds show it: XML-safe, bidi controls as escapes.

    In JSON embedded in a page the escape is JSON's own: the value read back is the same.
    """
    return xml_text(_BIDI_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text))


def per_million(value: Any) -> Decimal | None:
    """Return an upstream per-token price as dollars per million tokens (None: no price)."""
    number = decimal_price(value)
    if number is None or number < 0:
        return None  # OpenRouter writes -1 for "depends on the routed model".
    # Exact, as `archiver price` writes it: the default 28 digits rounded a longer price.
    return EXACT.multiply(number, MILLION).normalize(EXACT)


def money(value: Decimal | float | None, free: str = "free") -> str:
    """Return a price per million tokens as text: $0.15, $0.02145, free, or an en dash.

    Every digit archived, as `archiver price` writes it: rounded to four places, $0.02145
    read $0.0214 beside the calculator's $0.02145, and a price under $0.000000005 read $0.00.
    """
    if value is None:
        return "\u2013"
    number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if number == 0:
        return free
    return dollars(number)


def count(value: int | float | None) -> str:
    """Return a count with thousands separators, or an en dash."""
    if value is None:
        return "\u2013"
    if isinstance(value, int):
        return f"{value:,}"  # Exact, and no float overflow for an integer of 400 digits.
    return f"{value:,.0f}"


def percent(value: str | None) -> str:
    """Return a change in percent (its exact decimal text) with one decimal and no sign (the
    arrow tells it), rounded half up as `archiver changes` writes it: 6.25 reads 6.3%."""
    if value is None:
        return ""
    return signed_percent(Decimal(value)).lstrip("+-")


def uptime(value: float | None) -> str:
    """Return a mean uptime in percent to two decimals (99.95%), or an en dash."""
    return "\u2013" if value is None else f"{value:.2f}%"


def date(value: datetime | None) -> str:
    """Return a date as 2026-07-19, or an en dash."""
    return day_text(value) if value else "\u2013"


def moment(value: datetime | None) -> str:
    """Return a time as 2026-07-19 15:00 UTC, or an en dash."""
    return minute_text(value) if value else "\u2013"


def iso(value: datetime | None) -> str:
    """Return a time as ISO 8601 with a Z."""
    return format_epoch(value) if value else ""


def ago(value: datetime | None, now: datetime) -> str:
    """Return how long before now a time was: 3 hours ago, 12 days ago."""
    if value is None:
        return ""
    seconds = (now - value).total_seconds()
    if seconds < 0:
        return "in the future"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"
