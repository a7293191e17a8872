"""The endpoint grid's data file: every row of the grid in one compact, columnar JSON file.

The grid page (templates/index.html, templates/static/grid.js) loads ``grid.json`` once
and renders only the rows in view, so sort, search and facets run on arrays in memory
instead of on tens of thousands of DOM elements. The layout, version GRID_FORMAT:

- ``count``: the number of rows; ``ids``: each row's endpointId, in the grid's default
  order (newest endpoint first, as the pages without JavaScript list them);
- ``pages``: the rows whose page is not ``endpoint/<id>.html`` (row index -> path);
- ``columns``: one dictionary-encoded column per cell: ``values`` (distinct values, each
  a list whose first item is its sort key), ``codes`` (per row, an index into values;
  -1 for nothing to show) and ``known`` (values[:known] have a sort key and are in sort
  order; the rest sort last whichever the direction, as unknown prices always did);
- ``tokens`` and ``facets``: the facet tokens (``in:image``, ``f:tools``, ``f:free``...)
  and, per word of 30 tokens, one bit mask per row.

Every text the grid shows is formatted here, by the same filters the HTML pages use, so
a row reads the same with and without JavaScript. Upstream text travels as JSON data and
is only ever set as text by the script, never parsed as HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from archiver import jsonvalue
from archiver.site import formats
from archiver.site.env import tint
from archiver.site.rows import FEATURES, EndpointRow
from archiver.site.urls import href

__all__ = [
    "GRID_FORMAT",
    "GRID_PATH",
    "facet_tokens",
    "grid_document",
]

GRID_FORMAT = 1
GRID_PATH = "grid.json"
_BITS_PER_WORD = 30  # JavaScript's bit operators work on 32-bit signed integers.

Value = tuple[Any, ...]


def grid_document(rows: Sequence[EndpointRow]) -> bytes:
    """Return grid.json for these rows, in their order."""
    tokens, facets = _facets(rows)
    document = {
        "format": GRID_FORMAT,
        "count": len(rows),
        "ids": [row.id for row in rows],
        "pages": {
            str(index): href(row.href)
            for index, row in enumerate(rows)
            if href(row.href) != f"endpoint/{row.id}.html"
        },
        "columns": {name: _column(rows, *spec) for name, spec in _COLUMNS.items()},
        "tokens": tokens,
        "facets": facets,
        "labels": {"features": FEATURES},
    }
    # jsonvalue: an upstream integer beyond 64 bits (a hostile context length) is written
    # digit for digit where orjson alone refuses it and the whole build fails.
    return jsonvalue.dumps(document)


def facet_tokens(row: EndpointRow) -> list[str]:
    """Return the facet tokens of a row: its modalities, features and status."""
    found = [f"in:{name}" for name in row.input_modalities]
    found += [f"out:{name}" for name in row.output_modalities]
    found += [f"f:{name}" for name in row.features]
    found.append("f:free" if row.free else "f:paid")
    if not (row.disabled or row.deranked):
        found.append("f:ok")
    return found


def _facets(rows: Sequence[EndpointRow]) -> tuple[list[str], list[list[int]]]:
    """Return the facet tokens and, per word of _BITS_PER_WORD tokens, each row's bit mask."""
    per_row = [facet_tokens(row) for row in rows]
    tokens = sorted({token for found in per_row for token in found})
    bit = {token: index for index, token in enumerate(tokens)}
    words = [[0] * len(rows) for _ in range(-(-len(tokens) // _BITS_PER_WORD))]
    for number, found in enumerate(per_row):
        for token in found:
            word, offset = divmod(bit[token], _BITS_PER_WORD)
            words[word][number] |= 1 << offset
    return tokens, words


def _column(
    rows: Sequence[EndpointRow],
    value_of: Callable[[EndpointRow], Value | None],
    sortable: bool,
) -> dict[str, Any]:
    """Return one dictionary-encoded column: distinct values in sort order, a code per row."""
    values = [value_of(row) for row in rows]
    distinct: set[Value] = {value for value in values if value is not None}
    known = sorted((v for v in distinct if v[0] is not None), key=_sort_key) if sortable else []
    rest = sorted((v for v in distinct if not sortable or v[0] is None), key=repr)
    ordered = known + rest
    code = {value: index for index, value in enumerate(ordered)}
    return {
        "values": [_json_ready(value) for value in ordered],
        "codes": [code[value] if value is not None else -1 for value in values],
        "known": len(known),
    }


def _sort_key(value: Value) -> tuple[Any, ...]:
    """Return how a column's values sort: numbers by size, text case-insensitively."""
    first = value[0]
    return (first.lower(), repr(value)) if isinstance(first, str) else (first, repr(value))


def _json_ready(value: Value) -> list[Any]:
    """Return a value as a JSON list (tuples inside become lists)."""
    return [list(item) if isinstance(item, tuple) else item for item in value]


def _model(row: EndpointRow) -> Value:
    # Names as the pages show them (formats.page_text): the script renders the same text.
    return (
        f"{row.model_name.lower()}\n{row.model_key}",
        formats.page_text(row.model_name),
        row.model_key,
        href(row.model_href) if row.model_href else None,
        tint(row.model_name),
        row.input_modalities,
        tuple(name for name in row.output_modalities if name != "text"),
    )


def _provider(row: EndpointRow) -> Value:
    name, tag, region = row.provider_name, row.provider_tag, row.region or ""
    shown = [formats.page_text(text) for text in (name, tag, region)]
    return (f"{name.lower()}\n{tag}\n{region}", *shown, tint(name))


def _price(pick: Callable[[EndpointRow], Any]) -> Callable[[EndpointRow], Value | None]:
    def value_of(row: EndpointRow) -> Value | None:
        price = pick(row)
        return None if price is None else (float(price), formats.money(price))

    return value_of


def _input(row: EndpointRow) -> Value | None:
    if row.unit_price:
        # Priced per minute, image or request: shown as such, sorted with the unknown.
        return (None, row.unit_price)
    return _price(lambda found: found.input)(row)


def _number(
    pick: Callable[[EndpointRow], int | float | None],
) -> Callable[[EndpointRow], Value | None]:
    def value_of(row: EndpointRow) -> Value | None:
        number = pick(row)
        return None if number is None else (number, formats.count(number))

    return value_of


def _latency(row: EndpointRow) -> Value | None:
    return None if row.latency_ms is None else (row.latency_ms, f"{row.latency_ms / 1000:.2f}")


def _uptime(pick: Callable[[EndpointRow], float | None]) -> Callable[[EndpointRow], Value | None]:
    def value_of(row: EndpointRow) -> Value | None:
        share = pick(row)
        return None if share is None else (share, formats.uptime(share))

    return value_of


def _limits(row: EndpointRow) -> Value | None:
    if not row.limit_rpm and not row.limit_rpd:
        return None
    per_minute = formats.count(row.limit_rpm) if row.limit_rpm else ""
    per_day = f"{formats.count(row.limit_rpd)}/day" if row.limit_rpd else ""
    return (row.limit_rpm or None, per_minute, per_day)


def _created(row: EndpointRow) -> Value | None:
    created = row.created
    return None if created is None else (int(created.timestamp()), formats.date(created))


def _policy(row: EndpointRow) -> Value | None:
    if row.training is None and not row.retains_prompts:
        return None
    return (None, row.training, bool(row.retains_prompts), row.retention_days)


def _status(row: EndpointRow) -> Value | None:
    if not row.flags and row.status != 0:
        return None
    return (None, row.flags, row.status == 0)


def _tuple(pick: Callable[[EndpointRow], Iterable[str]]) -> Callable[[EndpointRow], Value | None]:
    def value_of(row: EndpointRow) -> Value | None:
        found = tuple(pick(row))
        return (None, found) if found else None

    return value_of


# Column name -> (its value for a row, whether it sorts). Order does not matter.
_COLUMNS: dict[str, tuple[Callable[[EndpointRow], Value | None], bool]] = {
    "model": (_model, True),
    "provider": (_provider, True),
    "input": (_input, True),
    "output": (_price(lambda row: row.output), True),
    "cache_read": (_price(lambda row: row.cache_read), True),
    "cache_write": (_price(lambda row: row.cache_write), True),
    "features": (_tuple(lambda row: row.features), False),
    "context": (_number(lambda row: row.context), True),
    "max_output": (_number(lambda row: row.max_output), True),
    "quant": (lambda row: (row.quantization, row.quantization) if row.quantization else None, True),
    "throughput": (_number(lambda row: row.throughput), True),
    "latency": (_latency, True),
    "uptime_24h": (_uptime(lambda row: row.uptime_24h), True),
    "uptime_30d": (_uptime(lambda row: row.uptime_30d), True),
    "policy": (_policy, False),
    "limits": (_limits, True),
    "created": (_created, True),
    "status": (_status, False),
}
