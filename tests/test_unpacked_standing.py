"""Packed leaves found equal to a file's standing leaves without building them (`unpacked`).

A sync compares every endpoint's packed figures with the leaves its day file holds; for the
keys whose figures stand, `unpacked(packed, standing)` returns the file's own dict instead of
building an equal one. It must say "the same" exactly when the built dict equals it: never
for leaves that differ by a value, a column more or less, or a comma inside a leaf.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from archiver.capture.files import Capture
from archiver.telemetry.leaves import PackedLeaves, packer, unpacked
from archiver.upstream.fields import split_endpoint
from tests.test_telemetry_codec import DETERMINISTIC, same_shape_clean, schema_figures


def _real_packed(capture: Capture) -> list[PackedLeaves]:
    pack = packer("endpoint")
    packed = [
        pack(split_endpoint(endpoint)[1])
        for response in capture.responses
        if response.url.split("?")[0].endswith("/stats/endpoint") and response.status == 200
        for endpoint in response.body["data"]
    ]
    return [one for one in packed if one is not None]


def _variants(leaves: dict[str, str]) -> list[dict[str, str]]:
    """Return leaves equal to these in another order, and leaves that differ a little."""
    columns = list(leaves)
    first = columns[0]
    out = [dict(reversed(leaves.items())), dict(leaves), {}]
    out.append({**leaves, first: leaves[first] + "0"})
    out.append({**leaves, "extra/column": "1"})
    out.append({k: v for k, v in leaves.items() if k != columns[-1]})
    if len(columns) > 1:
        # The same text once joined, split elsewhere: a comma moved into a leaf.
        joined = {**leaves, columns[0]: f"{leaves[columns[0]]},{leaves[columns[1]]}"}
        del joined[columns[1]]
        joined["other/column"] = leaves[columns[1]]
        out.append(joined)
        out.append({**leaves, columns[1]: f"{leaves[columns[1]]},"})
    return out


def _check(packed: PackedLeaves) -> None:
    built = unpacked(packed)
    for standing in _variants(built):
        got = unpacked(packed, standing)
        assert got == built
        assert list(got.items()) == list(built.items()) or got is standing
        assert (got is standing) == (standing == built)


def test_real_figures_are_found_equal_only_to_equal_leaves(daily_capture: Capture) -> None:
    packed = _real_packed(daily_capture)
    assert len(packed) > 50
    for one in packed:
        _check(one)


@DETERMINISTIC
@given(kind_and_figures=schema_figures, order=st.randoms(use_true_random=False))
def test_drawn_figures_are_found_equal_only_to_equal_leaves(
    kind_and_figures: tuple[str, dict[str, Any]], order: Any
) -> None:
    kind, sent = kind_and_figures
    pack = packer(kind)
    pack(same_shape_clean(sent))
    packed = pack(sent)
    if packed is None or not packed[0]:
        return
    _check(packed)
    built = unpacked(packed)
    shuffled = list(built.items())
    order.shuffle(shuffled)
    assert unpacked(packed, dict(shuffled)) == built
