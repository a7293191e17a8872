"""A price too far from 1 to compute with, sent once, broke history, pricing and the site.

Decimal reads "1e999999999999999999" (and "1e-999999999999999999"), but its context holds
exponents to 999999 only: the percent of the move, the price per million tokens, a cost and
the site's discount chart raised Overflow, in `archiver changes`, `price`, `cost`, `export`
and `site`, for every later run. A JSON integer of 5,000 digits ended the sync itself
(int() reads 4300 digits at most). Now such a price is archived exactly and read as no
price, shown as sent (as "0e1000000000000000000" already was).
A real small archive (a quarter of the small captures' models), one real sync of an edited
real capture, the command line. (Found by a helper's hunt over extreme and oddly spelled
prices, through every command that reads them.)
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import tests.small_captures as small
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.jsonvalue import ExactNumber
from tests.small_captures import small_captures

__all__ = ["small_captures"]
# One catalog model in MODEL_STEP is kept.
MODEL_STEP = 4
HUGE = "1e999999999999999999"
LONG = "9" * 5000


def _with_far_prices(capture: Capture) -> tuple[Capture, str, str]:
    """Return a capture whose first endpoint costs 1e999999999999999999 a token, with a
    discount of that JSON number, and whose second sends a 5,000-digit JSON integer as its
    completion price, with those endpoints' ids."""
    edits = [
        lambda item: {
            **item,
            "pricing": {**item["pricing"], "prompt": HUGE, "discount": ExactNumber(HUGE)},
        },
        lambda item: {**item, "pricing": {**item["pricing"], "completion": ExactNumber(LONG)}},
    ]
    edited, (huge, long) = small.with_first_endpoints_edited(capture, edits)
    return edited, huge, long


def _model_of(capture: Capture, endpoint: str) -> str:
    """Return the model slug of an endpoint in a capture's listings."""
    return next(
        str(item["model_variant_slug"])
        for response in capture.responses
        if response.url.startswith(small.ENDPOINT_LISTING) and response.body.get("data")
        for item in response.body["data"]
        if item["id"] == endpoint
    )


def test_far_prices_leave_sync_changes_pricing_and_the_site_working(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    keys = small.some_models(small_captures[1], MODEL_STEP)
    repo = tmp_path / "archive"
    assert small.sync_small(repo, small.with_models_only(small_captures[0], keys)).commit_id
    edited, huge, long = _with_far_prices(small.with_models_only(small_captures[1], keys))
    log = small.sync_small(repo, edited)
    assert log.commit_id and not log.failures, log.failures
    at = ["--at", edited.time.isoformat()]

    runs = {
        "changes": ["changes", "--json"],
        "price": ["price", "endpoint", huge, *at],
        "cost": ["cost", _model_of(edited, huge), *at, "--input", "1000", "--output", "10"],
        "long": ["changes"],
        "site": ["site", "--out", str(tmp_path / "site")],
    }
    results = {
        name: CliRunner().invoke(main, [*args, "--repo", str(repo)]) for name, args in runs.items()
    }

    for name, result in results.items():
        assert result.exit_code == 0, (name, result.output, result.exception)
    assert f'"new": "{HUGE}"' not in results["changes"].stdout  # Not read as a price move.
    assert f'price is "{HUGE}", not a price' in results["long"].stdout
    assert f"output price is {LONG[:30]}" in results["long"].stdout
    assert HUGE in results["price"].stdout  # Shown as archived.
    assert (tmp_path / "site" / "endpoint" / f"{huge}.html").is_file()
    assert (tmp_path / "site" / "endpoint" / f"{long}.html").is_file()
