"""Bodies only a repair reads: values nested past what JSON readers go, written back whole.

The sync-level cases (one hostile model costs only itself) are in tests/test_fuzz_sync.py and
tests/test_import.py; these pin the repair itself on drawn JSON.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.jsonrepair import (
    CUT_LEVEL,
    deep_json_bytes,
    parse_body,
    without_deep_values,
)

# Strings full of what a bracket scanner could take for structure.
TEXTS = st.text(alphabet=st.sampled_from('[]{}"\\,:a\n\u00e9'), max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXTS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXTS, inner, max_size=4),
    max_leaves=12,
)


def nested(levels: int, inside: Any) -> Any:
    """Return `inside` wrapped in `levels` lists."""
    for _ in range(levels):
        inside = [inside]
    return inside


def cut(levels: int, above: int) -> Any:
    """Return what `levels` nested empty lists read as when their outermost opens `above`
    levels below the body's top: the lists above the cut, `null` in place of the rest."""
    kept = CUT_LEVEL - 1 - above
    return nested(kept - 1, [None]) if levels > kept else nested(levels - 1, [])


@settings(max_examples=80, deadline=None, derandomize=True)
@given(VALUES, st.sampled_from([0, 1, 200, 300, 5_000]))
def test_deep_json_bytes_writes_what_orjson_writes_at_any_depth(value: Any, levels: int) -> None:
    text = deep_json_bytes(nested(levels, value))
    assert text == b"[" * levels + orjson.dumps(value) + b"]" * levels


@settings(max_examples=80, deadline=None, derandomize=True)
@given(VALUES, VALUES, st.sampled_from([1_025, 3_000]))
def test_a_value_past_every_reader_is_cut_and_nothing_else_changes(
    before: Any, after: Any, levels: int
) -> None:
    body = {"data": [before, {"id": "x", "deep": nested(levels - 1, [])}, after]}
    text = deep_json_bytes(body)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(text)
    value, note = parse_body(text, "URL")
    # The deep value opens 4 levels down: the body, `data`, its item, the field.
    assert value == {"data": [before, {"id": "x", "deep": cut(levels, 3)}, after]}
    assert note is not None and note.startswith("1 value(s) in URL nested deeper than")


def test_brackets_and_escaped_quotes_inside_strings_are_text() -> None:
    deep = b"[" * 2_000 + b"]" * 2_000
    text = b'{"a":"[[\\"{","b":' + deep + b',"c":["]]}\\\\"],"d":' + deep + b"}"
    repaired, count = without_deep_values(text)
    assert count == 2
    value = json.loads(repaired)
    assert value["a"] == '[[\\"{'.replace("\\", "") and value["c"] == ["]]}\\"]
    assert value["b"] == value["d"] == cut(2_000, 1)


def test_a_body_that_is_no_json_around_its_deep_value_is_refused_with_the_readers_error() -> None:
    for text in (b'{"a":' + b"[" * 2_000, b'{"a":"' + b"[" * 2_000 + b"]" * 2_000 + b"}"):
        with pytest.raises(orjson.JSONDecodeError) as refused:
            parse_body(text, "URL")
        with pytest.raises(orjson.JSONDecodeError) as plain:
            orjson.loads(text)
        assert str(refused.value) == str(plain.value)


def test_a_lone_surrogate_and_a_deep_value_in_one_body_are_both_repaired() -> None:
    text = b'{"a":"cut \\ud83d","b":' + b"[" * 2_000 + b"]" * 2_000 + b"}"
    value, note = parse_body(text, "URL")
    assert value == {"a": "cut \ufffd", "b": cut(2_000, 1)}
    assert note is not None and "lone surrogate" in note and "nested deeper" in note
