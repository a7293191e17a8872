"""A figure near the largest double costs its chart's round top, not the whole site.

A price of 1.7e302 a token (a decimal any reader computes with) is 1.7e308 per million:
the chart's round top above it, 2e308, is no double, and `archiver site` stopped with "an
archived number too large to compute with came up". With the top kept, the grid lines at
top * 3/4 and top were infinite (SVG lines at y=-inf, labels "inf"). Real captures, one
endpoint's prompt price edited, cut to its model (the site of one model builds in a fraction
of the whole one's time); the pages are opened in Chromium.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.site.urls import endpoint_page, href, model_page
from tests.archive_helpers import built_once
from tests.browser import launch_chromium, needs_chromium, recording_page, serve_folder
from tests.small_captures import (
    first_listed_models,
    small_daily,
    sync_small,
    with_first_endpoints_edited,
    with_models_only,
)

PROMPT = "1.7e302"  # per token; 1.7e308 per million, a little below the largest double


def _dear(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return an endpoint listing entry whose prompt price is PROMPT."""
    edited = copy.deepcopy(endpoint)
    edited["pricing"] = {**edited["pricing"], "prompt": PROMPT}
    return edited


@dataclass(frozen=True)
class Built:
    """The site, what `archiver site` printed and its exit code, the edited endpoint."""

    site: Path
    output: str
    exit_code: int
    endpoint: str
    model: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    def build(folder: Path) -> None:
        repo = folder / "archive"
        captures = small_daily()
        edited, (endpoint,) = with_first_endpoints_edited(captures[-1], [_dear])
        keys = first_listed_models(captures[-1], 1)
        for capture in captures:
            sync_small(repo, with_models_only(capture, keys))
        later = captures[-1].time + timedelta(hours=1)
        edited = with_models_only(edited, keys)
        sync_small(repo, Capture(later, "audit29", "a dear price", edited.responses))
        model = json.loads((repo / "data" / "endpoint" / f"{endpoint}.json").read_text())["model"]
        command = ["site", "--repo", str(repo), "--out", str(folder / "site"), "--no-cache"]
        result = CliRunner().invoke(main, command)
        facts = {"output": result.output, "exit_code": result.exit_code}
        (folder / "facts.json").write_text(
            json.dumps({**facts, "endpoint": endpoint, "model": model})
        )

    folder = built_once(tmp_path_factory, "audit29-chart-top", build)
    return Built(folder / "site", **json.loads((folder / "facts.json").read_text()))


def test_the_site_builds_with_a_price_near_the_largest_double(built: Built) -> None:
    assert built.exit_code == 0, built.output
    assert "Error" not in built.output and "Traceback" not in built.output
    page = (built.site / endpoint_page(built.endpoint)).read_text()
    assert "inf" not in "".join(
        line for line in page.splitlines() if 'class="yaxis"' in line or "<line " in line
    )


@needs_chromium
def test_its_pages_draw_without_errors(built: Built) -> None:
    assert built.exit_code == 0, built.output
    with (
        serve_folder(built.site) as url,
        launch_chromium() as browser,
        recording_page(browser, "audit29-chart-top") as page,  # fails on any console error
    ):
        for path in (endpoint_page(built.endpoint), model_page(built.model)):
            page.goto(url + href(path))
            box = page.locator("#prices .pane.p-input .plotbox")
            box.focus()
            readout = page.locator("#prices .pane.p-input .readout").inner_text()
            assert "$170,000,000,000" in readout, readout
