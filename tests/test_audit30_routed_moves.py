"""A price that becomes routed (-1), or stops being, reads so in change summaries.

OpenRouter lists -1 for a price set by the model a request is routed to (openrouter/auto in
the real v1 captures). A model whose $0.15 price became -1 read "input $0.15 -> -$1,000,000.00
per M tokens, -666666766.7%", a price cut; one going from -1 to $0.15 read "-100.0%", a cut
too, where it started to be priced. `archiver price`, `archiver cost` and the site say -1 is
no price; the summaries (`archiver changes`, feeds, the site's cards) now say it too.
"""

from __future__ import annotations

from decimal import Decimal

from archiver.history.price_moves import price_moves

ROOT = ("v1", "pricing")


def _move_of(before: str, after: str) -> tuple[str, Decimal | None, bool | None]:
    (move,) = price_moves(
        ROOT, {"v1": {"pricing": {"prompt": before}}}, {"v1": {"pricing": {"prompt": after}}}
    )
    return move.text, move.percent, move.cheaper


def test_a_price_that_becomes_routed_is_no_cut() -> None:
    assert _move_of("0.00000015", "-1") == ("input $0.15 per M tokens -> routed (-1)", None, None)


def test_a_routed_price_that_becomes_a_price_is_no_cut() -> None:
    assert _move_of("-1", "0.00000015") == ("input routed (-1) -> $0.15 per M tokens", None, None)


def test_prices_still_move_as_before() -> None:
    assert _move_of("0.0000001", "0.0000002") == (
        "input $0.10 -> $0.20 per M tokens, +100.0%",
        Decimal(100),
        False,
    )
    assert _move_of("0", "0.0000002") == ("input $0.00 -> $0.20 per M tokens", None, False)
