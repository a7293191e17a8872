"""A half-empty catalog removes no endpoint it could not show gone (audit, soak).

A catalog that comes back as `{"data": []}` (or missing most models) is held back by the
removal guard: "removed none, kept the archived ones". Yet the endpoints of catalog-only
models (image, audio, embedding: absent from /api/v1/models) were removed in the same sync,
as if their models had left a complete catalog; they came back an hour later as new files,
two versions made by one bad response. A catalog whose removals are held back is no
evidence that a model left: an endpoint then goes only when its own listing shows it gone.

A real small capture cut to a few models, catalog-only ones with endpoints among them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from archiver.capture.faults import Fault
from archiver.capture.files import Capture, CapturedResponse
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.entities import catalog_key
from tests.small_captures import small_daily, some_models, sync_small, with_models_only

ORPHAN = "google/gemini-embedding-2"


def _catalog_only_models(capture: Capture) -> set[str]:
    """Return the catalog keys with a featured endpoint that /api/v1/models does not list."""
    bodies = {response.url: response.body for response in capture.responses}
    v1 = {model["id"] for model in bodies[sources.V1_MODELS]["data"]}
    entries = bodies[sources.CATALOG_MODELS]["data"]
    return {catalog_key(e) for e in entries if e.get("endpoint") and catalog_key(e) not in v1}


@pytest.fixture(scope="module")
def cut() -> Capture:
    """Return the first small capture cut to a quarter of the models and a catalog-only one
    with two endpoints (few enough that the endpoint guard lets them go)."""
    whole = small_daily()[0]
    assert ORPHAN in _catalog_only_models(whole)
    return with_models_only(whole, some_models(whole, 4, featured=2) | {ORPHAN})


def _endpoint_files(repo: Path) -> dict[str, bytes]:
    folder = repo / "data" / "endpoint"
    return {path.name: path.read_bytes() for path in folder.glob("*.json")}


def _sync(repo: Path, capture: Capture, faults: list[Fault], hours: int) -> list[str]:
    replay = ReplayTransport(capture, faults)
    epoch = capture.time + timedelta(hours=hours)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch)
    return sync(repo, options).failures


def _catalog_cut_to(capture: Capture, keys: set[str]) -> Capture:
    """Return the capture whose catalog lists only these models (the rest left as they are)."""
    responses = tuple(
        CapturedResponse(
            r.method,
            r.url,
            r.status,
            {**r.body, "data": [e for e in r.body["data"] if catalog_key(e) in keys]},
        )
        if r.url == sources.CATALOG_MODELS
        else r
        for r in capture.responses
    )
    return Capture(capture.time, capture.source, "catalog cut", responses)


@pytest.mark.parametrize("half_empty", ["empty data", "most models missing"])
def test_a_held_back_catalog_removes_no_endpoint_of_a_catalog_only_model(
    cut: Capture, tmp_path: Path, half_empty: str
) -> None:
    repo = tmp_path / "archive"
    assert not sync_small(repo, cut).failures
    before = _endpoint_files(repo)
    orphan_files = [n for n, data in before.items() if f'"{ORPHAN}"'.encode() in data]
    assert len(orphan_files) == 2, "the cut lost the catalog-only model's endpoints"
    if half_empty == "empty data":
        failures = _sync(repo, cut, [Fault(sources.CATALOG_MODELS, body="empty-data")], 1)
    else:
        kept = {catalog_key(e) for e in _catalog_entries(cut)} - {ORPHAN}
        failures = _sync(repo, _catalog_cut_to(cut, set(sorted(kept)[:1])), [], 1)
    assert any(f.startswith("model catalog: would remove") for f in failures), failures
    assert _endpoint_files(repo) == before
    # The catalog whole again: nothing to write back, no endpoint came back as new.
    assert not _sync(repo, cut, [], 2)
    assert _endpoint_files(repo) == before


def _catalog_entries(capture: Capture) -> list[dict[str, object]]:
    return next(r.body["data"] for r in capture.responses if r.url == sources.CATALOG_MODELS)
