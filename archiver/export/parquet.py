"""The Parquet files: a month of one table written atomically, the same rows giving the same
bytes (so an unchanged month never needs writing, and a test can compare two exports).

The one module that imports pyarrow. Files are zstd-compressed with statistics (engines
skip row groups by key and time) and dictionary-encoded text (keys, providers, kinds repeat).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from archiver.export.columns import BOOL, DOUBLE, INT, STRING, STRINGS, TIME, Column

PART = "part-0.parquet"
_TYPES: dict[str, Any] = {
    STRING: pa.string(),
    INT: pa.int64(),
    DOUBLE: pa.float64(),
    BOOL: pa.bool_(),
    TIME: pa.timestamp("s", tz="UTC"),
    STRINGS: pa.list_(pa.string()),
}
ROW_GROUP = 100_000


def schema(columns: Sequence[Column]) -> Any:
    """Return the Arrow schema of a table's columns."""
    return pa.schema([pa.field(column.name, _TYPES[column.type]) for column in columns])


def partition_path(out: Path, table: str, month: str) -> Path:
    """Return the file of one month of one table, hive style: table/month=YYYY-MM/part-0."""
    return out / table / f"month={month}" / PART


def write_partition(
    path: Path, columns: Sequence[Column], data: Mapping[str, Sequence[Any]]
) -> int:
    """Write one month's rows (column -> values) to path atomically; return its size in bytes."""
    table = pa.table({c.name: data[c.name] for c in columns}, schema=schema(columns))
    return write_table(path, table)


def sorted_table(parts: Sequence[Any], columns: Sequence[Column], order: Sequence[str]) -> Any:
    """Return Arrow tables of one month as one, in the table's schema, sorted (stably) by order."""
    table = pa.concat_tables([part.cast(schema(columns)) for part in parts])
    return table.sort_by([(name, "ascending") for name in order]) if order else table


def write_table(path: Path, table: Any) -> int:
    """Write an Arrow table to path atomically; return its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    # Written beside it, then renamed: a reader never sees half a file, a crash leaves none.
    pq.write_table(
        table,
        partial,
        compression="zstd",
        row_group_size=ROW_GROUP,
        write_statistics=True,
        use_dictionary=True,
    )
    os.replace(partial, path)
    return path.stat().st_size


def read_table(path: Path) -> Any:
    """Return a partition as an Arrow table."""
    return pq.read_table(path)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Return a partition's rows as dicts (for tests and checks)."""
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows
