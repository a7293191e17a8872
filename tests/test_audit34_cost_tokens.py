"""`History.cost` given a count of tokens no request has.

The command line takes 0 or more tokens (click.IntRange(0)), but the library billed a
negative count as a negative sum of dollars, and a float or text raised TypeError from
inside the Decimal arithmetic. Counts are now whole numbers of 0 or more (an integer type
such as numpy's, through __index__, included); anything else is a one-line ArchiverError.
"""

from __future__ import annotations

from typing import Any

import pytest

import archiver
from archiver.history.pricing import PriceLookupError
from tests.small_captures import small_daily, sync_small, with_models_only

MODEL = "openai/gpt-4.1"


class Count:
    """An integer that is not an int, as numpy.int64 is (a pandas column's sum)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> archiver.History:
    path = tmp_path_factory.mktemp("tokens") / "archive"
    sync_small(path, with_models_only(small_daily()[0], {MODEL}))
    return archiver.History(path)


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens"),
    [(-10_000, 0), (0, -1), (1.5, 10), (10, "1000"), (None, 1)],
)
def test_a_count_no_request_has_is_refused(
    history: archiver.History, input_tokens: Any, output_tokens: Any
) -> None:
    with pytest.raises(PriceLookupError, match="tokens") as raised:
        history.cost(MODEL, input_tokens, output_tokens)
    assert "\n" not in str(raised.value)


def test_an_integer_type_bills_as_an_int(history: archiver.History) -> None:
    found = history.cost(MODEL, Count(10_000), Count(1_000))  # type: ignore[arg-type]
    assert found == history.cost(MODEL, 10_000, 1_000)
    assert all(type(cost.cost.input_tokens) is int for cost in found)
    totals = [cost.cost.total for cost in found]
    assert totals and all(total is not None and total > 0 for total in totals)
