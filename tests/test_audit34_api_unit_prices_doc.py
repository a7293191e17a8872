"""The API page says why an endpoint sold per second or per character has no token price.

api/endpoints.json gives `input_per_mtok: null` for an endpoint whose archived `pricing.prompt`
is "0.36" (sold per hour of audio) or "0.000004" (per character): a token price there would
read as dollars per million tokens wrongly. The page said null meant only "none archived, or
-1", so a consumer read such an endpoint as unpriced. A real archive and a real build.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path

import orjson

from archiver.site import build_site
from tests.small_captures import small_daily, sync_small, with_models_only

# Sold per hour of audio and per character (tests/captures: their pricing is unit only).
MODELS = {"microsoft/mai-transcribe-1.5", "hexgrad/kokoro-82m"}


def test_the_api_page_explains_a_null_price_of_an_endpoint_sold_per_unit(tmp_path: Path) -> None:
    log = sync_small(tmp_path / "archive", with_models_only(small_daily()[-1], MODELS))
    assert log.commit_id and not log.failures, log.failures
    site = tmp_path / "site"
    build_site(tmp_path / "archive", site)
    endpoints = orjson.loads((site / "api" / "endpoints.json").read_bytes())["endpoints"]
    per_unit = [
        entry
        for entry in endpoints
        if entry["input_per_mtok"] is None
        and Decimal(entry["data"]["pricing"]["prompt"]) > 0
        and entry["data"]["pricing"]["display_pricing"]
    ]
    assert {entry["model"] for entry in per_unit} == MODELS
    page = re.sub(r"<[^>]+>", "", html.unescape((site / "api.html").read_text()))
    said = page.split("null means no price", 1)[1].split("\n", 1)[0]
    assert "data.pricing.display_pricing" in said
