"""Telemetry time series under data/telemetry/: what changes every hour, kept apart from entities.

One tab-separated file per kind, UTC day and shard, rows appended hour by hour::

    data/telemetry/<kind>/<YYYY>/<MM-DD>/<shard>.tsv

- ``kind`` is ``endpoint`` (key: endpointId), ``model`` or ``model_variant`` (key: modelKey);
- ``shard`` is the first hex digits of the SHA-1 of the key's UTF-8 bytes; a day's files all
  use the same number of digits, the fewest that put at most 256 keys in one file;
- line 1 names the columns: ``epoch``, ``key``, then one column per leaf of the figures (a
  path through nested objects, segments joined by ``/`` and escaped as in JSON Pointer);
- every further line is one key at one epoch, its figures flattened into cells:
  empty (or missing at the end of the line) = same as this key's previous line in this file
  (absent when there is none); ``-`` = absent; ``{"@": ops}`` = the previous array patched
  (``[start, count]`` copies, ``[value]`` inserts, ``[index, {fields}]`` is an old object
  with these fields changed); anything else = the JSON value as sent.

A line is written only when a key's figures changed, so an hour in which nothing changed
writes nothing. A key that stops being observed gets a line of ``-`` (a gap). The first line
of a key in each file holds its whole state, so each file reads on its own. Appending lines
keeps git's deltas between versions of a file tiny: the packed cost is the data itself.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from archiver import jsonvalue
from archiver.canonical import blob_id
from archiver.errors import ArchiverError, StoreError
from archiver.jsonvalue import ExactNumber

__all__ = [
    "CHART_FIELDS",
    "KINDS",
    "TelemetryWrites",
    "csv_cells",
    "csv_columns",
    "endpoint_series",
    "iter_samples",
    "model_series",
    "recent_endpoint_series",
    "recent_series",
    "series",
    "telemetry_writes",
    "to_csv",
]

ROOT = "data/telemetry"
SUFFIX = ".tsv"
KINDS = ("endpoint", "model", "model_variant")
KEYS_PER_SHARD = 256
MAX_SHARD_DIGITS = 4
FIXED_COLUMNS = ("epoch", "key")
ABSENT = "-"
PATCH = '{"@":'
# Arrays shorter than this are rewritten whole: a patch would not pay for itself.
MIN_PATCH_TEXT = 200
_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ENDPOINT_STATS = r"(?:stats|statsByTier/[^/]+)"
_ENDPOINT_SCHEMA = {
    "object": re.compile(
        r"stats|statsByTier(?:/[^/]+)?|status_heuristics\w*|routing_heuristics_by_tier(?:/[^/]+)?"
    ),
    "number": re.compile(
        rf"status|{_ENDPOINT_STATS}/(?:p(?:50|75|90|95|99)_(?:latency|throughput)"
        r"|request_count|window_minutes)"
        r"|status_heuristics\w*/[A-Za-z]+|routing_heuristics_by_tier/[^/]+/\w+"
    ),
    "text": re.compile(rf"{_ENDPOINT_STATS}/endpoint_id"),
}
SCHEMAS: dict[str, dict[str, re.Pattern[str]]] = {
    "endpoint": _ENDPOINT_SCHEMA,
    "model": {"any": re.compile(r"benchmarks\.design_arena")},
    "model_variant": {"any": re.compile(r"(?:effective_pricing|model_activity)(?:/.*)?", re.S)},
}
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}
# What the site charts for every endpoint; `recent_endpoint_series` reads only these.
CHART_FIELDS = (
    "status",
    "stats.request_count",
    "stats.p50_latency",
    "stats.p90_latency",
    "stats.p50_throughput",
    "stats.p90_throughput",
)

ReadBlob = Callable[[str], bytes]
Leaves = dict[str, str]


@dataclass
class TelemetryWrites:
    """The telemetry files one sync writes (full new contents), and what it saw."""

    writes: dict[str, bytes] = field(default_factory=dict)
    samples: int = 0
    # Telemetry that was not written (a sync failure), and telemetry written that looks odd.
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- cells and leaves -------------------------------------------------------------------


def _dump(value: Any) -> str:
    """Return the compact JSON text of a value, keys sorted, numbers digit for digit."""
    return jsonvalue.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _leaf_text(column: str, value: Any) -> str:
    """Return a leaf's JSON text; a value nested too deep is reported at its whole path."""
    try:
        return _dump(value)
    except jsonvalue.NestingError as error:
        error.path[:0] = _segments(column)
        raise


