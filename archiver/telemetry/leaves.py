"""One key's figures flattened into leaves, checked once per shape: the writer's hot path.

Owns `LeafEncoder`, which turns figures into {column: leaf JSON text} and reports what looks
wrong. Keys share a few shapes (columns and the type of each leaf); what is wrong with a leaf
depends on its column and type only, so a shape found clean once is not checked again and
its leaves are written by one call to the encoder (the fast path). The checked path checks
every leaf; both give the same leaves. The encoder's caches (clean shapes, column names,
each column's expectation) live on the object, bounded, for as long as its owner keeps it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import orjson

from archiver import jsonvalue
from archiver.telemetry.checks import NUMBERS, SCALARS, Expectations, Problems, leaf_problem
from archiver.telemetry.codec import (
    Leaves,
    column_name,
    dump,
    dump_scalars,
    finite,
    flatten,
    leaf_text,
    spelled,
)

# Past this many shapes (or objects' member lists) a cache starts over: upstream changed.
SHAPE_CACHE_SIZE = 4096

Shape = tuple[str, tuple[str, ...], tuple[type, ...]]
# A key's leaves as a sync holds them between the fetch and the writer: (its column names, one
# tuple shared by every key of the shape; its leaves' JSON texts joined by commas, which no
# leaf of a packed key holds). A third of its figures' JSON, and no second parse to write them.
PackedLeaves = tuple[tuple[str, ...], str]
# An object's column names and, for a member that is itself an object, its columns' prefix.
_Columns = tuple[tuple[str, ...], tuple[str, ...]]
# What flattening hostile figures raises (each is reported when the writer meets them).
FLATTEN_ERRORS = (TypeError, ValueError, RecursionError, jsonvalue.EncodeError)


def packer(kind: str) -> Callable[[Any], PackedLeaves | None]:
    """Return what packs one kind's figures for a sync to hold (its own encoder's caches)."""
    return functools.partial(LeafEncoder().packed, kind)


def unpacked(packed: PackedLeaves, standing: Leaves | None = None) -> Leaves:
    """Return the leaves a `LeafEncoder.packed` result holds: `standing` itself when it
    holds the same leaves (most keys' figures stand from one hour to the next, and a sync
    then builds no dict for them, whose only use was to be found equal to these)."""
    columns, cells = packed
    # A packed key's columns are distinct (flatten escapes names as JSON Pointer does) and
    # its cells hold one comma fewer than them: as many leaves, joined as the cells are,
    # is dict equality (a comma in a leaf would add one), without building the dict.
    if standing is not None and len(standing) == len(columns):
        texts = list(map(standing.get, columns))
        if None not in texts and ",".join(texts) == cells:  # type: ignore[arg-type]
            return standing
    return dict(zip(columns, cells.split(","), strict=True))


class LeafEncoder:
    """Figures to leaves for every key of a sync, remembering the shapes found clean."""

    def __init__(self) -> None:
        self.clean_shapes: dict[Shape, _Layout] = {}
        # {(prefix, member names): (their column names, the prefixes of their members)}
        self.column_names: dict[tuple[str, tuple[str, ...]], _Columns] = {}
        self.column_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.expectations = Expectations()

    def leaves(self, kind: str, key: str, figures: Mapping[str, Any], problems: Problems) -> Leaves:
        """Return {column: leaf JSON text} for one key's figures, reporting what looks wrong."""
        columns: list[str] = []
        values: list[Any] = []
        if type(figures) is not dict or not self.flatten_fast(figures, "", columns, values):
            return self.checked_leaves(kind, key, figures, problems)
        shape = (kind, tuple(columns), tuple(map(type, values)))
        layout = self.clean_shapes.get(shape)
        if layout is None:
            reported = problems.total()
            leaves = self.checked_leaves(kind, key, figures, problems)
            if problems.total() == reported:
                if len(self.clean_shapes) >= SHAPE_CACHE_SIZE:
                    self.clean_shapes.clear()
                    self.column_tuples.clear()
                # Shapes differ by leaf types too (an integer where a float was): the
                # column names of packed keys are one tuple however many shapes share them.
                names = self.column_tuples.setdefault(shape[1], shape[1])
                self.clean_shapes[shape] = _Layout(names, shape[2])
            return leaves
        clean = _clean_leaves(layout, columns, values)
        return clean or self.checked_leaves(kind, key, figures, problems)

    def packed(self, kind: str, figures: Any) -> PackedLeaves | None:
        """Return a key's leaves packed, or None where they need the writer's own look (a
        shape with something to report, an array, text with a comma, an odd number)."""
        columns: list[str] = []
        values: list[Any] = []
        try:
            if type(figures) is not dict or not self.flatten_fast(figures, "", columns, values):
                return None
            shape = (kind, tuple(columns), tuple(map(type, values)))
            layout = self.clean_shapes.get(shape)
            if layout is None:
                # Checked once here; what it finds is reported when the writer checks again.
                self.leaves(kind, "", figures, Problems())
                layout = self.clean_shapes.get(shape)
            if layout is None:
                return None
            cells = _joined_cells(layout, values)
        except FLATTEN_ERRORS:
            return None
        return None if cells is None else (layout.columns, cells)

    def checked_leaves(
        self, kind: str, key: str, figures: Mapping[str, Any], problems: Problems
    ) -> Leaves:
        """Return a key's leaves checking each one (the path for a shape not known clean)."""
        flat: dict[str, Any] = {}
        flatten(figures, "", flat)
        leaves: Leaves = dict.fromkeys(flat, "")
        scalars: dict[str, Any] = {}
        for column, value in flat.items():
            expected = self.expectations.of(kind, column)
            kind_of = type(value)
            if not (expected == "number" and kind_of in NUMBERS):
                problem = leaf_problem(expected, column, value)
                if problem:
                    problems.add(kind, problem, key)
            if kind_of in SCALARS and (kind_of is not float or math.isfinite(value)):
                scalars[column] = value
                continue
            text = leaf_text(column, value)
            # orjson writes NaN and infinities as null: look closer only where a null is.
            if "null" in text and not finite(value):
                problems.add(kind, f"{column} holds NaN or infinity, kept as a string", key)
                text = dump(spelled(value))
            leaves[column] = text
        leaves.update(zip(scalars, dump_scalars(list(scalars.values())), strict=True))
        return leaves

    def flatten_fast(
        self, figures: dict[str, Any], prefix: str, columns: list[str], values: list[Any]
    ) -> bool:
        """Add columns and leaf values as `codec.flatten` does; False if a key is not a string."""
        names = tuple(figures)
        known = self.column_names.get((prefix, names))
        if known is None:
            if any(type(name) is not str for name in names):
                return False
            known_columns = tuple(column_name(prefix, name) for name in names)
            known = (known_columns, tuple(f"{column}/" for column in known_columns))
            if len(self.column_names) >= SHAPE_CACHE_SIZE:
                self.column_names.clear()
            self.column_names[prefix, names] = known
        inner = figures.values()
        # Most objects hold leaves only: `in` scans their types once and builds no set.
        if dict not in map(type, inner):
            columns.extend(known[0])
            values.extend(inner)
            return True
        for column, below, value in zip(*known, inner, strict=True):
            if type(value) is dict and value:
                if not self.flatten_fast(value, below, columns, values):
                    return False
            else:
                columns.append(column)
                values.append(value)
        return True


