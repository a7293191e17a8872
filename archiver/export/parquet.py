"""The Parquet files: a month of one table written atomically, the same rows giving the same
bytes (so an unchanged month never needs writing, and a test can compare two exports).

The one module that imports pyarrow. Files are zstd-compressed with statistics (engines
skip row groups by key and time) and dictionary-encoded text (keys, providers, kinds repeat).
A month of telemetry is written as it is read (`MonthFile`), a row group per piece: held
whole, a month of hourly endpoint figures took gigabytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from archiver.export.columns import BOOL, DOUBLE, FIGURES, INT, STRING, STRINGS, TIME, Column

PART = "part-0.parquet"
_TYPES: dict[str, Any] = {
    STRING: pa.string(),
    INT: pa.int64(),
    DOUBLE: pa.float64(),
    BOOL: pa.bool_(),
    TIME: pa.timestamp("s", tz="UTC"),
    STRINGS: pa.list_(pa.string()),
    FIGURES: pa.list_(pa.struct([("column", pa.string()), ("value", pa.string())])),
}
ROW_GROUP = 100_000


# How the names of telemetry figures travel from a reader process to the writer: a few dozen
# repeated, as a dictionary (spelt out, a day of endpoints carried 37 MB of them). Not so in
# the files: a dictionary nested in a list makes pyarrow refuse to read a file whole.
_WIRE_TYPES = {
    **_TYPES,
    FIGURES: pa.list_(
        pa.struct([("column", pa.dictionary(pa.int32(), pa.string())), ("value", pa.string())])
    ),
}


def schema(columns: Sequence[Column], *, wire: bool = False) -> Any:
    """Return the Arrow schema of a table's columns (wire: as a reader process hands them)."""
    types = _WIRE_TYPES if wire else _TYPES
    return pa.schema([pa.field(column.name, types[column.type]) for column in columns])


def _options(fields: Any) -> dict[str, Any]:
    """Return the writer's settings for a schema (the same for a file written whole or in
    pieces): statistics where engines filter (flat columns), dictionaries where text repeats
    (not the values of telemetry figures, which rarely do: trying cost a tenth of the
    writing)."""
    flat = [field.name for field in fields if not pa.types.is_nested(field.type)]
    # A list's elements; a list of pairs' names (`changed`), not its values.
    repeated = [
        f"{field.name}.list.element"
        + (".column" if pa.types.is_struct(field.type.value_type) else "")
        for field in fields
        if pa.types.is_list(field.type)
    ]
    return {"compression": "zstd", "write_statistics": flat, "use_dictionary": flat + repeated}


def partition_path(out: Path, table: str, month: str) -> Path:
    """Return the file of one month of one table, hive style: table/month=YYYY-MM/part-0."""
    return out / table / f"month={month}" / PART


def write_partition(
    path: Path, columns: Sequence[Column], data: Mapping[str, Sequence[Any]]
) -> int:
    """Write one month's rows (column -> values) to path atomically; return its size in bytes."""
    table = pa.table({c.name: data[c.name] for c in columns}, schema=schema(columns))
    return write_table(path, table)


def write_table(path: Path, table: Any) -> int:
    """Write an Arrow table to path atomically; return its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    # Written beside it, then renamed: a reader never sees half a file, a crash leaves none.
    pq.write_table(table, partial, row_group_size=ROW_GROUP, **_options(table.schema))
    os.replace(partial, path)
    return path.stat().st_size


class MonthFile:
    """One month of one table written piece by piece, each piece its own row groups (of at
    most `row_group` rows): only the piece being written is held. Written beside its path
    and renamed by `close`, as `write_table` does."""

    def __init__(self, path: Path, columns: Sequence[Column], row_group: int = ROW_GROUP) -> None:
        self.path = path
        self.rows = 0
        self._schema = schema(columns)
        self._partial = path.with_name(path.name + ".partial")
        self._row_group = row_group
        self._writer: Any = None

    def write(self, piece: Any) -> None:
        """Append a piece's rows (an Arrow table of the table's columns) as row groups."""
        if not piece.num_rows:
            return
        piece = piece.cast(self._schema)
        if any(column.num_chunks > 1 for column in piece.columns):
            # Pages are cut where chunks end: one chunk, so the same rows give the same bytes.
            piece = piece.combine_chunks()
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self._partial, self._schema, **_options(self._schema))
        self._writer.write_table(piece, row_group_size=self._row_group)
        self.rows += piece.num_rows

    def close(self) -> int:
        """Finish the file and put it in place; return its size in bytes (0: no rows, no file)."""
        if self._writer is None:
            return 0
        self._writer.close()
        self._writer = None
        os.replace(self._partial, self.path)
        return self.path.stat().st_size

    def discard(self) -> None:
        """Drop what was written (the export failed): the month's file is left as it was."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._partial.unlink(missing_ok=True)


def row_groups(path: Path) -> Iterator[Any]:
    """Yield a partition's row groups, one at a time, as Arrow tables."""
    with pq.ParquetFile(path) as found:
        for index in range(found.num_row_groups):
            yield found.read_row_group(index)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Return a partition's rows as dicts (for tests and checks)."""
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows
