"""One day file (a sheet): its header, its rows, and each key's state after them.

Owns the text of a telemetry file: a header line naming the columns (``epoch``, ``key``, then
one per leaf), then one tab-separated row per key and change whose empty cells keep the key's
previous value, ``-`` makes it absent and a patch cell rebuilds an array. Since format 2 an
empty epoch cell is the epoch of the line above (one sync's rows name their epoch once);
format 1 files, every line with its epoch, read the same. `parse_sheet` reads
a file, `Sheet.row` writes the next row of a key, and `SheetCache` keeps parsed files by blob
id so that a writer kept between hourly syncs re-reads nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

import orjson

from archiver.telemetry.codec import ABSENT, PATCH, Leaves, changed_cell, dump, key_of, patched

FIXED_COLUMNS = ("epoch", "key")
# What a damaged file raises while parsed (orjson.JSONDecodeError is a ValueError).
PARSE_ERRORS = (ValueError, IndexError, TypeError, KeyError, UnicodeDecodeError)
# Bounded by the keys they hold (~3 KB each): the whole archive today, a part of a big one.
SHEET_CACHE_KEYS = 16_384

ReadBlob = Callable[[str], bytes]
_NON_EMPTY = itemgetter(1)


@dataclass
class Sheet:
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
        return ("\t".join(dump(name) for name in names) + "\n").encode()

    def row(self, epoch: str, key_cell: str, new: Leaves) -> str | None:
        """Return the line recording a key's new leaves (None: unchanged); update the state."""
        old = self.state.get(key_cell) or {}
        if new == old:
            return None
        self.add_columns(new)
        position = self.position
        cells = [""] * len(self.columns)
        # Only the leaves that changed get a cell: found by set operations, not column by column.
        for column, text in new.items() - old.items():
            cells[position[column]] = changed_cell(old.get(column), text)
        for column in old.keys() - new.keys():
            cells[position[column]] = ABSENT
        self.state[key_cell] = new
        return "\t".join([epoch, key_cell, *cells]).rstrip("\t") + "\n"


def parse_sheet(data: bytes) -> Sheet:
    """Return a telemetry file parsed: columns, rows and every key's final leaves."""
    columns, body = read_header(data)
    sheet = Sheet(columns, body)
    for line in lines(body):
        cells = line.split("\t")
        sheet.last_epoch = cells[0] or sheet.last_epoch
        apply_cells(sheet.state.setdefault(cells[1], {}), sheet.columns, cells[2:])
    check_keys(sheet.state)
    return sheet


def read_header(data: bytes) -> tuple[list[str], bytes]:
    """Return (data columns, body) of a telemetry file's bytes.

    Raises ValueError for a file cut short (its last line would read with its last cell cut
    and any later line appended to it) or whose line 1 does not name `epoch` and `key` first
    (without its header, a file's first line would be taken for the header).
    """
    if not data.endswith(b"\n"):
        raise ValueError("it does not end with a line break: it was cut short")
    head, _, body = data.partition(b"\n")
    names = orjson.loads(b"[" + head.replace(b"\t", b",") + b"]")
    if names[: len(FIXED_COLUMNS)] != list(FIXED_COLUMNS):
        raise ValueError(f"line 1 names {str(names[:2])[:80]}, not the columns epoch and key")
    return [str(name) for name in names[len(FIXED_COLUMNS) :]], body


def check_keys(key_cells: Iterable[str]) -> None:
    """Raise ValueError unless every key cell holds a key (checked once a key, not a line).

    A key cell cut or edited, or a line whose epoch cell gained a tab in front (its epoch
    then reads as its key), would give a key of its own: its line lost to the real key.
    """
    for key_cell in key_cells:
        key_of(key_cell)


def elided(epoch: str, rows: list[str], last_epoch: str) -> list[str]:
    """Return one sync's rows (each starting with its epoch cell) with the epoch written once.

    Format 2: an empty epoch cell is the epoch of the line above, so only the first row
    names it, and not even that one when the file's last line has the same epoch.
    """
    start = len(epoch)
    first = rows[:1] if last_epoch != epoch else [row[start:] for row in rows[:1]]
    return first + [row[start:] for row in rows[1:]]


def epoch_above(body: bytes, start: int, since: int = 0) -> str:
    """Return the epoch named by the last line from `since` up to the one at `start` ('': none).

    A line naming its epoch starts with it (a JSON string); one leaving it out, with a tab.
    """
    if body[start : start + 1] != b'"':
        start = body.rfind(b'\n"', max(since - 1, 0), start) + 1
        if start == 0 and (since or body[:1] != b'"'):
            return ""
    return body[start : body.index(b"\t", start)].decode()


def lines(body: bytes) -> list[str]:
    """Return a file body's lines, split at newlines only (str.splitlines also splits at U+2028)."""
    text = body.decode()
    return text.removesuffix("\n").split("\n") if text else []


def apply_cells(leaves: Leaves, columns: Sequence[str], cells: Sequence[str]) -> None:
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
            leaves[column] = patched(leaves.get(column), cell)
        else:
            leaves[column] = cell


class SheetCache:
    """Parsed files by blob id, oldest forgotten first past SHEET_CACHE_KEYS keys in all."""

    def __init__(self) -> None:
        self._sheets: dict[str, Sheet] = {}
        # Keys each cached sheet holds, counted as it came in (a sheet is changed only taken
        # out, see load): summing them at every remember made a sync's ~270 files quadratic.
        self._keys: dict[str, int] = {}

    def load(self, blob: str, read: ReadBlob, *, keep: bool) -> Sheet:
        """Return the parsed file of a blob (taken out of the cache unless keep: it will change).

        A sheet kept for reading has no body; one taken out to change gets its body back.
        """
        sheet = self._sheets.get(blob) if keep else self._sheets.pop(blob, None)
        if not keep:
            self._keys.pop(blob, None)
        if sheet is None:
            sheet = parse_sheet(read(blob))
            if keep:
                self.remember(blob, sheet)
        elif not keep:
            sheet.body = read(blob).partition(b"\n")[2]
        return sheet

    def remember(self, blob: str, sheet: Sheet) -> None:
        """Cache a parsed file under its blob id, forgetting the oldest beyond the cache size."""
        # Its state is what saves the next sync a parse; its body is the bulk of a day file,
        # which its blob holds: reading that back is an inflate, not a parse.
        sheet.body = b""
        sheets, keys = self._sheets, self._keys
        sheets[blob], keys[blob] = sheet, len(sheet.state)
        held = sum(keys.values())
        while len(sheets) > 1 and held > SHEET_CACHE_KEYS:
            oldest = next(iter(sheets))
            del sheets[oldest]
            held -= keys.pop(oldest)