class _Layout:
    """Where the leaves of one clean shape are, by type."""

    def __init__(self, columns: tuple[str, ...], types: tuple[type, ...]) -> None:
        self.columns = columns
        self.nulls = types.count(type(None))
        self.strings = _picker([n for n, t in enumerate(types) if t is str])
        self.scalars = _picker([n for n, t in enumerate(types) if t in SCALARS])
        self.others = _picker([n for n, t in enumerate(types) if t not in SCALARS])
        # Every leaf a number, boolean, null or string: one encoder call can write them all.
        self.flat = all(t in SCALARS or t is str for t in types)


def _picker(positions: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """Return a function picking these positions of a sequence, as a tuple."""
    if len(positions) == 1:
        only = positions[0]
        return lambda items: (items[only],)
    if not positions:
        return lambda items: ()
    return itemgetter(*positions)


def _joined_cells(layout: _Layout, values: list[Any]) -> str | None:
    """Return a clean key's leaves' JSON joined by commas, written by one encoder call (None:
    not every leaf a scalar or a string, a comma in a string, an integer beyond 64 bits, or
    a NaN or an infinity: each needs a leaf at a time)."""
    if not layout.flat or "," in "".join(layout.strings(values)):
        return None
    try:
        text = orjson.dumps(values).decode()
    except orjson.JSONEncodeError:
        return None
    # orjson writes NaN and infinities as null: more nulls than None values means one.
    return text[1:-1] if text.count("null") == layout.nulls else None


def _clean_leaves(layout: _Layout, columns: list[str], values: list[Any]) -> Leaves | None:
    """Return the leaves of a key whose shape is clean, or None for a NaN or an infinity."""
    cells = _joined_cells(layout, values)
    if cells is not None:
        return dict(zip(columns, cells.split(","), strict=True))
    scalars = dump_scalars(list(layout.scalars(values)))
    if scalars.count("null") != layout.nulls:
        return None
    leaves = dict.fromkeys(columns, "")
    leaves.update(zip(layout.scalars(columns), scalars, strict=True))
    for column, value in zip(layout.others(columns), layout.others(values), strict=True):
        leaf = leaf_text(column, value)
        if "null" in leaf and not finite(value):
            return None
        leaves[column] = leaf
    return leaves
