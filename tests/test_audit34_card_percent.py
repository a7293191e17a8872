"""A price move's percent reads the same on the site's change cards as everywhere else.

`archiver changes`, the feeds and the changes page round a move's exact percent half up
(-6.25% reads -6.3%), but the price table of a change card on the endpoint, model and
provider pages formatted the float with Python's `:.1f` (half to even, on a binary value):
"▼ 6.2%" beside "-6.3%" for the same move. The real archive has three such moves in three
weeks (a cache read of $0.16 -> $0.15, -6.25%; $0.08 -> $0.117, +46.25%; $0.30 -> $0.19305,
-35.65%, a float just below the tie). Two real small syncs of one model whose endpoint's
input price makes the first of them, and real builds of the site.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archiver.capture.files import read_capture
from archiver.cli import main
from archiver.site.build import build_site
from archiver.site.urls import endpoint_page, model_page
from tests.small_captures import SMALL_DAILY, sync_small, with_endpoint_edited, with_models_only

MODEL, ENDPOINT = "z-ai/glm-5.2", "8a4a8285-addf-4bb6-87fc-707f6f9eb3c5"
# (old input price, new, the move's percent as `archiver changes` rounds it.)
MOVES = [
    ("0.00000016", "0.00000015", "6.3%"),
    ("0.00000008", "0.000000117", "46.3%"),
    ("0.0000003", "0.00000019305", "35.7%"),
]


@pytest.fixture(scope="module", params=MOVES, ids=lambda move: move[2])
def moved(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """Return the folder of an archive whose endpoint's input price moved once and of its
    site, and the move's percent rounded half up from the exact decimals."""
    root = tmp_path_factory.mktemp("card-percent")
    base = with_models_only(read_capture(SMALL_DAILY[-1]), {MODEL})
    for hour, price in enumerate(request.param[:2]):

        def priced(endpoint: dict[str, Any], price: str = price) -> None:
            endpoint["pricing"]["prompt"] = price

        capture = replace(base, time=base.time + timedelta(hours=hour))
        assert sync_small(
            root / "archive", with_endpoint_edited(capture, ENDPOINT, priced)
        ).commit_id
    build_site(root / "archive", root / "site")
    return root, request.param[2]


def test_cards_read_the_percent_changes_reads(moved: tuple[Path, str]) -> None:
    root, expected = moved
    result = CliRunner().invoke(
        main, ["changes", "--repo", str(root / "archive"), "--kind", "price"]
    )
    assert result.exit_code == 0, result.output
    (summary,) = [line for line in result.output.splitlines() if "input $" in line]
    said = re.findall(r"[-+]([0-9.]+%)$", summary)
    assert said == [expected], summary
    for page in (endpoint_page(ENDPOINT), model_page(MODEL)):
        text = (root / "site" / page).read_text()
        cards = re.findall(r"[▲▼] ([0-9.]+%)</td>", text)
        assert cards == said, page