def _escape(name: str) -> str:
    """Return one path segment escaped as in JSON Pointer (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")


def _unescape(segment: str) -> str:
    """Return the object key a JSON Pointer segment stands for."""
    return segment.replace("~1", "/").replace("~0", "~")


def _flatten(figures: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    """Add (column: leaf value) to out: nested non-empty objects become '/'-joined columns."""
    for key, value in figures.items():
        name = key if type(key) is str else str(key)
        column = prefix + (_escape(name) if "~" in name or "/" in name else name)
        if type(value) is dict and value:
            _flatten(value, column + "/", out)
        else:
            out[column] = value


def _finite(value: Any) -> bool:
    """Tell whether a value holds no NaN or infinite number, however deep."""
    if type(value) is float:
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite(item) for item in value)
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    return True


def _spelled(value: Any) -> Any:
    """Return the value with NaN and infinities spelled as strings (JSON has no such numbers)."""
    if type(value) is float and not math.isfinite(value):
        return _NON_FINITE.get(value, "NaN")
    if isinstance(value, list):
        return [_spelled(item) for item in value]
    if isinstance(value, dict):
        return {name: _spelled(item) for name, item in value.items()}
    return value


def _array_ops(old: list[Any], new: list[Any]) -> list[list[Any]]:
    """Return patch ops rebuilding new from old (see the module docstring)."""
    old_texts = [_dump(item) for item in old]
    where: dict[str, int] = {}
    for index, text in enumerate(old_texts):
        where.setdefault(text, index)
    ops: list[list[Any]] = []
    for position, value in enumerate(new):
        text = _dump(value)
        run = ops[-1] if ops and len(ops[-1]) == 2 and type(ops[-1][1]) is int else None
        if run is not None and run[0] + run[1] < len(old) and old_texts[run[0] + run[1]] == text:
            run[1] += 1
        elif text in where:
            ops.append([where[text], 1])
        else:
            ops.append(_changed_element(old, position, value))
    return ops


def _changed_element(old: list[Any], position: int, value: Any) -> list[Any]:
    """Return the op for a new element: its changed fields if it is an old object edited."""
    before = old[position] if position < len(old) else None
    if type(value) is dict and type(before) is dict and value.keys() == before.keys():
        # Compared as text: 1 and 1.0 (or true) are equal in Python, not in what was sent.
        changed = {k: v for k, v in value.items() if _dump(before[k]) != _dump(v)}
        return [position, changed]
    return [value]


def _cell(previous: str | None, text: str) -> str:
    """Return the cell for a changed leaf: a patch when it is an array mostly seen before."""
    if len(text) < MIN_PATCH_TEXT or previous is None or text[0] != "[" or previous[0] != "[":
        return text
    patch = f"{PATCH}{_dump(_array_ops(jsonvalue.loads(previous), jsonvalue.loads(text)))}}}"
    return patch if len(patch) * 2 < len(text) else text


def _patched(previous: str | None, cell: str) -> str:
    """Return the leaf text a patch cell makes of the previous array."""
    old = jsonvalue.loads(previous) if previous else []
    new: list[Any] = []
    for op in jsonvalue.loads(cell)["@"]:
        if len(op) == 1:
            new.append(op[0])
        elif type(op[1]) is dict:
            new.append({**old[op[0]], **op[1]})
        else:
            new.extend(old[op[0] : op[0] + op[1]])
    return _dump(new)


# --- problems ---------------------------------------------------------------------------


class _Problems:
    """Odd telemetry, counted by kind and message, reported once a sync.

    A problem is telemetry that was not written; a note is telemetry written as sent that
    looks unexpected (a new field, a wrong type, a field no longer sent).
    """

    def __init__(self) -> None:
        self.counts: Counter[tuple[bool, str, str]] = Counter()
        self.examples: dict[tuple[bool, str, str], str] = {}

    def add(self, kind: str, message: str, key: str, *, written: bool = True) -> None:
        """Count one occurrence of a message for one key."""
        entry = (written, kind, message)
        self.counts[entry] += 1
        self.examples.setdefault(entry, key)

    def total(self) -> int:
        """Return how many occurrences were counted."""
        return sum(self.counts.values())

    def lines(self, *, written: bool) -> list[str]:
        """Return one readable line per message of one severity."""
        return [
            f"{kind} telemetry: {message} ({count} key{'s' * (count > 1)}, "
            f"e.g. {self.examples[entry]!r})"
            for entry, count in sorted(self.counts.items())
            if entry[0] == written
            for _, kind, message in [entry]
        ]


# What each column of each kind should hold, learnt from SCHEMAS as columns are met.
_EXPECTED: dict[str, dict[str, str]] = {}
_SCALARS = frozenset({int, float, bool, type(None)})
_NUMBERS = (int, float, ExactNumber)


def _expected(kind: str, column: str) -> str:
    """Return what a column should hold: 'object', 'number', 'text', 'any' or 'new'."""
    known = _EXPECTED.setdefault(kind, {})
    expectation = known.get(column)
    if expectation is None:
        matches = (e for e, p in SCHEMAS.get(kind, {}).items() if p.fullmatch(column))
        expectation = known[column] = next(matches, "new")
    return expectation


def _check(expected: str, column: str, value: Any) -> str | None:
    """Return what is wrong with a leaf value, or None."""
    if expected == "any" or value is None:
        return None
    if expected == "new":
        return f"field {column} is new to the archiver, kept"
    if expected == "number" and type(value) not in _NUMBERS:
        return f"{column} is a {type(value).__name__}, expected a number; kept as sent"
    if expected == "object" and value != {}:
        return f"{column} is a {type(value).__name__}, expected an object; kept as sent"
    if expected == "text" and not isinstance(value, str):
        return f"{column} is a {type(value).__name__}, expected a string; kept as sent"
    return None


def _leaves(kind: str, key: str, figures: Mapping[str, Any], problems: _Problems) -> Leaves:
    """Return {column: leaf JSON text} for one key's figures, reporting what looks wrong.

    Keys share a few shapes (columns and the type of each leaf). What is wrong with a leaf
    depends on its column and type only, so a shape found clean once is not checked again,
    and its leaves are written by one call to the encoder.
    """
    columns: list[str] = []
    values: list[Any] = []
    if type(figures) is not dict or not _flatten_fast(figures, "", columns, values):
        return _checked_leaves(kind, key, figures, problems)
    shape = (kind, tuple(columns), tuple(map(type, values)))
    layout = _CLEAN_SHAPES.get(shape)
    if layout is None:
        reported = problems.total()
        leaves = _checked_leaves(kind, key, figures, problems)
        if problems.total() == reported:
            if len(_CLEAN_SHAPES) >= _SHAPE_CACHE_SIZE:
                _CLEAN_SHAPES.clear()
            _CLEAN_SHAPES[shape] = _Layout(shape[2])
        return leaves
    return _clean_leaves(layout, columns, values) or _checked_leaves(kind, key, figures, problems)


class _Layout:
    """Where the leaves of one clean shape are, by type."""

    def __init__(self, types: tuple[type, ...]) -> None:
        self.nulls = types.count(type(None))
        self.strings = _picker([n for n, t in enumerate(types) if t is str])
        self.scalars = _picker([n for n, t in enumerate(types) if t in _SCALARS])
        self.others = _picker([n for n, t in enumerate(types) if t not in _SCALARS])
        # Every leaf a number, boolean, null or string: one encoder call can write them all.
        self.flat = all(t in _SCALARS or t is str for t in types)


def _picker(positions: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """Return a function picking these positions of a sequence, as a tuple."""
    if len(positions) == 1:
        only = positions[0]
        return lambda items: (items[only],)
    if not positions:
        return lambda items: ()
    return itemgetter(*positions)


def _clean_leaves(layout: _Layout, columns: list[str], values: list[Any]) -> Leaves | None:
    """Return the leaves of a key whose shape is clean, or None for a NaN or an infinity."""
    # orjson writes NaN and infinities as null: more nulls than None values means one.
    if layout.flat and "," not in "".join(layout.strings(values)):
        try:
            text = orjson.dumps(values).decode()
        except orjson.JSONEncodeError:
            text = ""  # an integer beyond 64 bits: _dump_scalars below writes it exactly
        if text.count("null") == layout.nulls and text:
            return dict(zip(columns, text[1:-1].split(","), strict=True))
    scalars = _dump_scalars(list(layout.scalars(values)))
    if scalars.count("null") != layout.nulls:
        return None
    leaves = dict.fromkeys(columns, "")
    leaves.update(zip(layout.scalars(columns), scalars, strict=True))
    for column, value in zip(layout.others(columns), layout.others(values), strict=True):
        leaf = _leaf_text(column, value)
        if "null" in leaf and not _finite(value):
            return None
        leaves[column] = leaf
    return leaves


def _flatten_fast(
    figures: dict[str, Any], prefix: str, columns: list[str], values: list[Any]
) -> bool:
    """Add columns and leaf values as _flatten does; False if a key is not a string."""
    names = tuple(figures)
    known = _COLUMN_NAMES.get((prefix, names))
    if known is None:
        if any(type(name) is not str for name in names):
            return False
        known = tuple(prefix + (_escape(n) if "~" in n or "/" in n else n) for n in names)
        if len(_COLUMN_NAMES) >= _SHAPE_CACHE_SIZE:
            _COLUMN_NAMES.clear()
        _COLUMN_NAMES[prefix, names] = known
    inner = figures.values()
    if dict not in set(map(type, inner)):
        columns.extend(known)
        values.extend(inner)
        return True
    for column, value in zip(known, inner, strict=True):
        if type(value) is dict and value:
            if not _flatten_fast(value, column + "/", columns, values):
                return False
        else:
            columns.append(column)
            values.append(value)
    return True


_SHAPE_CACHE_SIZE = 4096
_CLEAN_SHAPES: dict[tuple[str, tuple[str, ...], tuple[type, ...]], _Layout] = {}
_COLUMN_NAMES: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}


def _checked_leaves(kind: str, key: str, figures: Mapping[str, Any], problems: _Problems) -> Leaves:
    """Return a key's leaves checking each one (_leaves for a shape not known clean)."""
    flat: dict[str, Any] = {}
    _flatten(figures, "", flat)
    leaves: Leaves = dict.fromkeys(flat, "")
    scalars: dict[str, Any] = {}
    for column, value in flat.items():
        expected = _expected(kind, column)
        kind_of = type(value)
        if not (expected == "number" and kind_of in _NUMBERS):
            problem = _check(expected, column, value)
            if problem:
                problems.add(kind, problem, key)
        if kind_of in _SCALARS and (kind_of is not float or math.isfinite(value)):
            scalars[column] = value
            continue
        text = _leaf_text(column, value)
        # orjson writes NaN and infinities as null: look closer only where a null is.
        if "null" in text and not _finite(value):
            problems.add(kind, f"{column} holds NaN or infinity, kept as a string", key)
            text = _dump(_spelled(value))
        leaves[column] = text
    leaves.update(zip(scalars, _dump_scalars(list(scalars.values())), strict=True))
    return leaves


