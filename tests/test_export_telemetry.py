"""The telemetry tables of the Parquet export, read as columns, against the archive's reader.

`archiver.telemetry.iter_samples` (what `archiver telemetry` prints) is the reference: a
table's rows, replayed key by key (a `restated` row is the whole state, any other row sets
what it `changed` and drops what it made `absent`), must give the reader's figures at every
epoch, and the charted doubles its numbers. Checked on crafted files holding every odd thing
the format allows, and (in tests/test_export.py) on the export of the test captures.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest

from archiver import jsonvalue
from archiver.errors import StoreError
from archiver.export import series
from archiver.export.columns import dig, number
from archiver.telemetry import iter_samples
from archiver.telemetry.codec import dump, flatten, segments
from archiver.telemetry.uptime import uptime_between
from archiver.times import format_epoch

Figures = dict[str, Any]
# A key's state after one of its rows: (epoch, figures, the row).
Replayed = tuple[str, Figures, dict[str, Any]]


def reader_states(repo: Path, kind: str) -> dict[str, list[tuple[str, Figures]]]:
    """Return each key's (epoch, flattened figures) changes as the archive's reader gives them."""
    states: dict[str, list[tuple[str, Figures]]] = {}
    for key, sample in iter_samples(repo, kind):
        epoch = sample.pop("epoch")
        flat: Figures = {}
        flatten(sample, "", flat)
        states.setdefault(key, []).append((epoch, flat))
    return states


def replayed(
    rows: Iterable[dict[str, Any]],
) -> dict[str, list[tuple[str, Figures, dict[str, Any]]]]:
    """Return each key's (epoch, figures, row) after each of its rows, replayed in order."""
    found: dict[str, list[Replayed]] = {}
    state: dict[str, Figures] = {}
    for row in sorted(rows, key=lambda row: (row["key"], row["epoch"])):
        changed = {pair["column"]: jsonvalue.loads(pair["value"]) for pair in row["changed"]}
        figures = changed if row["restated"] else {**state.get(row["key"], {}), **changed}
        for column in row["absent"] or []:
            figures.pop(column, None)
        state[row["key"]] = figures
        found.setdefault(row["key"], []).append((format_epoch(row["epoch"]), dict(figures), row))
    return found


def assert_rows_replay_to_reader(repo: Path, kind: str, rows: list[dict[str, Any]]) -> int:
    """Assert that a kind's exported rows replay to the reader's figures; return rows checked."""
    expected = reader_states(repo, kind)
    exported = replayed(rows)
    assert set(exported) == set(expected)
    checked = 0
    for key, changes in expected.items():
        got = exported[key]
        # Every change the reader sees is a row; a row restating the same state adds nothing.
        assert {epoch for epoch, _ in changes} <= {epoch for epoch, _, _ in got}, key
        for epoch, figures, row in got:
            in_force = [state for at, state in changes if at <= epoch][-1]
            assert _texts(figures) == _texts(in_force), (key, epoch)
            for column in series.CHARTED.get(kind, []):
                want = number(dig(_nested(figures), column.path))
                assert row[column.name] == want, (key, epoch, column.name)
            checked += 1
    return checked


def _texts(flat: Figures) -> dict[str, str]:
    """Return flattened figures as exact JSON texts (so 1 and 1.0, and true, stay apart)."""
    return {column: dump(value) for column, value in flat.items()}


def _nested(flat: Figures) -> Figures:
    """Return flattened figures nested again (for `dig`)."""
    nested: Figures = {}
    for column, value in flat.items():
        *parents, name = segments(column)
        holder = nested
        for parent in parents:
            holder = holder.setdefault(parent, {})
        holder[name] = value
    return nested


def export_rows(repo: Path, kind: str) -> list[dict[str, Any]]:
    """Return every row the export reads for one kind, folder by folder."""
    rows: list[dict[str, Any]] = []
    for unit in series.folders(repo, kind).units:
        table = series.unit_table(repo, kind, unit)
        if table is not None:
            rows.extend(table.to_pylist())
    return rows


# -- crafted files --------------------------------------------------------------------------

