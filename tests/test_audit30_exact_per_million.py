"""A price per million tokens is exact on the site and in change summaries, as in `archiver price`.

`archiver price` and `archiver cost` were made exact past Python's default 28 digits
(tests/test_audit28_exact_cost.py), but the site's price cells (`formats.per_million`, the
model and endpoint pages, the catalog tables), the calculator's table without JavaScript and
the price moves of change summaries (`archiver changes`, feeds, cards) still multiplied in
the default context: a price of 35 digits read $0.1234567890123456789012345679, rounded,
beside the command line's and the JavaScript calculator's $0.12345678901234567890123456789.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from archiver.history.price_moves import price_moves
from archiver.site.formats import money, per_million
from archiver.site.pricing_api import _per_million

PRICE = "0.00000012345678901234567890123456789"
SHOWN = "$0.12345678901234567890123456789"


def test_the_reference_is_exact() -> None:
    with localcontext(prec=100):
        assert f"${(Decimal(PRICE) * 1_000_000).normalize()}" == SHOWN


def test_site_price_cells_are_exact() -> None:
    assert money(per_million(PRICE)) == SHOWN


def test_calculator_table_without_javascript_is_exact() -> None:
    assert _per_million(Decimal(PRICE)) == SHOWN


def test_a_price_move_reads_the_exact_price() -> None:
    before = {"pricing": {"prompt": "0.000001"}}
    after = {"pricing": {"prompt": PRICE}}
    (move,) = price_moves(("pricing",), before, after)
    assert move.text.startswith(f"input $1.00 -> {SHOWN} per M tokens")
    assert move.new == Decimal(SHOWN.lstrip("$"))
