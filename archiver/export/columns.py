"""Typed columns: how one value of an archived JSON document becomes a cell of a table.

Upstream sends what it likes (a context length as a string, a price as a number, a name
with a lone surrogate): a value that does not fit a column's type becomes null there, and
stays exact in the row's JSON column. Nothing here raises on hostile data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from archiver.history.classify import decimal_number, decimal_price, price_text

# Column types, named as the Parquet writer maps them (archiver.export.parquet).
STRING = "string"
INT = "int64"
DOUBLE = "double"
BOOL = "bool"
TIME = "timestamp"
STRINGS = "list<string>"
FIGURES = "list<struct<column, value>>"  # (stored column, the cell's JSON text) pairs.
INT64_RANGE = range(-(2**63), 2**63)


@dataclass(frozen=True)
class Column:
    """One column of a table: its name, its type and where its value comes from."""

    name: str
    type: str
    path: tuple[str, ...] = ()


Getter = Callable[[Any], Any]


def dig(value: Any, path: Sequence[str]) -> Any:
    """Return the value at a path of object keys, or None where the path breaks."""
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def cell(kind: str, value: Any) -> Any:
    """Return a JSON value as a cell of a column of this type (None when it does not fit)."""
    if value is None:
        return None
    if kind == STRING:
        return text(value) if isinstance(value, str) else None
    if kind == INT:
        return value if type(value) is int and value in INT64_RANGE else None
    if kind == DOUBLE:
        return number(value)
    if kind == BOOL:
        return value if isinstance(value, bool) else None
    return value


def text(value: str) -> str:
    """Return text Parquet can hold: a lone surrogate (valid JSON, not UTF-8) becomes U+FFFD."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def number(value: Any) -> float | None:
    """Return a number or a decimal string as a float (None for anything else, or not finite)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        # JSON has no NaN or infinity; an integer too large for a double is left out.
        return float(value) if abs(value) < 1e308 else None
    exact = decimal_number(value)  # A figure, not a price: any finite decimal is one.
    return _double(exact) if exact is not None else None


def _double(exact: Decimal) -> float | None:
    """Return a decimal as a double, None past 1e308 (where a number is left out too, rather
    than read as infinity)."""
    found = float(exact)
    return found if abs(found) < 1e308 else None


def decimal(value: Any) -> Decimal | None:
    """Return a price as a finite Decimal (from a string or a number), or None: read as the
    archive's commands read it, so an export row is priced exactly when `archiver price` is
    (a price too far from 1 to compute with, "1e-5000", is none: its double read 0, free)."""
    return decimal_price(value)


def price_cells(value: Any) -> tuple[str | None, float | None]:
    """Return (the price as archived, as text, and its double), reading its decimal once: a
    number keeps the spelling of its JSON literal, as the archived file has it."""
    if value is None:
        return None, None  # Most SKUs: not priced.
    exact_value = decimal(value)
    if exact_value is None:
        return None, None
    written = text(value) if isinstance(value, str) else price_text(value)
    if isinstance(value, int | float):
        return written, float(value) if abs(value) < 1e308 else None
    return written, _double(exact_value)
