"""A reader process's answers, its Arrow buffers sent apart from the pickle: the rows come
back equal, other answers as they were, and an answer cut short is an end, not rows."""

from __future__ import annotations

import io
import pickle

import pyarrow as pa
import pytest

from archiver.export.folder_reader import Unreadable, _answer_with, _receive


def sent(answer: object) -> bytes:
    """Return the bytes a reader process writes for an answer."""
    stream = io.BytesIO()
    _answer_with(stream, answer)
    return stream.getvalue()


def test_rows_and_other_answers_come_back_as_they_were() -> None:
    rows = pa.table(
        {
            "key": ["a", "b", None],
            "changed": pa.array(
                [[("x", "1")], [], None],
                pa.list_(pa.struct([("c", pa.string()), ("v", pa.string())])),
            ),
            "p50": [1.5, None, 3.0],
        }
    )
    data = b"".join(sent(answer) for answer in (rows, rows.slice(1), None, Unreadable("bad")))
    stream = io.BufferedReader(io.BytesIO(data))
    assert _receive(stream).equals(rows)
    assert _receive(stream).equals(rows.slice(1))
    assert _receive(stream) is None
    assert _receive(stream) == Unreadable("bad")


def test_an_answer_cut_short_is_an_end() -> None:
    data = sent(pa.table({"key": ["a" * 1000] * 100}))
    with pytest.raises((EOFError, pickle.UnpicklingError)):
        _receive(io.BufferedReader(io.BytesIO(data[:-10])))
