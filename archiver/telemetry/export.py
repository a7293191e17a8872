"""Telemetry as CSV: samples flattened into dotted columns, one row per sample.

Owns the CSV view of series (what `archiver telemetry --format csv` prints and the benchmark
compresses as its baseline): `to_csv` writes samples with an ``epoch`` column then one column
per leaf (``stats.p50_latency``), `csv_cells` flattens one sample, and `csv_columns` lists
every column one kind's files hold, read from their headers alone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from archiver.telemetry.codec import dotted, dump
from archiver.telemetry.layout import day_files, day_folders, kind_root, open_file
from archiver.telemetry.reader import reading
from archiver.telemetry.sheet import read_header
from archiver.textsafe import one_line


def csv_columns(repo_path: str | Path, kind: str) -> list[str]:
    """Return every CSV column (as `to_csv` names them) that one kind's files hold."""
    columns: dict[str, None] = {}
    for folder in day_folders(kind_root(repo_path, kind), "", "~"):
        for path in day_files(folder):
            with reading(path), open_file(path) as file:
                names, _ = read_header(file.readline())
            columns.update(dict.fromkeys(dotted(name) for name in names))
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
        # one_line: upstream names and strings reach a terminal or a CI log as printed; a
        # line break in a quoted cell would start a line there (`::error::`...).
        column = f"{prefix}{one_line(name)}"
        if isinstance(value, dict) and value:
            cells.update(csv_cells(value, column + "."))
        else:
            cells[column] = one_line(value) if isinstance(value, str) else dump(value)
    return cells
