"""Telemetry files split into columns by Arrow: their lines, cells, keys and numbers.

What the telemetry tables (`sheet_columns`) and the uptime table (`uptime_columns`) share:
a folder's files read as one array of cells with, for each cell, its line and place, and for
each line its file; keys read from their JSON cells; every cell checked to be JSON in one
parse; figures read as doubles as `archiver.export.columns.number` reads them. Nothing here
loops over lines in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from archiver import jsonvalue
from archiver.export.columns import number, text
from archiver.telemetry.codec import key_of
from archiver.telemetry.sheet import read_header

# What `number` reads as a figure: a JSON number, or a string holding a decimal; anything else
# (true, an array, "n/a", "NaN") is no double.
_NUMBER_LEADS = pa.array(list("-0123456789"))
# A JSON number, exactly as the grammar spells one.
_JSON_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
# A string holding a decimal spelt in ASCII, as a price is read (`classify.decimal_number`).
_DECIMAL = r'^"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"$'
# What may come before a number or a string: a quote, or a blank (JSON allows one around a
# value; a line ending CRLF ends its last cell with a carriage return).
_ODD_LEADS = pa.array(['"', " ", "\r"])
_BLANKS = " \r"
# A JSON string as a token: any character but a quote or a backslash, or an escape.
_STRING = r'"(?:[^"\\]|\\.)*"'
# Cells longer than this are parsed one by one (`check_json`): past a few hundred bytes,
# a call of their own costs less than their share of the brackets' regexes.
_PARSED_ALONE = 256
# A key that reads as an epoch (`codec.reads_as_time`).
_TIME_KEY = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


@dataclass(frozen=True)
class Split:
    """A folder's files as cells: `flat` holds every cell, line after line, file after file."""

    headers: list[list[str]]  # Each file's data columns (its header past epoch and key).
    flat: pa.Array
    starts: np.ndarray[Any, Any]  # Where each line's cells start in `flat` (and the end).
    widths: np.ndarray[Any, Any]  # How many cells each line has.
    file_of: np.ndarray[Any, Any]  # Each line's file.
    line_of: np.ndarray[Any, Any]  # Each cell's line.
    place: np.ndarray[Any, Any]  # Each cell's data column in its line (<0: epoch or key).
    keys: pa.Array  # Each line's key.

    def first_cells(self, at: int) -> pa.Array:
        """Return each line's cell at a place every line has (0: epoch, 1: key)."""
        return self.flat.take(pa.array(self.starts[:-1] + at))


def split_files(files: Sequence[bytes]) -> Split | None:
    """Return the files' lines split into cells (None: no lines).

    Raises ValueError when a file is not UTF-8, its header not JSON, or a line has no key.
    """
    headers, bodies = [], []
    for data in files:
        columns, body = read_header(data)
        body_text = body.decode().removesuffix("\n")
        if body_text:
            headers.append(columns)
            bodies.append(body_text)
        elif body:
            raise ValueError("a line has no key cell")  # An empty line, alone after the header.
    if not bodies:
        return None
    per_file = pc.split_pattern(pa.array(bodies), "\n")
    file_of = np.repeat(np.arange(len(bodies)), np.diff(np.asarray(per_file.offsets)))
    cells = pc.split_pattern(per_file.values, "\t")
    starts = np.asarray(cells.offsets)
    widths = np.diff(starts)
    if int(widths.min()) < 2:
        raise ValueError("a line has no key cell")
    flat = cells.values
    line_of = np.repeat(np.arange(len(file_of)), widths)
    place = np.arange(len(flat)) - starts[:-1][line_of] - 2
    keys = _keys(flat.take(pa.array(starts[:-1] + 1)))
    return Split(headers, flat, starts, widths, file_of, line_of, place, keys)


def _keys(key_cells: pa.Array) -> pa.Array:
    """Return the keys of JSON string cells (escaped ones, and odd ones, read by Python)."""
    plain = np.asarray(pc.equal(pc.count_substring(key_cells, '"'), 2)) & np.asarray(
        pc.and_(pc.starts_with(key_cells, '"'), pc.ends_with(key_cells, '"'))
    )
    # An escape needs decoding; a raw control character is not JSON (`key_of` refuses it).
    plain &= ~np.asarray(pc.match_substring_regex(key_cells, r"[\\\x00-\x1f]"))
    keys = pc.utf8_slice_codeunits(key_cells, 1, -1)
    # A key reading as a time is a line whose epoch cell a tab pushed into the key's place:
    # refused as `key_of` refuses it (an odd cell sliced to a time is no JSON either). Only
    # keys of a time's 20 bytes are matched: a regex over every line cost 40 times more.
    twenty = pc.equal(pc.binary_length(keys), 20)
    if (
        pc.any(twenty).as_py()
        and pc.any(pc.match_substring_regex(keys.filter(twenty), _TIME_KEY)).as_py()
    ):
        raise ValueError("a key cell holds a time: a line's cells moved one place")
    if plain.all():
        return keys
    odd = np.nonzero(~plain)[0]
    decoded = [text(key_of(cell)) for cell in key_cells.take(pa.array(odd)).to_pylist()]
    return pc.replace_with_mask(keys, pa.array(~plain), pa.array(decoded, pa.string()))


