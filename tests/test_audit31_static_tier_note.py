"""The model page's table without JavaScript says why a tier it reaches has no cost.

The example request (10,000 input tokens) reaching a long-context tier wrote "long-context
price from N prompt tokens" over the reason that tier cannot be priced: the row of an
endpoint whose tier routes (-1) showed no cost and no reason. `archiver cost --json` gives
both, the tier and the reason. A real capture, its first endpoint edited, cut to that
endpoint's model, a real build.
"""

from __future__ import annotations

import copy
import json
import re
from html import unescape
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from archiver.cli import main
from archiver.site import build_site
from archiver.site.pricing_api import EXAMPLE_INPUT, EXAMPLE_OUTPUT
from archiver.site.urls import model_page
from tests.small_captures import (
    ENDPOINT_LISTING,
    small_daily,
    sync_small,
    with_first_endpoints_edited,
    with_models_only,
)

THRESHOLD = 1000


def _routed_tier(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return the endpoint priced per token, its prompts of THRESHOLD tokens routed (-1)."""
    edited = copy.deepcopy(endpoint)
    pricing = {**edited["pricing"], "prompt": "0.000001", "completion": "0.000002"}
    pricing["overrides"] = [{"min_prompt_tokens": THRESHOLD, "prompt": "-1"}]
    edited["pricing"] = pricing
    return edited


def test_a_tier_without_a_cost_says_its_tier_and_why(tmp_path: Path) -> None:
    edited, [endpoint] = with_first_endpoints_edited(small_daily()[-1], [_routed_tier])
    listing = next(r for r in edited.responses if r.url.startswith(ENDPOINT_LISTING))
    repo = tmp_path / "archive"
    # The edited endpoint's model alone: a site of one model builds in a fraction of the time.
    sync_small(repo, with_models_only(edited, {listing.body["data"][0]["model_variant_slug"]}))
    model = json.loads((repo / "data" / "endpoint" / f"{endpoint}.json").read_text())["model"]
    build_site(repo, tmp_path / "site")

    args = ["--input", str(EXAMPLE_INPUT), "--output", str(EXAMPLE_OUTPUT), "--json"]
    result = CliRunner().invoke(main, ["cost", "--repo", str(repo), model, *args])
    assert result.exit_code == 0, result.output
    cli = next(row for row in json.loads(result.output)["costs"] if row["endpoint"] == endpoint)
    assert cli["cost"] is None and cli["tier"] == THRESHOLD and cli["reason"]

    page = (tmp_path / "site" / model_page(model)).read_text()
    row = re.search(rf'<tr data-endpoint="{endpoint}">(.*?)</tr>', page, re.S)
    assert row, endpoint
    cells = [unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)]
    assert cells[1] == "\u2013"  # No cost.
    assert cli["reason"] in cells[-1], cells
    assert f"{THRESHOLD:,} prompt tokens" in cells[-1], cells
