"""An endpoint sold per token with an extra priced per unit has a cost, as `price` shows.

Mistral's Voxtral Small is sold per token ($0.10 in, $0.30 out per M tokens, as `archiver
price`, the grid and OpenRouter's own display say) with input audio priced per minute
beside them. `archiver cost` and the site's calculator read any display entry sold per unit
as the unit of the whole endpoint, unless it was a web search or request fee: they listed
it "priced per minute (Input Audio), not per token", without a cost. A real small capture
whose one endpoint carries Voxtral's real pricing (from the 2026-07-19 sweep), a real sync.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import read_capture
from archiver.cli import main
from tests.small_captures import SMALL_DAILY, sync_small, with_endpoint_edited, with_models_only

MODEL, ENDPOINT = "z-ai/glm-5.2", "8a4a8285-addf-4bb6-87fc-707f6f9eb3c5"
DISPLAY = [
    {
        "kind": "token",
        "sku_label": "Input Price",
        "price": "1e-7",
        "displayMultiplier": 1000000,
        "unitLabel": "/M tokens",
    },
    {
        "kind": "token",
        "sku_label": "Output Price",
        "price": "3e-7",
        "displayMultiplier": 1000000,
        "unitLabel": "/M tokens",
    },
    {
        "kind": "token",
        "sku_label": "Cache Read",
        "price": "1e-8",
        "displayMultiplier": 1000000,
        "unitLabel": "/M tokens",
    },
    {
        "kind": "unit",
        "sku_label": "Input Audio",
        "price": "0.0001",
        "displayMultiplier": 60,
        "unitLabel": "/minute",
    },
]
PRICING = {
    "prompt": "0.0000001",
    "completion": "0.0000003",
    "audio": "0.0001",
    "input_cache_read": "0.00000001",
    "discount": 0,
    "display_pricing": DISPLAY,
}


def _voxtral(endpoint: dict[str, Any]) -> None:
    """Give an endpoint Voxtral Small's real pricing."""
    endpoint["pricing"] = PRICING
    endpoint["display_pricing"] = DISPLAY


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an archive of one model whose endpoint is priced as Voxtral Small."""
    repo = tmp_path_factory.mktemp("extra-unit") / "archive"
    capture = with_models_only(read_capture(SMALL_DAILY[-1]), {MODEL})
    assert not sync_small(repo, with_endpoint_edited(capture, ENDPOINT, _voxtral)).failures
    return repo


def test_cost_bills_the_tokens_of_an_endpoint_with_an_extra_per_minute(archive: Path) -> None:
    command = ["cost", "--repo", str(archive), MODEL, "--input", "10000", "--output", "1000"]
    result = CliRunner().invoke(main, [*command, "--provider", "parasail", "--json"])
    assert result.exit_code == 0, result.output
    (found,) = [c for c in orjson.loads(result.stdout)["costs"] if c["endpoint"] == ENDPOINT]
    # 10,000 x 0.0000001 + 1,000 x 0.0000003, as `price` reads those two prices.
    assert (found["cost"], found["reason"]) == ("0.0013", None)


def test_price_reads_the_tokens_and_the_audio_in_their_units(archive: Path) -> None:
    result = CliRunner().invoke(main, ["price", "--repo", str(archive), "endpoint", ENDPOINT])
    assert result.exit_code == 0, result.output
    assert "$0.10 per M tokens" in result.output
    assert "$0.006 per minute" in result.output