def _dump_scalars(values: list[Any]) -> list[str]:
    """Return the JSON texts of numbers, booleans and nulls, in one call to the encoder."""
    if not values:
        return []
    try:
        return orjson.dumps(values).decode()[1:-1].split(",")
    except orjson.JSONEncodeError:
        return [_dump(value) for value in values]


def _observed(kind: str, figures_by_key: Any, problems: _Problems) -> dict[str, tuple[str, Any]]:
    """Return {key cell: (key, figures)} for the keys of one kind that may be usable.

    Figures are an object, or its compact JSON bytes (how a sync holds endpoint figures);
    they are flattened shard by shard, so only one shard's leaves are alive at a time.
    """
    if not isinstance(figures_by_key, Mapping):
        got = type(figures_by_key).__name__
        problems.add(kind, f"expected an object of keys, got a {got}; skipped", "", written=False)
        return {}
    usable: dict[str, tuple[str, Any]] = {}
    for key, figures in figures_by_key.items():
        if not isinstance(key, str) or not key:
            message = "a key that is not a non-empty string was skipped"
            problems.add(kind, message, repr(key), written=False)
        else:
            usable[_dump(key)] = (key, figures)
    return usable


def _with_leaves(
    kind: str, observed: Mapping[str, tuple[str, Any]], problems: _Problems
) -> dict[str, tuple[str, Leaves]]:
    """Return {key cell: (key, leaves)} for the keys whose figures are a usable object."""
    usable: dict[str, tuple[str, Leaves]] = {}
    for key_cell, (key, given) in observed.items():
        try:
            figures = jsonvalue.loads(given) if type(given) is bytes else given
            if not isinstance(figures, Mapping):
                kind_name = type(figures).__name__
                message = f"figures are a {kind_name}, expected an object; skipped"
                problems.add(kind, message, key, written=False)
                continue
            usable[key_cell] = (key, _leaves(kind, key, figures, problems))
        except jsonvalue.NestingError as error:
            problems.add(kind, f"figures hold a {error}; skipped", key, written=False)
        except (TypeError, ValueError, jsonvalue.EncodeError, RecursionError) as error:
            # Only JSON data comes from upstream; anything else is not ours to guess at.
            message = f"figures hold something that is not JSON ({error}); skipped"
            problems.add(kind, message, key, written=False)
    return usable


