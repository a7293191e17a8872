"""The export's array patches, made whole as text, against the archive reader's own.

`archiver.export.array_patches` rebuilds a patched array element by element as text (a run
copied from the day before is copied as text); `archiver.telemetry.codec.patched` parses,
patches and writes the whole array. For every chain of arrays written as the archive writes
them (each cell from `codec.changed_cell`), and for patches of things that are no array,
both must give the same text, or both refuse.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver import jsonvalue
from archiver.export.array_patches import ArrayState, patch_whole
from archiver.telemetry.codec import ABSENT, PATCH, changed_cell, dump, patched
from tests.test_telemetry_codec import DETERMINISTIC, json_values, scalar

# A day's row of `model_activity.analytics`: a few fields, numbers most of them.
row = st.dictionaries(st.sampled_from(["date", "requests", "tokens", "cost", "x"]), scalar)
element = st.one_of(row, row, json_values(scalar, max_leaves=4))


@st.composite
def array_chains(draw: st.DrawFn) -> list[list[Any]]:
    """Return arrays each made from the one before as upstream's daily arrays change: shifted
    by a row, a row's fields edited, rows inserted or dropped, sometimes replaced whole."""
    arrays = [draw(st.lists(element, min_size=0, max_size=12))]
    for _ in range(draw(st.integers(1, 6))):
        before = list(arrays[-1])
        change = draw(st.sampled_from(["shift", "edit", "insert", "drop", "whole"]))
        if change == "shift" and before:
            before = [*before[1:], draw(row)]
        elif change == "edit" and before:
            at = draw(st.integers(0, len(before) - 1))
            if isinstance(before[at], dict):
                before[at] = {**before[at], **draw(row)}
        elif change == "insert":
            before.insert(draw(st.integers(0, len(before))), draw(element))
        elif change == "drop" and before:
            del before[draw(st.integers(0, len(before) - 1))]
        else:
            before = draw(st.lists(element, min_size=0, max_size=12))
        arrays.append(before)
    return arrays


def texts_as_written(arrays: list[list[Any]]) -> list[str]:
    """Return each array's cell as the archive writes it after the one before."""
    cells, previous = [], None
    for array in arrays:
        text = dump(array)
        cells.append(changed_cell(previous, text))
        previous = text
    return cells


@DETERMINISTIC
@given(array_chains())
def test_a_chain_of_patches_makes_the_readers_texts(arrays: list[list[Any]]) -> None:
    state: ArrayState | str | None = None
    reader: str | None = None
    for array, cell in zip(arrays, texts_as_written(arrays), strict=True):
        if cell.startswith(PATCH):
            state, text = patch_whole(state, cell)
            reader = patched(reader, cell)
        else:
            state, text, reader = cell, cell, cell
        assert text == reader == dump(array)


def test_long_arrays_are_patched_and_made_whole_as_text() -> None:
    month = [
        {"date": f"2026-07-{day:02}", "requests": day * 1000, "cost": 0.1} for day in range(1, 32)
    ]
    shifted = [*month[1:], {"date": "2026-08-01", "requests": 7, "cost": jsonvalue.loads("1e-400")}]
    shifted[3] = {**shifted[3], "requests": 12345678901234567890123}
    cell = changed_cell(dump(month), dump(shifted))
    assert cell.startswith(PATCH)  # The case the module is for.
    state, text = patch_whole(dump(month), cell)
    assert text == dump(shifted) == patched(dump(month), cell)
    assert patch_whole(state, changed_cell(text, dump(month)))[1] == dump(month)


@pytest.mark.parametrize(
    ("before", "cell"),
    [
        ('"abcdef"', '{"@":[[1,3]]}'),  # A string: the reader copies its characters.
        ("7", '{"@":[[0]]}'),  # A number: one inserted element is all there is.
        (None, '{"@":[["new"]]}'),  # No array yet.
        ("", '{"@":[[0,5]]}'),  # A run past the end copies what is there: nothing.
        ("[1,2,3]", '{"@":[[-2,1],[5]]}'),
    ],
)
def test_odd_patches_read_as_the_reader_reads_them(before: str | None, cell: str) -> None:
    assert patch_whole(before, cell)[1] == patched(before, cell)


@pytest.mark.parametrize(
    ("before", "cell"),
    [
        ("7", '{"@":[[0,1]]}'),
        ('{"a":1}', '{"@":[[0,1]]}'),
        ("[1,2]", '{"@":[[5,{"a":1}]]}'),
        ("[1,2]", '{"@":[[0,{"a":1}]]}'),
        ("[1,2]", '{"@":3}'),
        ("[1,2]", '{"@":[[0,1]'),
        ("[1,2]", ABSENT),
    ],
)
def test_a_patch_that_does_not_fit_raises_as_the_reader_does(before: str, cell: str) -> None:
    with pytest.raises((ValueError, IndexError, TypeError, KeyError)) as ours:
        patch_whole(before, cell)
    with pytest.raises((ValueError, IndexError, TypeError, KeyError)) as theirs:
        patched(before, cell)
    assert type(ours.value) is type(theirs.value)