def check_json(cells: pa.Array) -> None:
    """Raise ValueError unless every cell is exactly one JSON value (parsed in one call)."""
    # Most cells are plain numbers, which RE2 tells in C++ for about half a parse's cost.
    cells = cells.filter(pc.invert(pc.match_substring_regex(cells, _JSON_NUMBER)))
    if not len(cells):
        return
    # Long cells (a variant's month-long arrays, most of its folder's bytes) are parsed one
    # by one: joined, the brackets' check stripped their strings by regex, which cost twice
    # the parse. Each one value and the rest passing is the whole passing; when anything
    # fails, the whole is checked as before, so a damaged folder gets the same error.
    long = pc.greater(pc.binary_length(cells), _PARSED_ALONE)
    if pc.any(long).as_py():
        try:
            for cell in cells.filter(long).to_pylist():
                _check_one(cell)
            _check_joined(cells.filter(pc.invert(long)))
            return
        except Exception:  # Whatever a damaged cell raises: the whole check answers.
            pass
    _check_joined(cells)


def _check_one(cell: str) -> None:
    """Raise ValueError unless a cell is one JSON value, parsed as `_check_joined` parses it
    (inside an array: as nested as there)."""
    array = "[" + cell + "]"
    try:
        parsed = orjson.loads(array)
    except orjson.JSONDecodeError:
        parsed = jsonvalue.loads(array)
    if len(parsed) != 1:
        raise ValueError("a cell is not one JSON value")


def _check_joined(cells: pa.Array) -> None:
    """Raise ValueError unless every cell is one JSON value: all parsed in one call, counted,
    and each seen to close the brackets it opens."""
    if not len(cells):
        return
    # A newline between cells: no string can run from one cell into the next.
    whole = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(cells)]), cells), ",\n")
    array = "[" + str(whole[0].as_py()) + "]"
    try:
        parsed = orjson.loads(array)
    except orjson.JSONDecodeError:
        parsed = jsonvalue.loads(array)  # Integers past 64 bits, lone surrogates: still JSON.
    if len(parsed) != len(cells):
        raise ValueError("a cell is not one JSON value")
    _check_brackets(cells)


def _check_brackets(cells: pa.Array) -> None:
    """Raise ValueError unless each cell closes every bracket it opens (strings aside).

    The count alone let parts of values pass together (`[1`, `2]` and `3,4` joined are three
    values). With the whole parsed, a cell whose brackets balance never leaves the outer
    array, so a cell holding two values (or none) would have changed the count.
    """
    nested = cells.filter(pc.match_substring_regex(cells, r"[\[\]{}]"))
    if not len(nested):
        return
    bare = pc.replace_substring_regex(nested, _STRING, "")
    opened = pc.count_substring_regex(bare, r"[\[{]")
    if not pc.all(pc.equal(opened, pc.count_substring_regex(bare, r"[\]}]"))).as_py():
        raise ValueError("a cell is not one JSON value")


def numbers(cells: pa.Array) -> pa.Array:
    """Return checked JSON cells (or `-`, or null) as doubles: numbers and decimal strings;
    null for anything else."""
    # A JSON number starts with a digit or a minus sign (alone, `-` is an absent cell); a
    # string or a blank first (rare) is the only cell the regexes need to look at.
    lead = pc.utf8_slice_codeunits(cells, 0, 1)
    plain = pc.and_(pc.is_in(lead, value_set=_NUMBER_LEADS), pc.not_equal(cells, "-"))
    texts = pc.if_else(plain, cells, pa.scalar(None, pa.string()))
    odd = np.asarray(pc.fill_null(pc.is_in(lead, value_set=_ODD_LEADS), False))
    if odd.any():
        texts = pc.replace_with_mask(
            texts, pa.array(odd), _odd_numbers(cells.filter(pa.array(odd)))
        )
    try:
        doubles = pc.cast(texts, pa.float64())
    except pa.ArrowInvalid:
        # A blank after a number (rare): JSON allows it, Arrow's cast does not.
        doubles = pc.cast(pc.utf8_trim(texts, _BLANKS), pa.float64())
    # As `number`: JSON has no infinity, and a double past 1e308 is not taken as one.
    return pc.if_else(pc.less(pc.abs(doubles), 1e308), doubles, pa.scalar(None, pa.float64()))


def _odd_numbers(cells: pa.Array) -> pa.Array:
    """Return the number text of cells starting with a quote or a blank (null: no number)."""
    trimmed = pc.utf8_trim(cells, _BLANKS)
    simple = pc.and_(pc.string_is_ascii(trimmed), pc.invert(pc.match_substring(trimmed, "\\")))
    decimals = pc.if_else(
        pc.and_(simple, pc.match_substring_regex(trimmed, _DECIMAL)),
        pc.utf8_trim(trimmed, '"'),
        pa.scalar(None, pa.string()),
    )
    texts = pc.if_else(pc.match_substring_regex(trimmed, _JSON_NUMBER), trimmed, decimals)
    # An escape (`"\\u0037"` is "7") or a character past ASCII: `number` reads the string's
    # value; such strings are rarer still.
    rare = np.asarray(pc.and_(pc.invert(simple), pc.starts_with(trimmed, '"')))
    if not rare.any():
        return texts
    found = [number(jsonvalue.loads(cell)) for cell in trimmed.filter(pa.array(rare)).to_pylist()]
    spelled = [None if value is None else repr(value) for value in found]
    return pc.replace_with_mask(texts, pa.array(rare), pa.array(spelled, pa.string()))
