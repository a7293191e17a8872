"""A change card reads an image or audio price in the unit the summary above it reads it.

The site's change cards read every `image` and `image_output` price as dollars per image and
every other one per million tokens, whatever the endpoint sells: Gemini's image input, sold
per token like its text ($0.30 per M tokens), read "$0.0000003 → $0.0000004" with no unit,
and Voxtral's input audio, sold per minute, "$100.00 → $200.00 /Mtok", under a summary that
says "$0.30 -> $0.40 per M tokens" and "$0.006 -> $0.012 per minute". The card now takes
the unit from the endpoint's display_pricing, as the summaries and `archiver price` do. Real
small syncs of one model whose endpoint carries Voxtral's real pricing and Gemini's image
input price, and a real build of the site.
"""

from __future__ import annotations

import copy
import html
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
from archiver.site.urls import endpoint_page
from tests.small_captures import SMALL_DAILY, sync_small, with_endpoint_edited, with_models_only
from tests.test_audit34_extra_unit_cost import ENDPOINT, MODEL, PRICING


def _priced(audio: str, image: str) -> dict[str, Any]:
    """Return Voxtral Small's real pricing with this audio price (per minute, as displayed)
    and an image input price per token, as Gemini's."""
    pricing: dict[str, Any] = copy.deepcopy(PRICING)
    pricing.update(audio=audio, image=image)
    pricing["display_pricing"][-1]["price"] = audio
    return pricing


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder of an archive whose endpoint's audio and image prices moved, and of
    its site."""
    root = tmp_path_factory.mktemp("card-units")
    base = with_models_only(read_capture(SMALL_DAILY[-1]), {MODEL})
    for hour, pricing in enumerate(
        (_priced("0.0001", "0.0000003"), _priced("0.0002", "0.0000004"))
    ):

        def edited(endpoint: dict[str, Any], pricing: dict[str, Any] = pricing) -> None:
            endpoint["pricing"] = pricing
            endpoint["display_pricing"] = pricing["display_pricing"]

        capture = replace(base, time=base.time + timedelta(hours=hour))
        assert sync_small(
            root / "archive", with_endpoint_edited(capture, ENDPOINT, edited)
        ).commit_id
    build_site(root / "archive", root / "site")
    return root


def _lines(page: str) -> dict[str, str]:
    """Return {label: "old → new unit"} of the price table of the page's newest change card."""
    table = re.search(r'<table class="prices">(.*?)</table>', page, re.S)
    assert table, "no price table on the page"
    rows = re.findall(r"<th>([^<]*)</th><td>(.*?)</td>", table.group(1), re.S)
    return {label: " ".join(re.sub(r"<[^>]+>", " ", cell).split()) for label, cell in rows}


def test_card_reads_audio_per_minute_and_image_per_token(archive: Path) -> None:
    page = html.unescape((archive / "site" / endpoint_page(ENDPOINT)).read_text())
    assert _lines(page) == {
        "audio input": "$0.006 → $0.012 /minute",
        "image input": "$0.30 → $0.40 /Mtok",
    }
    command = ["changes", "--repo", str(archive / "archive"), "--kind", "price"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert "audio input $0.006 -> $0.012 per minute" in result.output
    assert "image input $0.30 -> $0.40 per M tokens" in result.output