# --- files ------------------------------------------------------------------------------


@dataclass
class _Sheet:
    """One telemetry file: its columns, its rows and each key's current leaves."""

    columns: list[str]
    body: bytes = b""
    state: dict[str, Leaves] = field(default_factory=dict)
    last_epoch: str = ""

    def __post_init__(self) -> None:
        self.position = {name: index for index, name in enumerate(self.columns)}

    def add_columns(self, names: Iterable[str]) -> None:
        """Add the columns not in the header yet, at its end."""
        for name in names:
            if name not in self.position:
                self.position[name] = len(self.columns)
                self.columns.append(name)

    def header(self) -> bytes:
        """Return the header line."""
        names = (*FIXED_COLUMNS, *self.columns)
        return ("\t".join(_dump(name) for name in names) + "\n").encode()


def _lines(body: bytes) -> list[str]:
    """Return a file body's lines, split at newlines only (str.splitlines also splits at U+2028)."""
    text = body.decode()
    return text.removesuffix("\n").split("\n") if text else []


def _split_cells(line: str) -> list[str]:
    """Return a line's cells."""
    return line.split("\t")


def _apply(leaves: Leaves, columns: Sequence[str], cells: Sequence[str]) -> None:
    """Apply a row's data cells to a key's leaves."""
    if ABSENT not in cells and PATCH not in "".join(cells):
        # Plain values only (the usual row): each non-empty cell replaces its column's.
        leaves.update(filter(_NON_EMPTY, zip(columns, cells, strict=False)))
        return
    for column, cell in zip(columns, cells, strict=False):
        if not cell:
            continue
        if cell == ABSENT:
            leaves.pop(column, None)
        elif cell.startswith(PATCH):
            leaves[column] = _patched(leaves.get(column), cell)
        else:
            leaves[column] = cell


_NON_EMPTY = itemgetter(1)


def _parse_header(line: bytes) -> list[str]:
    """Return the data column names of a header line."""
    names = orjson.loads(b"[" + line.replace(b"\t", b",") + b"]")
    return [str(name) for name in names[len(FIXED_COLUMNS) :]]


def _parse_sheet(data: bytes) -> _Sheet:
    """Return a telemetry file parsed: columns, rows and every key's final leaves."""
    head, _, body = data.partition(b"\n")
    sheet = _Sheet(_parse_header(head), body)
    for line in _lines(body):
        cells = _split_cells(line)
        sheet.last_epoch = cells[0]
        _apply(sheet.state.setdefault(cells[1], {}), sheet.columns, cells[2:])
    return sheet


def _row(sheet: _Sheet, epoch: str, key_cell: str, new: Leaves) -> str | None:
    """Return the line recording a key's new leaves (None: unchanged) and update the sheet."""
    old = sheet.state.get(key_cell) or {}
    if new == old:
        return None
    sheet.add_columns(new)
    position = sheet.position
    cells = [""] * len(sheet.columns)
    # Only the leaves that changed get a cell: found by set operations, not column by column.
    for column, text in new.items() - old.items():
        cells[position[column]] = _cell(old.get(column), text)
    for column in old.keys() - new.keys():
        cells[position[column]] = ABSENT
    sheet.state[key_cell] = new
    return "\t".join([epoch, key_cell, *cells]).rstrip("\t") + "\n"


# What a damaged file raises while parsed (orjson.JSONDecodeError is a ValueError).
_PARSE_ERRORS = (ValueError, IndexError, TypeError, KeyError, UnicodeDecodeError)
# The writer's parsed files, by blob id: an hourly run in one process re-reads nothing.
_SHEETS: dict[str, _Sheet] = {}
# Bounded by the keys they hold (~3 KB each): the whole archive today, a part of a big one.
_SHEET_CACHE_KEYS = 16_384


