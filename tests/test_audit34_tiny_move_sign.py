"""A price move too small to show at one decimal keeps its direction: a tiny rise read
"0.0%" where a tiny cut read "-0.0%" (in `archiver changes`, the feeds and the notices)."""

from __future__ import annotations

from archiver.history.price_moves import price_moves


def _text(old: str, new: str) -> str:
    before = {"pricing": {"prompt": old, "completion": "0.000002"}}
    after = {"pricing": {"prompt": new, "completion": "0.000002"}}
    (move,) = price_moves(("pricing",), before, after)
    return move.text


def test_tiny_rise_and_cut_say_their_direction() -> None:
    rise, cut = _text("0.000001", "0.0000010004"), _text("0.000001", "0.0000009996")
    assert rise.endswith(", +0.0%"), rise
    assert cut.endswith(", -0.0%"), cut
    assert _text("0.000001", "0.0000010005").endswith(", +0.1%")
