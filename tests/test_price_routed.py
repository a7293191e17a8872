"""A routed price (OpenRouter lists -1: whatever the model routed to charges) reads as such.

`archiver price` multiplied the -1 like any price and showed "-$1,000,000.00 per M tokens",
where `archiver cost`, the site and its calculator say the endpoint is priced by the model it
routes to. The archived -1 is still shown, exactly as sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from archiver.cli import main
from tests.small_captures import small_daily, sync_small, with_first_endpoints_edited

SAYS = "priced by the model it routes to (OpenRouter lists -1)"


def _routed(endpoint: dict[str, Any]) -> dict[str, Any]:
    return {**endpoint, "pricing": {**endpoint["pricing"], "prompt": "-1", "completion": "-1"}}


@pytest.fixture(scope="module")
def routed_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    capture, (endpoint,) = with_first_endpoints_edited(small_daily()[0], [_routed])
    repo = tmp_path_factory.mktemp("routed") / "archive"
    assert sync_small(repo, capture).commit_id
    return repo, endpoint


def _price(repo: Path, endpoint: str, *extra: str) -> str:
    result = CliRunner().invoke(main, ["price", "--repo", str(repo), "endpoint", endpoint, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_routed_price_is_told_not_multiplied(routed_archive: tuple[Path, str]) -> None:
    repo, endpoint = routed_archive
    lines = [line for line in _price(repo, endpoint).splitlines() if "(prompt)" in line]
    assert len(lines) == 1 and "-1 per token" in lines[0] and lines[0].endswith(SAYS), lines
    assert "1,000,000" not in _price(repo, endpoint)


def test_json_keeps_the_archived_price_and_says_routed(routed_archive: tuple[Path, str]) -> None:
    repo, endpoint = routed_archive
    skus = {s["field"]: s for s in orjson.loads(_price(repo, endpoint, "--json"))["skus"]}
    assert skus["prompt"]["price"] == "-1" and skus["prompt"]["shown"] == SAYS
    assert skus["completion"]["shown"] == SAYS
