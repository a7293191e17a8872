"""The model page's calculator bills the token counts as typed, exact at any size.

The number fields keep the text a reader types. The calculator read it with parseInt: a
count past 2**53 became the nearest double (12345678901234567890 billed as
12,345,678,901,234,567,168 tokens), 1e5 (a number the field accepts) billed 1 token, 1.5
billed 1; and a refused count left the previous costs under the refusal. Each figure here
is `archiver cost`'s for the same counts, in a real browser on the session's site.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from click.testing import CliRunner

from archiver.cli import main
from tests.browser import needs_chromium
from tests.site_helpers import SiteArchive

# A model with many endpoints at differing prices (tests/test_pricing.py's MOVING).
MODEL = "z-ai/glm-5.2"
STATUS = "[data-calc-status]"
REFUSED = "Give whole numbers of input and output tokens."


def _model_page(site_url: str) -> str:
    """Return the URL of MODEL's page, as the pricing index names its file."""
    with urllib.request.urlopen(site_url + "api/pricing/index.json") as response:
        index = json.loads(response.read())
    path = str(next(item["file"] for item in index["models"] if item["key"] == MODEL))
    return site_url + "model/" + path.removeprefix("api/pricing/").removesuffix(".json") + ".html"


def _cli_costs(repo: str, inputs: int, outputs: int) -> list[tuple[str, str]]:
    """Return `archiver cost --json`'s rows as (endpoint id, cost text)."""
    result = CliRunner().invoke(
        main,
        ["cost", "--repo", repo, MODEL, "--input", str(inputs), "--output", str(outputs), "--json"],
    )
    assert result.exit_code == 0, result.output
    return [
        (row["endpoint"], row["cost_text"] or "\u2013")
        for row in json.loads(result.output)["costs"]
    ]


def _typed(page: Any, inputs: str, outputs: str) -> tuple[str, list[tuple[str, str]]]:
    """Type counts into the calculator; return its status and rows (endpoint id, cost)."""
    page.fill("[data-calc-inputs] input[name=input]", inputs)
    page.fill("[data-calc-inputs] input[name=output]", outputs)
    status = page.locator(STATUS).inner_text()
    rows = page.evaluate(
        """() => [...document.querySelectorAll('[data-calc-table] tbody tr')].map(row => [
            row.getAttribute('data-endpoint'), row.querySelector('[data-cost]').textContent])"""
    )
    return status, [tuple(row) for row in rows]


@needs_chromium
@pytest.mark.parametrize(
    ("inputs", "outputs", "count_in", "count_out"),
    [
        ("12345678901234567890", "1000", 12345678901234567890, 1000),  # past 2**53
        ("1e5", "4321", 100_000, 4321),  # the field takes exponents
        ("2.5e5", "1.0", 250_000, 1),
        ("0e99999999", "7", 0, 7),  # zero, whatever the exponent
    ],
)
def test_the_calculator_bills_the_typed_counts_exactly(
    site_archive: SiteArchive,
    site_url: str,
    page: Any,
    inputs: str,
    outputs: str,
    count_in: int,
    count_out: int,
) -> None:
    page.goto(_model_page(site_url))
    page.wait_for_selector("[data-calculator][data-calc-ready]")
    status, shown = _typed(page, inputs, outputs)
    assert status.startswith(f"{count_in:,} input + {count_out:,} output tokens"), status
    assert shown == _cli_costs(str(site_archive.repo), count_in, count_out)


@needs_chromium
@pytest.mark.parametrize("inputs", ["1.5", "5e-1", "-3"])
def test_a_count_that_is_no_whole_number_is_refused_and_shows_no_costs(
    site_url: str, page: Any, inputs: str
) -> None:
    page.goto(_model_page(site_url))
    page.wait_for_selector("[data-calculator][data-calc-ready]")
    _, before = _typed(page, "1000", "10")
    assert before, "the example request is priced"
    status, shown = _typed(page, inputs, "10")
    assert (status, shown) == (REFUSED, [])
