"""The browser's calculator lists the endpoints `archiver cost` lists, in its order.

An endpoint listed without a pricing object was left out of the browser's table, where the
command line lists it, "no pricing archived"; and the rows without a cost kept the pricing
file's order (by endpoint id) where the command line orders them by provider, then id.
A real capture (openai/gpt-4.1's three endpoints, two routed, then one without pricing), a
real archive, a real build, the calculator in Chromium, compared row by row with
`archiver cost --json` at both syncs.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture, CapturedResponse
from archiver.cli import main
from archiver.site import build_site
from archiver.site.urls import href, model_page
from archiver.times import format_epoch
from tests.browser import launch_chromium, needs_chromium, recording_page, serve_folder
from tests.small_captures import ENDPOINT_LISTING, small_daily, sync_small, with_models_only

MODEL = "openai/gpt-4.1"
ROUTED = ("azure", "azure/swedencentral")  # by provider_slug: ids in the other order
NO_PRICING = "azure"


def _edited(capture: Capture, later: bool) -> Capture:
    """Return the capture with the ROUTED endpoints' prompt price -1, and later NO_PRICING's
    endpoint without a pricing object."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url.startswith(ENDPOINT_LISTING) and isinstance(body, dict):
            body = copy.deepcopy(body)
            for endpoint in body.get("data") or []:
                tag = endpoint.get("provider_slug")
                if endpoint.get("model_variant_slug") == MODEL and tag in ROUTED:
                    endpoint["pricing"] = {**endpoint["pricing"], "prompt": "-1"}
                    if later and tag == NO_PRICING:
                        del endpoint["pricing"]
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    when = capture.time + timedelta(hours=1 if later else 0)
    return Capture(when, capture.source, "edited", tuple(responses))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("calc-unpriced")
    capture = with_models_only(small_daily()[-1], {MODEL})
    for later in (False, True):
        log = sync_small(root / "archive", _edited(capture, later))
        assert log.commit_id and not log.failures, log.failures
    report = build_site(root / "archive", root / "site")
    assert not report.problems, report.problems
    return root


def _cli(repo: Path, at: str | None) -> list[list[Any]]:
    """Return `archiver cost --json`'s rows as [endpoint, cost text, tier, reason]."""
    moment = ["--at", at] if at else []
    args = ["cost", "--repo", str(repo), MODEL, "--input", "10000", "--output", "1000", "--json"]
    result = CliRunner().invoke(main, [*args, *moment])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["costs"]
    return [[r["endpoint"], r["cost_text"] or "\u2013", r["tier"], r["reason"]] for r in rows]


@needs_chromium
def test_the_browser_lists_the_endpoints_of_the_command_line_in_its_order(
    archive: Path,
) -> None:
    repo = archive / "archive"
    first = small_daily()[-1].time
    with (
        serve_folder(archive / "site") as url,
        launch_chromium() as browser,
        recording_page(browser, "audit31-calc-unpriced") as page,
    ):
        page.goto(url + href(model_page(MODEL)))
        page.wait_for_selector("[data-calculator][data-calc-ready]")
        page.fill("[data-calc-inputs] input[name=input]", "10000")
        page.fill("[data-calc-inputs] input[name=output]", "1000")
        for at in (format_epoch(first.replace(second=0)), None):
            page.fill("[data-calc-inputs] input[name=at]", at[:16] if at else "")
            shown = page.evaluate(
                """() => [...document.querySelectorAll('[data-calc-table] tbody tr')].map(
                    row => [row.getAttribute('data-endpoint'),
                            row.querySelector('[data-cost]').textContent,
                            row.lastElementChild.textContent])"""
            )
            expected = _cli(repo, at)
            assert len(expected) == 3 and sum(row[3] is not None for row in expected) == 2
            if at is None:
                assert "no pricing archived" in [row[3] for row in expected]
            assert [row[:2] for row in shown] == [row[:2] for row in expected], at
            for (_, _, note), (_, _, tier, reason) in zip(shown, expected, strict=True):
                if reason:
                    assert note.endswith(reason), (note, reason)
                if tier:
                    assert f"{tier:,} prompt tokens" in note, note
