"""Numbers only Python reads as numbers, and numbers past a double, in what the site and the
history commands read.

- A price spelt " 1", "1_000" or "١٢٣" (Arabic-Indic digits) was a price to Decimal, so
  `archiver changes` reported a price move that JavaScript, DuckDB and every other reader of
  the archive read as text. A price is now a decimal spelt in ASCII, as JSON spells one.
- An endpoint arriving with a context length of 10**400 (kept digit for digit) or 1e400
  stopped the whole site: the "new endpoint" card read it with float(), which raised, and the
  error named a date.

A real small archive (a quarter of the small captures' models), real syncs of edited real
captures, the command line.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

import tests.small_captures as small
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.jsonvalue import ExactNumber
from tests.small_captures import small_captures

__all__ = ["small_captures"]
MODEL_STEP = 4  # One catalog model in MODEL_STEP is kept.
HUGE = 10**400


@pytest.fixture
def quarter(small_captures: list[Capture], tmp_path: Path) -> tuple[Path, list[Capture]]:
    """Return an archive of a quarter of the first capture, and the captures cut alike."""
    keys = small.some_models(small_captures[1], MODEL_STEP)
    captures = [small.with_models_only(capture, keys) for capture in small_captures]
    repo = tmp_path / "archive"
    assert small.sync_small(repo, captures[0]).commit_id
    return repo, captures


@pytest.mark.parametrize(
    ("spelt", "a_price"),
    [(" 1", False), ("1_000", False), ("١٢٣", False), ("1", True), ("+.5E-3", True)],
)
def test_only_a_decimal_spelt_in_ascii_is_a_price(
    quarter: tuple[Path, list[Capture]], spelt: str, a_price: bool
) -> None:
    repo, captures = quarter
    edit = [lambda item: {**item, "pricing": {**item["pricing"], "prompt": spelt}}]
    edited, (endpoint,) = small.with_first_endpoints_edited(captures[1], edit)
    assert small.sync_small(repo, edited).commit_id

    result = CliRunner().invoke(main, ["changes", "--json", "--repo", str(repo)])

    assert result.exit_code == 0, result.output
    moves = [
        price
        for epoch in orjson.loads(result.stdout)
        for change in epoch["changes"]
        if change["key"] == endpoint
        for price in change["prices"]
        if price["field"] == "pricing.prompt"
    ]
    assert [move["new"] for move in moves] == ([spelt] if a_price else []), moves


def test_an_endpoint_arriving_with_numbers_past_a_double_leaves_the_site_working(
    quarter: tuple[Path, list[Capture]], tmp_path: Path
) -> None:
    repo, captures = quarter
    arriving = {
        "id": "an-endpoint-never-seen",
        "context_length": HUGE,
        "max_completion_tokens": ExactNumber("1e400"),
    }
    edit = [lambda item: {**item, **arriving, "pricing": {**item["pricing"], "discount": HUGE}}]
    edited, _ = small.with_first_endpoints_edited(captures[1], edit)
    assert small.sync_small(repo, edited).commit_id
    out = tmp_path / "site"

    result = CliRunner().invoke(main, ["site", "--repo", str(repo), "--out", str(out)])

    assert result.exit_code == 0, (result.output, result.exception)
    assert f"{HUGE:,}" in (out / "endpoint" / f"{arriving['id']}.html").read_text()
