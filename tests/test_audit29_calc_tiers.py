"""The calculator judges a long-context tier by its own prices, as `archiver cost` does.

The pricing file's `bill` said "unpriced" for the base prices alone. A tier whose prompt
price is -1 (routed: the price of the model it routes to) was billed by the calculator as a
price of minus a dollar a token (-$9,999.998 for 10,000 input tokens) where the command
line says it has no cost; a tier that prices what the base leaves routed got no cost in the
browser, and one on the command line. Real captures, one endpoint of each case edited, cut
to those endpoints' models (a site of them builds in a fraction of the whole one's time).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.site import build_site
from archiver.site.urls import href, model_page
from tests.archive_helpers import built_once
from tests.browser import launch_chromium, needs_chromium, recording_page, serve_folder
from tests.small_captures import (
    copy_archive,
    first_listed_models,
    small_daily,
    sync_small,
    with_first_endpoints_edited,
    with_models_only,
)

THRESHOLD = 1000  # the tier's min_prompt_tokens: a prompt of this many tokens reaches it


def _tiered(base: str, tier: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Return an edit giving an endpoint prompt price `base` and, from THRESHOLD prompt
    tokens, `tier` (the output price stays the same)."""

    def edit(endpoint: dict[str, Any]) -> dict[str, Any]:
        edited = copy.deepcopy(endpoint)
        pricing = {**edited["pricing"], "prompt": base, "completion": "0.000002"}
        pricing["overrides"] = [{"min_prompt_tokens": THRESHOLD, "prompt": tier}]
        edited["pricing"] = pricing
        return edited

    return edit


# A tier that routes while the base is priced, and one priced while the base routes.
EDITS = (_tiered("0.000001", "-1"), _tiered("-1", "0.000003"))


@dataclass(frozen=True)
class Tiered:
    """The archive, its site and the models of the edited endpoints."""

    repo: Path
    site: Path
    models: list[str]


@pytest.fixture(scope="module")
def tiered(tmp_path_factory: pytest.TempPathFactory) -> Tiered:
    def build(folder: Path) -> None:
        captures = small_daily()
        edited, ids = with_first_endpoints_edited(captures[-1], list(EDITS))
        keys = first_listed_models(captures[-1], len(EDITS))
        for capture in captures:
            sync_small(folder / "archive", with_models_only(capture, keys))
        later = captures[-1].time + timedelta(hours=1)
        edited = with_models_only(edited, keys)
        sync_small(folder / "archive", Capture(later, "audit29", "tiers", edited.responses))
        models = []
        for key in ids:
            endpoint = json.loads(
                (folder / "archive" / "data" / "endpoint" / f"{key}.json").read_text()
            )
            models.append(endpoint["model"])
        (folder / "models.json").write_text(json.dumps(models))
        report = build_site(folder / "archive", folder / "site")
        assert not report.problems, report.problems

    folder = built_once(tmp_path_factory, "audit29-tiers", build)
    repo = copy_archive(folder / "archive", tmp_path_factory.mktemp("tiers") / "archive")
    return Tiered(repo, folder / "site", json.loads((folder / "models.json").read_text()))


def _cli_costs(repo: Path, model: str, inputs: int) -> list[tuple[str, str]]:
    """Return `archiver cost --json`'s rows as (endpoint id, cost text)."""
    result = CliRunner().invoke(
        main,
        ["cost", "--repo", str(repo), model, "--input", str(inputs), "--output", "10", "--json"],
    )
    assert result.exit_code == 0, result.output
    costs = json.loads(result.output)["costs"]
    return [(row["endpoint"], row["cost_text"] or "\u2013") for row in costs]


@needs_chromium
def test_a_tier_is_billed_or_not_as_the_command_line_bills_it(tiered: Tiered) -> None:
    with (
        serve_folder(tiered.site) as url,
        launch_chromium() as browser,
        recording_page(browser, "audit29-tiers") as page,
    ):
        for model in tiered.models:
            page.goto(url + href(model_page(model)))
            page.wait_for_selector("[data-calculator][data-calc-ready]")
            page.fill("[data-calc-inputs] input[name=output]", "10")
            for inputs in (THRESHOLD - 1, THRESHOLD, 10_000):
                page.fill("[data-calc-inputs] input[name=input]", str(inputs))
                shown = page.evaluate(
                    """() => [...document.querySelectorAll('[data-calc-table] tbody tr')].map(
                        row => [row.getAttribute('data-endpoint'),
                                row.querySelector('[data-cost]').textContent])"""
                )
                expected = _cli_costs(tiered.repo, model, inputs)
                assert [tuple(row) for row in shown] == expected, (model, inputs)
                assert not any(cost.startswith("-") for _, cost in expected)
