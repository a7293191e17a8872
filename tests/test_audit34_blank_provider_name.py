"""A provider whose name upstream sends blank (whitespace only) is named by its slug.

A model's blank name already read as its key everywhere (test_audit33_blank_model_name);
a provider's did not: `archiver changes` printed "Jamba Large 1.7 on \\t  (fp8)" and
"  (provider)", the provider's page had an empty title and heading, the endpoint tables,
change cards and feeds a blank provider. One real small sync of a cut capture with the
provider's names blank in every record upstream sends (all-providers, /api/v1/providers,
each endpoint's provider_info and provider names), the real site build.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.cli import main
from archiver.site import build_site
from tests.small_captures import SMALL_DAILY, sync_small, with_models_only

MODEL = "ai21/jamba-large-1.7"
SLUG = "ai21"
BLANK = " \t "
NAMES = ("name", "displayName", "provider_name", "provider_display_name")


def _blanked(value: Any) -> Any:
    """Return a JSON value with every name of the provider blank."""
    if isinstance(value, list):
        return [_blanked(item) for item in value]
    if not isinstance(value, dict):
        return value
    info = value.get("provider_info")
    ours = value.get("slug") == SLUG or (isinstance(info, dict) and info.get("slug") == SLUG)
    return {key: BLANK if ours and key in NAMES else _blanked(item) for key, item in value.items()}


def _blank_capture() -> Capture:
    capture = with_models_only(read_capture(SMALL_DAILY[0]), {MODEL})
    responses = tuple(
        CapturedResponse(r.method, r.url, r.status, _blanked(r.body)) for r in capture.responses
    )
    return replace(capture, responses=responses)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder holding the archive and its built site."""
    root = tmp_path_factory.mktemp("blank-provider")
    log = sync_small(root / "archive", _blank_capture())
    assert log.commit_id and not log.failures, log.failures
    build_site(root / "archive", root / "site")
    return root


def test_the_archive_keeps_the_blank_names(built: Path) -> None:
    provider = orjson.loads((built / "archive" / "data" / "provider" / f"{SLUG}.json").read_bytes())
    assert provider["all_providers"]["displayName"] == provider["provider_info"]["name"] == BLANK


def test_changes_names_the_provider_by_its_slug(built: Path) -> None:
    result = CliRunner().invoke(main, ["changes", "--repo", str(built / "archive")])
    assert result.exit_code == 0, result.output
    assert f"  {SLUG} (provider): new provider" in result.stdout
    assert f"Jamba Large 1.7 on {SLUG} (fp8): new endpoint" in result.stdout
    assert "\t" not in result.stdout


def test_the_provider_page_is_named_by_its_slug(built: Path) -> None:
    html = (built / "site" / "provider" / f"{SLUG}.html").read_text()
    assert re.search(r"<h1>\s*(.*?)\s*</h1>", html, re.DOTALL).group(1) == SLUG  # type: ignore[union-attr]
    assert f"<title>{SLUG} · " in html


def test_tables_cards_and_feeds_name_it_by_its_slug(built: Path) -> None:
    site = built / "site"
    # Every page and feed but the entity pages' field tables, which show upstream's values.
    shown = [site / "changes" / "index.html", site / "providers.html", site / "grid.json"]
    shown += sorted((site / "feeds").rglob("*.xml")) + sorted((site / "endpoints").glob("*.html"))
    blank = [path.name for path in shown if BLANK in path.read_text() or "\\t" in path.read_text()]
    assert not blank
    cards = (site / "changes" / "index.html").read_text()
    assert f'<a href="../provider/{SLUG}.html">{SLUG}</a>' in cards
    feed = (site / "feeds" / "provider" / f"{SLUG}.xml").read_text()
    assert f"<title>OpenRouter archive: {SLUG} ({SLUG})</title>" in feed
