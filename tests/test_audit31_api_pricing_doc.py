"""The API page documents every field of a pricing file's endpoint entry.

The pricing files' endpoint entries gained `listed` (the syncs the endpoint was listed
between, so that one listed without a pricing object is priced "no pricing archived"); the
API page, which shows the files' shape, must name it. A real archive and a real build.
"""

from __future__ import annotations

import html
from pathlib import Path

import orjson

from archiver.site import build_site
from archiver.site.urls import pricing_file
from tests.small_captures import small_daily, sync_small, with_models_only

MODEL = "openai/gpt-4.1"


def test_the_api_page_names_every_field_of_an_endpoint_entry(tmp_path: Path) -> None:
    log = sync_small(tmp_path / "archive", with_models_only(small_daily()[-1], {MODEL}))
    assert log.commit_id and not log.failures, log.failures
    site = tmp_path / "site"
    build_site(tmp_path / "archive", site)
    endpoints = orjson.loads((site / pricing_file(MODEL)).read_bytes())["endpoints"]
    assert endpoints and all(entry["listed"] for entry in endpoints)
    page = html.unescape((site / "api.html").read_text())
    for field in {name for entry in endpoints for name in entry}:
        assert f'"{field}"' in page, field
    for span in (span for entry in endpoints for span in entry["listed"]):
        assert set(span) == {"valid_from", "valid_to"}