HEADER = '"epoch"\t"key"\t"status"\t"stats/p50_latency"\t"stats/p90_latency"\t"history"'
A, B = '"2026-07-19T10:00:00Z"', '"2026-07-19T11:00:00Z"'
# Every odd thing the format allows: keys with escapes, a
# format 2 line with no epoch, a gap (-), trailing cells left out, a cell past the header, a
# decimal string and `true` where a double is charted, NaN spelled out, an array patch.
ODD_LINES = [
    f'{A}\t"plain"\t0\t812\t"1.5e3"\t[1,2,3]',
    '\t"with \\"quotes\\" and \\\\"\t1\t"NaN"\ttrue',
    '\t"caf\\u00e9 \\/ escaped"\t2\t12345678901234567890123\t-0.5\t[]\textra past the header',
    f'{B}\t"plain"\t\t813\t\t{{"@":[[0,2],[9]]}}',
    '\t"with \\"quotes\\" and \\\\"\t-\t-\t-\t-',
    '\t"caf\\u00e9 \\/ escaped"\t\t\t" 7 "',
]


def write_folder(repo: Path, files: dict[str, list[str]], header: str = HEADER) -> Path:
    """Write telemetry files of endpoints for 2026-07-19 (name -> lines); return the folder."""
    folder = repo / "data" / "telemetry" / "endpoint" / "2026" / "07-19"
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (folder / name).write_text(header + "\n" + "\n".join(lines) + "\n")
    return folder


def test_odd_but_valid_files_read_as_the_archive_reader_reads_them(tmp_path: Path) -> None:
    # A second file whose header orders the columns differently and adds one mid-file.
    other = '"epoch"\t"key"\t"stats/p90_latency"\t"status"\t"stats/p50_latency"'
    write_folder(tmp_path, {"0.tsv": ODD_LINES})
    (tmp_path / "data/telemetry/endpoint/2026/07-19/1.tsv").write_text(
        f'{other}\t"new/field"\n{A}\t"second"\t5\t0\n{B}\t"second"\t6\t\t\t[{{"deep": 1}}]\n'
    )
    rows = export_rows(tmp_path, "endpoint")
    assert assert_rows_replay_to_reader(tmp_path, "endpoint", rows) == len(rows) == 8
    by_key = {(row["key"], format_epoch(row["epoch"])): row for row in rows}
    assert by_key["plain", B[1:-1]]["p50_latency"] == 813.0
    assert by_key["plain", B[1:-1]]["p90_latency"] == 1500.0  # Carried from "1.5e3".
    assert by_key["café / escaped", A[1:-1]]["p50_latency"] == 1.2345678901234568e22
    assert {p["column"]: orjson.loads(p["value"]) for p in by_key["plain", B[1:-1]]["changed"]} == {
        "history": [1, 2, 9],
        "stats/p50_latency": 813,
    }


def test_a_header_naming_a_column_twice_reads_as_the_archive_reader_reads_it(
    tmp_path: Path,
) -> None:
    # The later non-empty cell of a name wins, as the reader applies a line's cells in order;
    # the map names it once (a Parquet map with a name twice is refused by engines).
    twice = '"epoch"\t"key"\t"stats/p50_latency"\t"status"\t"stats/p50_latency"'
    write_folder(
        tmp_path,
        {"0.tsv": [f'{A}\t"k"\t1\t0\t2', f'{B}\t"k"\t3\t\t', '\t"j"\t-\t0\t4']},
        header=twice,
    )
    rows = export_rows(tmp_path, "endpoint")
    assert assert_rows_replay_to_reader(tmp_path, "endpoint", rows) == len(rows) == 3
    assert [sorted((p["column"], p["value"]) for p in row["changed"]) for row in rows] == [
        [("stats/p50_latency", "4"), ("status", "0")],
        [("stats/p50_latency", "2"), ("status", "0")],
        [("stats/p50_latency", "3")],
    ]
    assert [row["p50_latency"] for row in rows] == [4.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("damage", "line"),
    [
        ("a cell that is not JSON", f'{A}\t"k"\t0\t{{"a":'),
        ("two values in one cell", f'{A}\t"k"\t0\t1,2'),
        ("a key that is not JSON", f"{A}\t{{not json\t0"),
        ("no key at all", f"{A}"),
        ("no epoch on the first line", '\t"k"\t0'),
        ("an epoch that is not a time", '"yesterday"\t"k"\t0'),
        ("a patch of an element that is not there", f'{A}\t"k"\t0\t1\t2\t{{"@":[[3,{{"a":1}}]]}}'),
    ],
)
def test_a_damaged_file_is_named_and_its_folder_left_out(
    tmp_path: Path, damage: str, line: str
) -> None:
    folder = write_folder(tmp_path, {"0.tsv": ODD_LINES, "1.tsv": [line]})
    unit = series.folders(tmp_path, "endpoint").units[0]
    with pytest.raises(StoreError) as raised:
        series.unit_table(tmp_path, "endpoint", unit)
    assert str(folder / "1.tsv") in str(raised.value), damage
    assert "\n" not in str(raised.value)


