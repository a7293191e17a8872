"""A catalog whose entries all lack `endpoint` (renamed upstream, `featured_endpoint`) removes
no endpoint.

The catalog's embedded featured endpoint is where a `~` alias's own endpoint is archived
from, and what names the listings a sync asks for. Renamed in every entry, the catalog still
read as whole: the alias's endpoint was removed as gone (and, a sync later, the endpoints only
the alias's listing held), with no line saying why. Now the sync says the field is missing
and takes no endpoint as gone for want of it; the model files keep upstream's data as sent.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from archiver.capture.files import Capture, CapturedResponse
from archiver.upstream import sources
from tests.small_captures import (
    small_daily,
    some_models,
    sync_small,
    with_models_only,
)
from tests.test_sync import files_at

ALIAS = "~google/gemini-flash-latest"


def _renamed(capture: Capture, hours: int) -> Capture:
    """Return the capture `hours` later with every catalog entry's `endpoint` renamed."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url == sources.CATALOG_MODELS:
            entries = [
                {("featured_endpoint" if k == "endpoint" else k): v for k, v in entry.items()}
                for entry in body["data"]
            ]
            body = {**body, "data": entries}
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return replace(capture, responses=tuple(responses), time=capture.time + timedelta(hours=hours))


def test_a_renamed_featured_endpoint_removes_no_endpoint(tmp_path: Path) -> None:
    daily = small_daily()[0]
    keys = some_models(daily, 4, featured=3)
    assert ALIAS in keys
    cut = with_models_only(daily, keys)
    repo = tmp_path / "archive"
    assert sync_small(repo, cut).commit_id
    endpoints = {p: d for p, d in files_at(repo, "HEAD").items() if p.startswith("data/endpoint/")}
    assert any("gemini-flash-latest" in p for p in endpoints)

    for hours in (1, 2):
        log = sync_small(repo, _renamed(cut, hours))
        after = files_at(repo, "HEAD")
        assert {p: d for p, d in after.items() if p.startswith("data/endpoint/")} == endpoints
        assert [line for line in log.failures if "no entry carries 'endpoint'" in line]
