"""The export's JSON check of a folder's cells: long cells parsed one by one give the answer
the whole check gives (as before: all cells joined and parsed in one call).

Valid cells pass both ways; a damaged folder (a cell cut in two, cut short, two values in
one, a bracket more) fails both ways with the same error, long cells among them or not.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.export.tsv_columns import _JSON_NUMBER, _PARSED_ALONE, _check_joined, check_json
from archiver.telemetry.codec import dump
from tests.test_telemetry_codec import DETERMINISTIC, json_values, scalar

value = json_values(scalar, max_leaves=8)
# A cell past the length parsed alone: a month of daily rows, as a variant's arrays are.
long_value = st.lists(st.dictionaries(st.sampled_from("abcd"), value), min_size=1).map(
    lambda rows: rows * (_PARSED_ALONE // max(len(dump(rows)), 1) + 1)
)


@st.composite
def cells(draw: st.DrawFn) -> list[str]:
    """Return a folder's value cells, some long, sometimes damaged as a file can be."""
    found = [dump(draw(st.one_of(value, long_value))) for _ in range(draw(st.integers(1, 6)))]
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(found) - 1))
        cell = found[at]
        damage = draw(st.sampled_from(["split", "cut", "join", "bracket", "space"]))
        cut = draw(st.integers(0, len(cell)))
        if damage == "split":
            found[at : at + 1] = [cell[:cut], cell[cut:]]
        elif damage == "cut":
            found[at] = cell[:cut]
        elif damage == "join":
            found[at] = cell + "," + found[(at + 1) % len(found)]
        elif damage == "bracket":
            found[at] = cell[:cut] + draw(st.sampled_from("[]{}")) + cell[cut:]
        else:
            found[at] = " " + cell + " "
    return [cell for cell in found if cell]  # The export never checks an empty cell.


def whole_check(cells: pa.Array) -> None:
    """Check the cells as the export did before long cells were parsed alone."""
    _check_joined(cells.filter(pc.invert(pc.match_substring_regex(cells, _JSON_NUMBER))))


def outcome(check: Any, found: list[str]) -> str | None:
    """Return the error a check raises on the cells (None: they pass)."""
    try:
        check(pa.array(found, pa.string()))
    except ValueError as error:
        return f"{type(error).__name__}: {error}"
    return None


@DETERMINISTIC
@given(cells())
def test_long_cells_checked_alone_answer_as_the_whole_check(found: list[str]) -> None:
    assert outcome(check_json, found) == outcome(whole_check, found)


@pytest.mark.parametrize(
    "damaged",
    [
        ['[{"a":1},', '{"a":2}]'],  # A long array cut in two cells.
        ['[{"a":1},{"a":"]"}', "1"],  # A bracket inside a string closes nothing.
        ['[{"a":1}],[{"a":2}]'],  # Two values in one cell.
        ['[{"a":1}]]'],
    ],
)
def test_a_damaged_long_cell_fails_as_the_whole_check_fails(damaged: list[str]) -> None:
    long = [cell.replace('{"a":1}', ",".join(['{"a":1}'] * 60)) for cell in damaged]
    assert len(max(long, key=len)) > _PARSED_ALONE
    assert outcome(check_json, long) == outcome(whole_check, long) is not None


def test_valid_long_cells_pass() -> None:
    rows = [{"date": f"2026-07-{day:02}", "requests": day * 1000, "x": "]"} for day in range(1, 30)]
    found = [dump(rows), "12.5", '"text"', dump(rows[:3]), "null"]
    assert outcome(check_json, found) is None