# -- the stitched uptime --------------------------------------------------------------------

HOUR_COLUMNS = "\t".join(f'"{hour:02d}"' for hour in range(24))
UPTIME_HEADER = f'"epoch"\t"key"\t{HOUR_COLUMNS}'
MIDNIGHT = '"2026-07-19T00:00:00Z"'


def write_uptime(repo: Path, lines: list[str], header: str = UPTIME_HEADER) -> Path:
    """Write one endpoint_uptime file for 2026-07-19; return it."""
    folder = repo / "data" / "telemetry" / "endpoint_uptime" / "2026" / "07-19"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0.tsv").write_text(header + "\n" + "\n".join(lines) + "\n")
    return folder / "0.tsv"


def test_uptime_points_are_those_the_archive_reader_stitches(tmp_path: Path) -> None:
    write_uptime(
        tmp_path,
        [
            f'{MIDNIGHT}\t"a"\t100\t\tnull\t99.94535519125684',  # An hour no window held.
            f'{MIDNIGHT}\t"b\\u00e9"' + "\t" * 23 + '\t"97.5"',  # Only 23:00, as a string.
        ],
    )
    unit = series.folders(tmp_path, "endpoint_uptime").units[0]
    table = series.unit_table(tmp_path, "endpoint_uptime", unit)
    got = sorted((r["key"], format_epoch(r["hour"]), r["uptime"]) for r in table.to_pylist())
    expected = sorted(
        (key, hour, number(value))
        for key, points in uptime_between(tmp_path, "", "~").items()
        for hour, value in points
    )
    assert got == expected
    assert ("a", "2026-07-19T02:00:00Z", None) in got and len(got) == 4


@pytest.mark.parametrize(
    ("damage", "lines", "header"),
    [
        ("columns that are not the hours", [f'{MIDNIGHT}\t"a"\t100'], '"epoch"\t"key"\t"x"'),
        ("two lines of one endpoint", [f'{MIDNIGHT}\t"a"\t100', f'{MIDNIGHT}\t"a"\t99'], None),
        ("more cells than hours", [f'{MIDNIGHT}\t"a"' + "\t100" * 25], None),
        ("a cell that is not JSON", [f'{MIDNIGHT}\t"a"\t1oo'], None),
    ],
)
def test_a_damaged_uptime_file_is_named(
    tmp_path: Path, damage: str, lines: list[str], header: str | None
) -> None:
    path = write_uptime(tmp_path, lines, header or UPTIME_HEADER)
    unit = series.folders(tmp_path, "endpoint_uptime").units[0]
    with pytest.raises(StoreError) as raised:
        series.unit_table(tmp_path, "endpoint_uptime", unit)
    assert str(path) in str(raised.value), damage


def test_a_kind_folder_with_no_days_exports_nothing(tmp_path: Path) -> None:
    (tmp_path / "data" / "telemetry" / "endpoint" / "2026").mkdir(parents=True)
    assert series.telemetry_kinds(tmp_path) == ["endpoint"]
    assert series.folders(tmp_path, "endpoint").units == []
