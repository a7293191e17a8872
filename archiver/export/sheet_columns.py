"""A folder of telemetry files read as columns: Arrow splits lines and cells, no Python per line.

A year of telemetry is some five gigabytes of cells and tens of millions of lines; building a
Python object per line (let alone per figure) costs hours. Here a folder's files become one
Arrow table of their lines, in C++ loops (`tsv_columns` splits them): the epoch and key of
each line, the figures the line wrote as a JSON object (`changed`), the figures it made
absent (`absent`), and the charted figures carried forward per key as doubles. Only what is
rare is left to Python: an array patch cell (rebuilt from the key's previous array) and a
key that needs JSON unescaping.

Every cell is checked to be one JSON value (all of a folder's cells are parsed in one call
and counted), so a damaged file raises instead of writing broken JSON into a table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archiver import jsonvalue
from archiver.export.tsv_columns import Split, check_json, numbers, split_files
from archiver.telemetry.codec import ABSENT, PATCH, dump, patch_array

_EPOCH = re.compile(r'^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$')


@dataclass(frozen=True)
class Charted:
    """A figure given a double column: the column's name, the figure's stored column."""

    name: str
    column: str


def read_sheets(
    files: Sequence[bytes], charted: Sequence[Charted], since: str, until: str | None
) -> pa.Table | None:
    """Return the lines of a folder's files from since to until (ISO epochs, inclusive), by
    key then epoch.

    Columns: key, epoch, each charted figure (double, carried forward per key), restated
    (the key's first line in its file: it holds the whole state), changed (JSON object:
    stored column -> value, every figure the line wrote), absent (stored columns the line
    made absent). The files are read as one (each step runs once a folder, not once a
    file), each with its own header. Raises ValueError (or an Arrow error, which is one)
    when a file is not well formed.
    """
    split = split_files(files)
    if split is None:
        return None
    file_of, keys = split.file_of, split.keys
    epochs = _epochs(split.first_cells(0), file_of)
    cells_text = _data_cells(split)
    # Stable: a key's lines stay in file order. A key's first line in a file starts afresh.
    order = np.asarray(
        pc.sort_indices(
            pa.table({"file": file_of, "key": keys}), [("file", "ascending"), ("key", "ascending")]
        )
    )
    sorted_keys = keys.take(pa.array(order))
    first = np.ones(len(order), dtype=bool)
    first[1:] = np.asarray(pc.not_equal(sorted_keys[1:], sorted_keys[:-1]))
    first[1:] |= file_of[order][1:] != file_of[order][:-1]
    has_cells = np.bincount(split.line_of[cells_text.touched], minlength=len(file_of)) > 0
    in_range = pc.greater_equal(epochs, since)
    if until is not None:
        in_range = pc.and_(in_range, pc.less_equal(epochs, until))
    keep = (first | has_cells[order]) & np.asarray(in_range)[order]
    moments = pc.strptime(epochs.take(pa.array(order)), format="%Y-%m-%dT%H:%M:%SZ", unit="s")
    moments = moments.cast(pa.timestamp("s", tz="UTC"))
    # The rows kept, by key then time (stably: a key's lines at one epoch stay in file
    # order), picked in one take: the text columns are the folder's bulk.
    kept = np.nonzero(keep)[0]
    by_key = pa.table(
        {"key": sorted_keys.take(pa.array(kept)), "epoch": moments.take(pa.array(kept))}
    )
    picked = kept[
        np.asarray(pc.sort_indices(by_key, [("key", "ascending"), ("epoch", "ascending")]))
    ]
    rows = pa.array(picked)
    table = {
        "key": sorted_keys.take(rows),
        "epoch": moments.take(rows),
        **{
            name: doubles.take(rows)
            for name, doubles in _carried(split, charted, order, first).items()
        },
        "restated": pa.array(first).take(rows),
        "changed": cells_text.changed.take(pa.array(order[picked])),
        "absent": cells_text.absent.take(pa.array(order[picked])),
    }
    return pa.table(table)


def _column_of_cell(split: Split) -> np.ndarray[Any, Any]:
    """Return each cell's index in all the files' columns, one file after another (-1: the
    epoch, the key, or a cell past its file's header)."""
    widths = np.array([len(header) for header in split.headers])
    bases = np.concatenate(([0], np.cumsum(widths)[:-1]))
    file_of_cell = split.file_of[split.line_of]
    inside = (split.place >= 0) & (split.place < widths[file_of_cell])
    return np.where(inside, bases[file_of_cell] + split.place, -1)


def _epochs(epoch_cells: pa.Array, file_of: np.ndarray[Any, Any]) -> pa.Array:
    """Return each line's epoch as ISO text; an empty cell is the epoch of the line above."""
    file_starts = np.nonzero(np.diff(file_of, prepend=-1))[0]
    if not all(epoch_cells.take(pa.array(file_starts)).to_pylist()):
        raise ValueError("the first line names no epoch")
    named = pc.if_else(pc.equal(epoch_cells, ""), pa.scalar(None, pa.string()), epoch_cells)
    filled = pc.fill_null_forward(named)
    distinct = pc.unique(filled).to_pylist()
    if not all(_EPOCH.fullmatch(cell) for cell in distinct):
        raise ValueError("an epoch is not a UTC time to the second")
    return pc.utf8_slice_codeunits(filled, 1, -1)


@dataclass(frozen=True)
class _Cells:
    """What the data cells say, per line: the JSON of the written figures, the absent ones."""

    changed: pa.Array
    absent: pa.Array
    touched: np.ndarray[Any, Any]  # Positions (in the flat cells) of figures written or gone.


def _data_cells(split: Split) -> _Cells:
    """Return each line's written figures as JSON and its absent ones as a list."""
    flat, keys, line_of, lines = split.flat, split.keys, split.line_of, len(split.keys)
    column = _column_of_cell(split)
    # A cell past its header's last column is ignored, as the archive's readers ignore it.
    data = column >= 0
    empty = np.asarray(pc.equal(pc.binary_length(flat), 0))
    absent = data & np.asarray(pc.equal(flat, ABSENT))
    patch = data & np.asarray(pc.starts_with(flat, PATCH))
    values = data & ~empty & ~absent & ~patch
    check_json(flat.filter(pa.array(values)))
    texts = flat
    if patch.any():
        texts = _resolve_patches(flat, column, patch, keys, line_of, data & ~empty)
    written = np.nonzero(values | patch)[0]
    names = [name for header in split.headers for name in header]
    members = pc.binary_join_element_wise(
        pa.array([dump(name) + ":" for name in names]).take(pa.array(column[written])),
        texts.take(pa.array(written)),
        "",
    )
    # Each copy let go of once the next is made: a week of variants, their arrays whole, is
    # 100 MB a copy, and a reader process held four at once.
    del texts
    joined = pc.binary_join(_per_line(members, line_of[written], lines), ",")
    del members
    changed = pc.binary_join_element_wise("{", joined, "}", "")
    del joined
    gone = np.nonzero(absent)[0]
    absent_names = pa.array(names, pa.string()).take(pa.array(column[gone]))
    return _Cells(
        changed=changed,
        absent=_per_line(absent_names, line_of[gone], lines),
        touched=np.nonzero(values | patch | absent)[0],
    )


def _per_line(values: pa.Array, line_of: np.ndarray[Any, Any], lines: int) -> pa.ListArray:
    """Return values (in line order) gathered into one list per line."""
    counts = np.bincount(line_of, minlength=lines)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _resolve_patches(
    flat: pa.Array,
    column: np.ndarray[Any, Any],
    patch: np.ndarray[Any, Any],
    keys: pa.Array,
    line_of: np.ndarray[Any, Any],
    filled: np.ndarray[Any, Any],
) -> pa.Array:
    """Return the cells with each array patch replaced by the array it makes (exact text).

    Only the columns holding a patch are replayed, in file order, key by key (a column of
    one file is not a column of another, so a key's state never crosses files).
    """
    replay = np.nonzero(filled & np.isin(column, np.unique(column[patch])))[0]
    replay_cells = flat.take(pa.array(replay)).to_pylist()
    replay_keys = keys.take(pa.array(line_of[replay])).to_pylist()
    # Each array is kept parsed: a variant's month of daily rows is patched day after day.
    state: dict[tuple[str, int], list[Any] | str | None] = {}
    made: list[str] = []
    for cell, key, at in zip(replay_cells, replay_keys, column[replay].tolist(), strict=True):
        if cell == ABSENT:
            state[key, at] = None
        elif cell.startswith(PATCH):
            before = state.get((key, at))
            if not isinstance(before, list):
                before = jsonvalue.loads(before) if before else []
            array = patch_array(before, cell)
            state[key, at] = array
            made.append(dump(array))
        else:
            state[key, at] = cell
    return pc.replace_with_mask(flat, pa.array(patch), pa.array(made, pa.string()))


def _carried(
    split: Split,
    charted: Sequence[Charted],
    order: np.ndarray[Any, Any],
    first: np.ndarray[Any, Any],
) -> dict[str, pa.Array]:
    """Return each charted figure per line (in `order`) as a double, carried forward per key.

    An empty cell keeps the key's value from its line above, `-` makes it absent, and a key's
    first line in a file holds its whole state (an empty cell there: absent). The figures
    are stacked into one array, so each step runs once, not once a figure: a key's first line
    starts each figure's stretch, so nothing is carried from one into the next.
    """
    lines, starts, widths = len(order), split.starts, split.widths
    carried: dict[str, pa.Array] = {c.name: pa.nulls(lines, pa.float64()) for c in charted}
    # Where each figure sits in each file's lines (-1: the file has no such column).
    at = np.array(
        [[h.index(c.column) + 2 if c.column in h else -1 for h in split.headers] for c in charted]
    ).reshape(len(charted), len(split.headers))
    found = [index for index in range(len(charted)) if (at[index] >= 0).any()]
    if not found:
        return carried
    line_at = at[found][:, split.file_of[order]]
    where = np.where((line_at >= 0) & (widths[order] > line_at), starts[:-1][order] + line_at, -1)
    where = where.ravel()
    picked = split.flat.take(pa.array(where, mask=where < 0))
    picked = pc.if_else(pc.equal(picked, ""), pa.scalar(None, pa.string()), picked)
    starting = pa.array(np.tile(first, len(found)))
    picked = pc.if_else(pc.and_(starting, pc.is_null(picked)), ABSENT, picked)
    doubles = numbers(pc.fill_null_forward(picked))
    for stretch, index in enumerate(found):
        carried[charted[index].name] = doubles.slice(stretch * lines, lines)
    return carried
