"""A folder of telemetry files read as columns: Arrow splits lines and cells, no Python per line.

A year of telemetry is some five gigabytes of cells and tens of millions of lines; building a
Python object per line (let alone per figure) costs hours. Here a folder's files become one
Arrow table of their lines, in C++ loops (`tsv_columns` splits them): the epoch and key of
each line, the figures the line wrote with their JSON texts (`changed`), those it made
absent (`absent`), and the charted figures carried forward per key as doubles. Only what is
rare is left to Python: an array patch cell (rebuilt from the key's previous array) and a
key that needs JSON unescaping.

Every cell is checked to be one JSON value (all of a folder's cells are parsed in one call,
counted, and each seen to close the brackets it opens), and every epoch to be one the archive
could have written there, so a damaged file raises instead of writing broken JSON, or
another time, into a table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archiver.export.array_patches import ArrayState, patch_whole
from archiver.export.tsv_columns import Split, check_json, numbers, split_files
from archiver.telemetry.codec import ABSENT, PATCH
from archiver.times import is_calendar_day

_EPOCH = re.compile(r'^"\d{4}-\d\d-\d\dT([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ"$')


@dataclass(frozen=True)
class Charted:
    """A figure given a double column: the column's name, the figure's stored column."""

    name: str
    column: str


def read_sheets(
    files: Sequence[bytes], charted: Sequence[Charted], since: str, until: str | None
) -> pa.Table | None:
    """Return the lines of a folder's files, by key then epoch (since, until: the first and
    last epochs, ISO, the folder may hold; None: no end).

    Columns: key, epoch, each charted figure (double, carried forward per key), restated
    (the key's first line in its file: it holds the whole state), changed ((stored column,
    the cell's JSON text) of every figure the line wrote), absent (stored columns the
    line made absent). The files are read as one (each step runs once a folder, not once a
    file), each with its own header. Raises ValueError (or an Arrow error, which is one)
    when a file is not well formed.
    """
    split = split_files(files)
    if split is None:
        return None
    file_of, keys = split.file_of, split.keys
    epochs = _epochs(split.first_cells(0), file_of, since, until)
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
    keep = first | has_cells[order]
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
        "changed": cells_text.changed(order[picked]),
        "absent": cells_text.absent(order[picked]),
    }
    return pa.table(table)


def _column_of_cell(split: Split) -> np.ndarray[Any, Any]:
    """Return each cell's index in all the files' columns, one file after another (-1: the
    epoch, the key, or a cell past its file's header). A name a header gives twice is one
    column (its first place), as the archive's reader keeps one value a name."""
    firsts = [[header.index(name) for name in header] for header in split.headers]
    widths = np.array([len(header) for header in split.headers])
    bases = np.concatenate(([0], np.cumsum(widths)[:-1]))
    file_of_cell = split.file_of[split.line_of]
    inside = (split.place >= 0) & (split.place < widths[file_of_cell])
    column = np.where(inside, bases[file_of_cell] + split.place, -1)
    if any(first != list(range(len(first))) for first in firsts):
        first_of = np.array(
            [base + at for base, first in zip(bases, firsts, strict=True) for at in first]
        )
        column = np.where(inside, first_of[np.maximum(column, 0)], -1)
    return column


def _epochs(
    epoch_cells: pa.Array, file_of: np.ndarray[Any, Any], since: str, until: str | None
) -> pa.Array:
    """Return each line's epoch as ISO text; an empty cell is the epoch of the line above.

    A line the archive could not have written raises: it would be read as another time (an
    hour 24 or a 30 February), or dropped, or replayed out of its order.
    """
    file_starts = np.nonzero(np.diff(file_of, prepend=-1))[0]
    if not all(epoch_cells.take(pa.array(file_starts)).to_pylist()):
        raise ValueError("the first line names no epoch")
    named = pc.if_else(pc.equal(epoch_cells, ""), pa.scalar(None, pa.string()), epoch_cells)
    filled = pc.fill_null_forward(named)
    cells = pc.unique(filled).to_pylist()
    if not all(_EPOCH.fullmatch(cell) and is_calendar_day(cell[1:11]) for cell in cells):
        raise ValueError("an epoch is not a UTC time to the second")
    distinct = sorted(cell[1:-1] for cell in cells)
    late = until is not None and distinct[-1] > until
    if distinct[0] < since or late:
        outside = distinct[-1] if late else distinct[0]
        raise ValueError(f"an epoch is outside the days its folder holds ({outside})")
    epochs = pc.utf8_slice_codeunits(filled, 1, -1)
    # Text order is time order: every epoch has the one shape checked above.
    earlier = np.asarray(pc.less(epochs[1:], epochs[:-1])) & (file_of[1:] == file_of[:-1])
    if earlier.any():
        raise ValueError("an epoch is earlier than the line above it")
    return epochs


@dataclass(frozen=True)
class _Cells:
    """What the data cells say: the figures each line wrote, and those it made absent."""

    texts: pa.Array  # The flat cells, then the arrays their patches make.
    text_of: np.ndarray[Any, Any] | None  # Where each cell's text is in texts (None: there).
    column: np.ndarray[Any, Any]  # Each cell's column (see `_column_of_cell`).
    names: pa.Array  # The columns' names.
    line_of: np.ndarray[Any, Any]  # Each cell's line.
    lines: int
    written: np.ndarray[Any, Any]  # Positions of the figures written, in line order.
    gone: np.ndarray[Any, Any]  # Positions of the figures made absent, in line order.

    @property
    def touched(self) -> np.ndarray[Any, Any]:
        """Return the positions of every figure written or made absent."""
        return np.concatenate((self.written, self.gone))

    def changed(self, rows: np.ndarray[Any, Any]) -> pa.ListArray:
        """Return the figures each of these lines wrote: (stored column, the cell's JSON)."""
        # Pairs, not a JSON object in text: the names are a few dozen repeated, kept as a
        # dictionary, where spelling each out in every line made the table four times the
        # archive's files and joining them a third of the export's work. Not a map either:
        # Hugging Face datasets reads no map. Gathered once, in the rows' order: the cells
        # are the folder's bulk.
        offsets, cells = self._gather(self.written, rows)
        distinct, name_of = np.unique(np.asarray(self.names, dtype=object), return_inverse=True)
        names = pa.array(name_of[self.column[cells]], pa.int32())
        pairs = pa.StructArray.from_arrays(
            [
                pa.DictionaryArray.from_arrays(names, pa.array(distinct, pa.string())),
                self.texts.take(pa.array(cells if self.text_of is None else self.text_of[cells])),
            ],
            names=["column", "value"],
        )
        return pa.ListArray.from_arrays(offsets, pairs)

    def absent(self, rows: np.ndarray[Any, Any]) -> pa.ListArray:
        """Return the stored columns each of these lines made absent."""
        offsets, cells = self._gather(self.gone, rows)
        return pa.ListArray.from_arrays(offsets, self.names.take(pa.array(self.column[cells])))

    def _gather(
        self, cells: np.ndarray[Any, Any], rows: np.ndarray[Any, Any]
    ) -> tuple[pa.Array, np.ndarray[Any, Any]]:
        """Return (offsets, positions) of the cells of these lines, line after line."""
        counts = np.bincount(self.line_of[cells], minlength=self.lines)
        starts = np.concatenate(([0], np.cumsum(counts)))
        wanted = counts[rows]
        offsets = np.concatenate(([0], np.cumsum(wanted)))
        at = np.repeat(starts[rows] - offsets[:-1], wanted) + np.arange(offsets[-1])
        return pa.array(offsets.astype(np.int32)), cells[at]


def _data_cells(split: Split) -> _Cells:
    """Return what each line's data cells say (every value cell checked to be JSON)."""
    flat, keys, line_of = split.flat, split.keys, split.line_of
    column = _column_of_cell(split)
    # A cell past its header's last column is ignored, as the archive's readers ignore it.
    data = column >= 0
    empty = np.asarray(pc.equal(pc.binary_length(flat), 0))
    absent = data & np.asarray(pc.equal(flat, ABSENT))
    patch = data & np.asarray(pc.starts_with(flat, PATCH))
    values = data & ~empty & ~absent & ~patch
    check_json(flat.filter(pa.array(values)))
    texts, text_of = flat, None
    if patch.any():
        texts, text_of = _resolve_patches(flat, column, patch, keys, line_of, data & ~empty)
    touched = _last_of_each(column, line_of, np.nonzero(values | patch | absent)[0])
    names = pa.array([name for header in split.headers for name in header], pa.string())
    return _Cells(
        texts=texts,
        text_of=text_of,
        column=column,
        names=names,
        line_of=line_of,
        lines=len(keys),
        written=touched[~absent[touched]],
        gone=touched[absent[touched]],
    )


def _last_of_each(
    column: np.ndarray[Any, Any], line_of: np.ndarray[Any, Any], cells: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Return the cells (positions, in order) less those a later cell of their line and column
    overrides: only a header naming a column twice gives one line two cells of it."""
    pairs = line_of[cells] * (int(column.max()) + 1) + column[cells]
    if len(pairs) < 2 or (np.diff(pairs) > 0).all():
        return cells  # Columns rise along each line: no column twice.
    reverse_firsts = np.unique(pairs[::-1], return_index=True)[1]
    return cells[np.sort(len(cells) - 1 - reverse_firsts)]


def _resolve_patches(
    flat: pa.Array,
    column: np.ndarray[Any, Any],
    patch: np.ndarray[Any, Any],
    keys: pa.Array,
    line_of: np.ndarray[Any, Any],
    filled: np.ndarray[Any, Any],
) -> tuple[pa.Array, np.ndarray[Any, Any]]:
    """Return the cells followed by the arrays their patches make (exact text), and where
    each cell's text now is (a patch cell's: its array's).

    Only the columns holding a patch are replayed, in file order, key by key (a column of
    one file is not a column of another, so a key's state never crosses files). The arrays
    are appended rather than put in the patches' places: a week of variants' arrays is some
    100 MB of text, which replacing cell by cell copied again.
    """
    replay = np.nonzero(filled & np.isin(column, np.unique(column[patch])))[0]
    replay_cells = flat.take(pa.array(replay)).to_pylist()
    replay_keys = keys.take(pa.array(line_of[replay])).to_pylist()
    # Each array is kept as its elements and their texts: a variant's month of daily rows is
    # patched day after day, and only the new day's row is written.
    state: dict[tuple[str, int], ArrayState | str | None] = {}
    made: list[str] = []
    for cell, key, at in zip(replay_cells, replay_keys, column[replay].tolist(), strict=True):
        if cell == ABSENT:
            state[key, at] = None
        elif cell.startswith(PATCH):
            state[key, at], text = patch_whole(state.get((key, at)), cell)
            made.append(text)
        else:
            state[key, at] = cell
    text_of = np.arange(len(flat))
    text_of[np.nonzero(patch)[0]] = len(flat) + np.arange(len(made))
    return pa.concat_arrays([flat, pa.array(made, pa.string())]), text_of


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
    # Where each figure sits in each file's lines (-1: the file has no such column); a header
    # naming it twice gives it a second place, whose cell (when not empty) is the one kept.
    places = [[_places(h, c.column) for h in split.headers] for c in charted]
    found = [index for index in range(len(charted)) if any(places[index])]
    if not found:
        return carried
    picked = None
    for rank in range(max(len(found_at) for index in found for found_at in places[index])):
        at = np.array(
            [[p[rank] + 2 if rank < len(p) else -1 for p in places[index]] for index in found]
        ).reshape(len(found), len(split.headers))
        line_at = at[:, split.file_of[order]]
        inside = (line_at >= 0) & (widths[order] > line_at)
        where = np.where(inside, starts[:-1][order] + line_at, -1).ravel()
        cells = split.flat.take(pa.array(where, mask=where < 0))
        cells = pc.if_else(pc.equal(cells, ""), pa.scalar(None, pa.string()), cells)
        picked = cells if picked is None else pc.coalesce(cells, picked)
    starting = pa.array(np.tile(first, len(found)))
    picked = pc.if_else(pc.and_(starting, pc.is_null(picked)), ABSENT, picked)
    doubles = numbers(pc.fill_null_forward(picked))
    for stretch, index in enumerate(found):
        carried[charted[index].name] = doubles.slice(stretch * lines, lines)
    return carried


def _places(header: list[str], name: str) -> list[int]:
    """Return where a header names a column, first to last."""
    return [at for at, column in enumerate(header) if column == name]