def _load_sheet(blob: str, read: ReadBlob, *, keep: bool) -> _Sheet:
    """Return the parsed file of a blob (taken out of the cache unless keep: it will change)."""
    sheet = _SHEETS.get(blob) if keep else _SHEETS.pop(blob, None)
    if sheet is None:
        sheet = _parse_sheet(read(blob))
        if keep:
            _remember(blob, sheet)
    return sheet


def _unreadable(path: str, error: Exception) -> str:
    """Return the problem for a telemetry file at HEAD that cannot be parsed."""
    return (
        f"{path} is not a telemetry file the archiver can read ({error}); its shard was not "
        f"written this sync: restore it from history (git checkout <commit> -- {path})"
    )


def _remember(blob: str, sheet: _Sheet) -> None:
    """Cache a parsed file under its blob id, forgetting the oldest beyond the cache size."""
    _SHEETS[blob] = sheet
    while len(_SHEETS) > 1 and sum(len(s.state) for s in _SHEETS.values()) > _SHEET_CACHE_KEYS:
        del _SHEETS[next(iter(_SHEETS))]


# --- where files live -------------------------------------------------------------------


def _digest(key: str) -> str:
    """Return the hex SHA-1 of a key, whose first digits name its shard."""
    return hashlib.sha1(key.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def _day_folder(kind: str, day: date) -> str:
    """Return the folder of one kind's files for one UTC day."""
    return f"{ROOT}/{kind}/{day:%Y}/{day:%m-%d}/"


def _digits_for(keys: int) -> int:
    """Return the shard digits that put at most KEYS_PER_SHARD keys in a file, on average."""
    digits = 1
    while keys > KEYS_PER_SHARD * 16**digits and digits < MAX_SHARD_DIGITS:
        digits += 1
    return digits


_FILE = re.compile(rf"{ROOT}/([a-z][a-z0-9_]*)/(\d{{4}})/(\d\d)-(\d\d)/([0-9a-f]+)\{SUFFIX}")


class _Index:
    """The telemetry files at HEAD: {kind: {day: {shard: path}}}."""

    def __init__(self, tracked: Mapping[str, str]) -> None:
        self.blobs = tracked
        self.days: dict[str, dict[date, dict[str, str]]] = {}
        for path in tracked:
            match = _FILE.fullmatch(path) if path.startswith(ROOT) else None
            if match:
                kind, year, month, day, shard = match.groups()
                when = date(int(year), int(month), int(day))
                self.days.setdefault(kind, {}).setdefault(when, {})[shard] = path

    def shards(self, kind: str, day: date) -> dict[str, str]:
        """Return {shard: path} of one kind's files of one day."""
        return self.days.get(kind, {}).get(day, {})

    def previous(self, kind: str, day: date, shard: str) -> list[str]:
        """Return the files of the latest day before this one that hold keys of this shard."""
        for when in sorted((d for d in self.days.get(kind, {}) if d < day), reverse=True):
            paths = [
                path
                for name, path in self.days[kind][when].items()
                if name.startswith(shard) or shard.startswith(name)
            ]
            if paths:
                return paths
        return []

    def names(self, kind: str, digits: int) -> set[str]:
        """Return every shard, at this many digits, that any file of this kind ever held."""
        names: set[str] = set()
        for shards in self.days.get(kind, {}).values():
            for name in shards:
                names.update(_covering(name, digits))
        return names


def _covering(name: str, digits: int) -> list[str]:
    """Return the shards of this many digits that hold the keys of shard name."""
    if len(name) >= digits:
        return [name[:digits]]
    return [name + f"{n:0{digits - len(name)}x}" for n in range(16 ** (digits - len(name)))]


# --- the writer -------------------------------------------------------------------------


def _epoch_cell(epoch: datetime) -> str:
    """Return the epoch as its cell: a JSON string, UTC, to the second."""
    moment = epoch.replace(tzinfo=UTC) if epoch.tzinfo is None else epoch.astimezone(UTC)
    return f'"{moment:%Y-%m-%dT%H:%M:%SZ}"'


def telemetry_writes(
    observed_telemetry: Mapping[str, Any],
    epoch: datetime,
    tracked: Mapping[str, str],
    read: ReadBlob,
) -> TelemetryWrites:
    """Return the telemetry files a sync at this epoch writes: the files it changes, whole."""
    result = TelemetryWrites()
    problems = _Problems()
    index = _Index(tracked)
    stamp = _epoch_cell(epoch)
    day = (epoch.replace(tzinfo=UTC) if epoch.tzinfo is None else epoch.astimezone(UTC)).date()
    for kind in sorted(observed_telemetry):
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            message = "not a kind name the archive can store; skipped"
            problems.add(str(kind), message, "", written=False)
            continue
        observed = _observed(kind, observed_telemetry[kind], problems)
        _write_kind(_Kind(kind, day, stamp, index, read, result, problems), observed)
    result.problems = problems.lines(written=False) + result.problems
    result.notes = problems.lines(written=True)
    return result


@dataclass
class _Kind:
    """What writing one kind's telemetry needs."""

    name: str
    day: date
    stamp: str
    index: _Index
    read: ReadBlob
    result: TelemetryWrites
    problems: _Problems


def _write_kind(job: _Kind, observed: dict[str, tuple[str, Any]]) -> None:
    """Add one kind's changed files to the result."""
    today = job.index.shards(job.name, job.day)
    digits = len(next(iter(today))) if today else _digits_for(len(observed))
    groups: dict[str, dict[str, tuple[str, Any]]] = {
        shard: {} for shard in job.index.names(job.name, digits)
    }
    for key_cell, (key, figures) in observed.items():
        groups.setdefault(_digest(key)[:digits], {})[key_cell] = (key, figures)
    folder = _day_folder(job.name, job.day)
    for shard in sorted(groups):
        path = f"{folder}{shard}{SUFFIX}"
        group = _with_leaves(job.name, groups.pop(shard), job.problems)
        if path in today.values():
            _append_to_existing(job, path, group)
        else:
            _start_file(job, path, shard, group)


def _append_to_existing(job: _Kind, path: str, observed: dict[str, tuple[str, Leaves]]) -> None:
    """Append to a file this day already has, if time goes forward."""
    blob = job.index.blobs[path]
    try:
        sheet = _load_sheet(blob, job.read, keep=False)
    except _PARSE_ERRORS as error:
        job.result.problems.append(_unreadable(path, error))
        return
    if sheet.last_epoch > job.stamp:
        job.result.problems.append(
            f"{path} already holds {sheet.last_epoch}, later than this sync's {job.stamp}; "
            "its telemetry was not written (import older captures before newer ones)"
        )
    elif _append(job, path, sheet, observed, {}):
        return
    _remember(blob, sheet)


def _start_file(job: _Kind, path: str, shard: str, observed: dict[str, tuple[str, Leaves]]) -> None:
    """Start a day's file for a shard, if its keys changed since the latest earlier file."""
    previous = _previous_leaves(job, shard)
    now = {key_cell: leaves for key_cell, (_, leaves) in observed.items() if leaves}
    if now != previous:
        _append(job, path, _Sheet([]), observed, previous)


def _previous_leaves(job: _Kind, shard: str) -> dict[str, Leaves]:
    """Return how the latest earlier file left this shard's keys that had figures."""
    previous: dict[str, Leaves] = {}
    for path in job.index.previous(job.name, job.day, shard):
        try:
            sheet = _load_sheet(job.index.blobs[path], job.read, keep=True)
        except _PARSE_ERRORS as error:
            job.result.problems.append(_unreadable(path, error))
            continue
        for key_cell, state in sheet.state.items():
            if state and _digest(_key_of(key_cell)).startswith(shard):
                previous[key_cell] = state
    return previous


def _key_of(key_cell: str) -> str:
    """Return the key a key cell holds."""
    key = orjson.loads(key_cell)
    return key if isinstance(key, str) else key_cell


def _append(
    job: _Kind,
    path: str,
    sheet: _Sheet,
    observed: dict[str, tuple[str, Leaves]],
    previous: Mapping[str, Leaves],
) -> bool:
    """Append rows for changed keys and for keys no longer observed; tell if any."""
    rows: list[str] = []
    for key_cell in sorted(observed):
        key, leaves = observed[key_cell]
        _note_dropped(job, key, sheet.state.get(key_cell) or previous.get(key_cell), leaves)
        row = _row(sheet, job.stamp, key_cell, leaves)
        if row is not None:
            rows.append(row)
    gone = sorted(k for k, leaves in sheet.state.items() if leaves and k not in observed)
    rows += [row for k in gone if (row := _row(sheet, job.stamp, k, {})) is not None]
    # A new file restarts every key: one that had figures and is no longer seen says so.
    rows += [f"{job.stamp}\t{k}\n" for k in sorted(previous) if not observed.get(k, ("", {}))[1]]
    if not rows:
        return False
    sheet.last_epoch = job.stamp
    sheet.body += "".join(rows).encode()
    data = sheet.header() + sheet.body
    job.result.writes[path] = data
    job.result.samples += len(rows)
    _remember(blob_id(data), sheet)
    return True


def _note_dropped(job: _Kind, key: str, before: Leaves | None, now: Leaves) -> None:
    """Note the top-level fields a still-observed key had and no longer sends."""
    if not before or before.keys() <= now.keys():
        return
    kept = {column.partition("/")[0] for column in now}
    for field_name in sorted({c.partition("/")[0] for c in before} - kept):
        job.problems.add(job.name, f"{field_name} is no longer sent", key)


# --- readers ----------------------------------------------------------------------------

Sample = dict[str, Any]
When = datetime | str | None


def endpoint_series(
    repo_path: str | Path, endpoint_id: str, since: When = None, until: When = None
) -> list[Sample]:
    """Return an endpoint's telemetry samples, oldest first, from since to until (inclusive)."""
    return series(repo_path, "endpoint", endpoint_id, since, until)


def model_series(
    repo_path: str | Path, model_key: str, since: When = None, until: When = None
) -> list[Sample]:
    """Return a model's telemetry samples (benchmarks.design_arena), oldest first."""
    return series(repo_path, "model", model_key, since, until)


def series(
    repo_path: str | Path, kind: str, key: str, since: When = None, until: When = None
) -> list[Sample]:
    """Return one key's samples, {"epoch": ISO, **figures}, one per change, oldest first.

    A sample holds from its epoch until the next one; a sample with no figures is a gap
    (the key was not observed). The first sample in the range is returned even if the
    figures did not change at its epoch.
    """
    start, end = _bound(since, "since"), _bound(until, "until")
    key_cell = _dump(key).encode()
    digest = _digest(key)
    samples: list[Sample] = []
    last: list[Leaves | None] = [None]
    for folder in _day_folders(_kind_root(repo_path, kind), start, end):
        path = _shard_path(folder, digest)
        if path is not None:
            with _reading(path):
                columns, lines = _key_lines(path, key_cell)
                _emit(columns, lines, start, end, samples, last)
    return samples


def recent_endpoint_series(
    repo_path: str | Path, days: int = 30, fields: Sequence[str] | None = CHART_FIELDS
) -> dict[str, list[Sample]]:
    """Return every endpoint's samples of the chart figures over the newest `days` UTC days.

    `fields` names figures as `to_csv` does (`stats.p50_latency`); None returns every
    figure, which for thousands of endpoints is slow and takes gigabytes.
    """
    return recent_series(repo_path, "endpoint", days, fields)


def recent_series(
    repo_path: str | Path, kind: str, days: int = 30, fields: Sequence[str] | None = None
) -> dict[str, list[Sample]]:
    """Return {key: samples} for one kind over the newest `days` UTC days the archive holds."""
    folders = _day_folders(_kind_root(repo_path, kind), "", "~")
    if not folders:
        return {}
    since = (_folder_day(folders[-1]) - timedelta(days=days - 1)).isoformat()
    result: dict[str, list[Sample]] = {}
    if fields is None:
        for key, sample in iter_samples(repo_path, kind, since):
            result.setdefault(key, []).append(sample)
        return result
    last: dict[str, list[str]] = {}
    for folder in folders:
        if folder.parent.name + "-" + folder.name >= since[:10]:
            for path in sorted(folder.glob(f"*{SUFFIX}")):
                with _reading(path):
                    _file_fields(path, frozenset(fields), result, last)
    return result


def iter_samples(
    repo_path: str | Path, kind: str, since: When = None, until: When = None
) -> Iterator[tuple[str, Sample]]:
    """Yield (key, sample) for every key of one kind, day by day, each key's oldest first."""
    start, end = _bound(since, "since"), _bound(until, "until")
    last: dict[str, Leaves] = {}
    for folder in _day_folders(_kind_root(repo_path, kind), start, end):
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            with _reading(path):
                yield from _file_samples(path, start, end, last)


def csv_columns(repo_path: str | Path, kind: str) -> list[str]:
    """Return every CSV column (as `to_csv` names them) that one kind's files hold."""
    columns: dict[str, None] = {}
    for folder in _day_folders(_kind_root(repo_path, kind), "", "~"):
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            with path.open("rb") as file, _reading(path):
                names, _ = _read_header(file.readline())
            columns.update(dict.fromkeys(_csv_name(name) for name in names))
    return list(columns)


def to_csv(samples: Iterable[Mapping[str, Any]]) -> str:
    """Return samples as CSV: epoch, then one column per leaf (stats.p50_latency, ...)."""
    rows = [{"epoch": sample.get("epoch", ""), **csv_cells(sample)} for sample in samples]
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, columns or ["epoch"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def csv_cells(sample: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Return a sample's figures flattened to {dotted column: text}, as CSV cells."""
    cells: dict[str, str] = {}
    for name, value in sample.items():
        if not prefix and name == "epoch":
            continue
        column = f"{prefix}{name}"
        if isinstance(value, dict) and value:
            cells.update(csv_cells(value, column + "."))
        else:
            cells[column] = value if isinstance(value, str) else _dump(value)
    return cells


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn a damaged file's parse error into a StoreError naming it."""
    try:
        yield
    except _PARSE_ERRORS as error:
        raise StoreError(
            f"{path} is not a telemetry file the archiver can read ({error}); "
            f"restore it from history (git checkout <commit> -- {path})"
        ) from None


def _bound(when: When, label: str) -> str:
    """Return a time bound as comparable ISO text ('' or '~' when open)."""
    if when is None:
        return "" if label == "since" else "~"
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            raise ArchiverError(
                f"{label} {when!r} is not an ISO 8601 time; try 2026-07-17 or 2026-07-17T18:00Z"
            ) from None
    return _epoch_cell(when)[1:-1]


def _kind_root(repo_path: str | Path, kind: str) -> Path:
    """Return the folder of one kind's telemetry, refusing names that are not kinds."""
    if not _KIND.fullmatch(kind):
        raise ArchiverError(f"unknown telemetry kind {kind!r}; expected one of {', '.join(KINDS)}")
    return Path(repo_path) / ROOT / kind


def _folder_day(folder: Path) -> date:
    """Return the UTC day of a day folder (<YYYY>/<MM-DD>)."""
    return date(int(folder.parent.name), int(folder.name[:2]), int(folder.name[3:5]))


_DAY = re.compile(r"\d\d-\d\d")


def _day_folders(root: Path, start: str, end: str) -> list[Path]:
    """Return a kind's day folders, oldest first, that may hold samples from start to end."""
    folders: list[Path] = []
    if not root.is_dir():
        return folders
    for year in sorted(p for p in root.iterdir() if p.name.isdigit() and len(p.name) == 4):
        for day in sorted(p for p in year.iterdir() if _DAY.fullmatch(p.name)):
            text = f"{year.name}-{day.name}"
            if start[:10] <= text <= end[:10]:
                folders.append(day)
    return folders


def _shard_path(folder: Path, digest: str) -> Path | None:
    """Return the file of a day folder that holds the key with this digest, if any."""
    for digits in range(1, MAX_SHARD_DIGITS + 1):
        path = folder / f"{digest[:digits]}{SUFFIX}"
        if path.is_file():
            return path
    return None


def _read_header(data: bytes) -> tuple[list[str], bytes]:
    """Return (data columns, body) of a telemetry file's bytes."""
    head, _, body = data.partition(b"\n")
    return _parse_header(head), body


def _key_lines(path: Path, key_cell: bytes) -> tuple[list[str], list[str]]:
    """Return a file's columns and the lines of one key, found without parsing the rest."""
    columns, body = _read_header(path.read_bytes())
    needle = b"\t" + key_cell
    lines: list[str] = []
    found = body.find(needle)
    while found >= 0:
        end = found + len(needle)
        start = body.rfind(b"\n", 0, found) + 1
        # The key is the second cell: nothing but the epoch before it, a tab or line end after.
        if body[end : end + 1] in (b"\t", b"\n", b"") and body.find(b"\t", start, found) < 0:
            stop = body.find(b"\n", end)
            lines.append(body[start : stop if stop >= 0 else len(body)].decode())
        found = body.find(needle, end)
    return columns, lines


def _emit(
    columns: Sequence[str],
    lines: Sequence[str],
    start: str,
    end: str,
    samples: list[Sample],
    last: list[Leaves | None],
) -> None:
    """Replay one key's lines of one file, appending a sample for each change in range."""
    leaves: Leaves = {}
    for line in lines:
        cells = _split_cells(line)
        _apply(leaves, columns, cells[2:])
        epoch = cells[0][1:-1]
        if start <= epoch <= end and leaves != last[0]:
            last[0] = dict(leaves)
            samples.append({"epoch": epoch, **_nest(leaves)})


def _file_samples(
    path: Path, start: str, end: str, last: dict[str, Leaves]
) -> Iterator[tuple[str, Sample]]:
    """Yield (key, sample) for every change in one file within the range."""
    columns, body = _read_header(path.read_bytes())
    state: dict[str, Leaves] = {}
    for line in _lines(body):
        cells = _split_cells(line)
        leaves = state.setdefault(cells[1], {})
        _apply(leaves, columns, cells[2:])
        epoch = cells[0][1:-1]
        if start <= epoch <= end and last.get(cells[1]) != leaves:
            last[cells[1]] = dict(leaves)
            yield _key_of(cells[1]), {"epoch": epoch, **_nest(leaves)}


def _file_fields(
    path: Path, fields: frozenset[str], result: dict[str, list[Sample]], last: dict[str, list[str]]
) -> None:
    """Add a sample for each change of the chosen fields in one file, reading only those."""
    columns, body = _read_header(path.read_bytes())
    chosen = [(i, c) for i, c in enumerate(columns, 2) if _csv_name(c) in fields]
    if not chosen:
        return
    width = chosen[-1][0] + 1
    pick = itemgetter(0, 1, *(i for i, _ in chosen))
    names = tuple(column for _, column in chosen)
    template = _template(names)
    blank = [ABSENT] * len(names)
    state: dict[str, list[str]] = {}
    texts: list[str] = []
    keys: list[str] = []
    for line in _lines(body):
        # Split no further than the last chosen column: the rest is never looked at.
        cells = line.split("\t", width)
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        picked = pick(cells)
        key_cell = picked[1]
        # An empty cell keeps the key's value from its previous line in this file.
        before = state.get(key_cell, blank)
        now = state[key_cell] = [v or o for v, o in zip(picked[2:], before, strict=True)]
        if last.get(key_cell) != now:
            last[key_cell] = now
            keys.append(key_cell)
            texts.append(
                _sample_text(picked[0], names, now)
                if ABSENT in now
                else template % (picked[0], *now)
            )
    decoded: dict[str, str] = {}
    for key_cell, sample in zip(keys, jsonvalue.loads(f"[{','.join(texts)}]"), strict=True):
        key = decoded.get(key_cell) or decoded.setdefault(key_cell, _key_of(key_cell))
        result.setdefault(key, []).append(sample)


def _sample_text(epoch: str, names: Sequence[str], texts: Sequence[str]) -> str:
    """Return the JSON text of a sample from its epoch cell and leaf texts (some absent)."""
    present = tuple(name for name, text in zip(names, texts, strict=True) if text != ABSENT)
    return _template(present) % (epoch, *(text for text in texts if text != ABSENT))


@lru_cache(maxsize=1024)
def _template(columns: tuple[str, ...]) -> str:
    """Return a %-template that nests leaf texts under their columns' paths."""
    tree: dict[str, Any] = {}
    for column in columns:
        *parents, name = _segments(column)
        holder = tree
        for parent in parents:
            holder = holder.setdefault(parent, {})
        holder[name] = None
    return '{"epoch":%s' + "".join(f",{body}" for body in _members(tree)) + "}"


def _members(tree: Mapping[str, Any]) -> Iterator[str]:
    """Yield '"name":%s' or '"name":{...}' for each member of a template tree."""
    for name, child in tree.items():
        label = _dump(name).replace("%", "%%")
        if child is None:
            yield f"{label}:%s"
        else:
            yield f"{label}:{{{','.join(_members(child))}}}"


def _csv_name(column: str) -> str:
    """Return the name `to_csv` gives a stored column."""
    return ".".join(_segments(column))


@lru_cache(maxsize=65536)
def _segments(column: str) -> tuple[str, ...]:
    """Return the object keys a column's path goes through."""
    return tuple(_unescape(segment) for segment in column.split("/"))


def _nest(leaves: Mapping[str, str]) -> dict[str, Any]:
    """Return figures rebuilt from {column: leaf JSON text}."""
    figures: dict[str, Any] = {}
    for column, text in leaves.items():
        *parents, name = _segments(column)
        holder = figures
        for parent in parents:
            holder = holder.setdefault(parent, {})
        holder[name] = jsonvalue.loads(text)
    return figures
