"""An endpoint OpenRouter prices at -1 (a router: priced by the model a request is routed
to) reads the same on the site as in `archiver price`: the grid and its page read an en
dash, "no price", where `price` says "priced by the model it routes to"; api/endpoints.json
keeps its documented shape (null), and its page says what null means there. Real small sync
of one model whose endpoint is edited to OpenRouter's real `{"prompt": "-1", "completion":
"-1"}` (openrouter/auto's), a real build of the site.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import read_capture
from archiver.cli import main
from archiver.history.price_sheet import ROUTED
from archiver.site.build import build_site
from archiver.site.urls import endpoint_page
from tests.small_captures import SMALL_DAILY, sync_small, with_endpoint_edited, with_models_only

MODEL, ENDPOINT = "z-ai/glm-5.2", "8a4a8285-addf-4bb6-87fc-707f6f9eb3c5"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder holding an archive with one routed endpoint and its site."""
    root = tmp_path_factory.mktemp("routed-readers")

    def routed(endpoint: dict[str, Any]) -> None:
        endpoint["pricing"] = {"prompt": "-1", "completion": "-1"}

    capture = with_models_only(read_capture(SMALL_DAILY[-1]), {MODEL})
    assert sync_small(root / "archive", with_endpoint_edited(capture, ENDPOINT, routed)).commit_id
    build_site(root / "archive", root / "site")
    return root


def test_site_says_what_price_says_of_a_routed_endpoint(built: Path) -> None:
    asked = ["price", "--repo", str(built / "archive"), "endpoint", ENDPOINT]
    price = CliRunner().invoke(main, asked)
    assert "priced by the model it routes to" in price.output
    page = html.unescape((built / "site" / endpoint_page(ENDPOINT)).read_text())
    assert ROUTED in page
    # The grid's cells: its page, or the data it loads.
    grid = html.unescape((built / "site" / "index.html").read_text())
    grid += orjson.dumps(orjson.loads((built / "site" / "grid.json").read_bytes())).decode()
    assert ROUTED in grid
    api = orjson.loads((built / "site" / "api" / "endpoints.json").read_bytes())
    (row,) = [e for e in api["endpoints"] if e["id"] == ENDPOINT]
    assert row["input_per_mtok"] is None and row["data"]["pricing"]["prompt"] == "-1"
    assert "routed to" in (built / "site" / "api.html").read_text()
