"""A `:free` variant missing from the catalog for an hour keeps its endpoints and figures.

/api/v1/models is the list of modelKeys (SPEC); the catalog gives the permaslug and variant
that the variant's endpoint listing is asked with. A variant the catalog left out for an
hour while /api/v1/models still listed it had its endpoints removed (its listing was never
asked: "its model left the catalog"), a gap written for their figures and for the variant's
effective pricing and activity, and everything added back the next time: a removal and a
return in `git log` and in each series that no upstream listing showed. Only the model's
`catalog` part, which the whole catalog really lacked that hour, goes and comes back.
Real small captures, three real syncs twelve hours apart (every variant due each time).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.paths import key_to_path
from archiver.sync import SyncOptions, sync
from archiver.telemetry import endpoint_series, series
from archiver.upstream import sources
from archiver.upstream.entities import catalog_key
from tests.archive_helpers import git
from tests.small_captures import SMALL_DAILY, some_models, with_models_only


def _sync(repo: Path, capture: Capture, hours: int) -> None:
    replay = ReplayTransport(capture)
    epoch = capture.time + timedelta(hours=hours)
    sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch))


def _catalog_without(capture: Capture, key: str) -> Capture:
    """Return the capture with the catalog leaving out one model's entry."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url == sources.CATALOG_MODELS:
            body = {**body, "data": [e for e in body["data"] if catalog_key(e) != key]}
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return dataclasses.replace(capture, responses=tuple(responses))


def test_a_variant_missing_from_the_catalog_for_an_hour_keeps_its_endpoints(
    tmp_path: Path,
) -> None:
    whole = read_capture(SMALL_DAILY[0])
    catalog = next(r for r in whole.responses if r.url == sources.CATALOG_MODELS)
    key = min(catalog_key(e) for e in catalog.body["data"] if catalog_key(e) != e["slug"])
    assert key.endswith(":free")
    capture = with_models_only(whole, some_models(whole, 8) | {key})
    endpoint_ids = [
        e["id"]
        for r in capture.responses
        if r.url.startswith(sources.ENDPOINT_STATS)
        for e in r.body["data"]
        if e["model_variant_slug"] == key
    ]
    assert endpoint_ids
    repo = tmp_path / "archive"
    _sync(repo, capture, 0)
    _sync(repo, _catalog_without(capture, key), 12)
    _sync(repo, capture, 24)

    first = f"{capture.time:%Y-%m-%dT%H}:00:00Z"
    for endpoint_id in endpoint_ids:
        path = key_to_path("endpoint", endpoint_id)
        assert len(git(repo, "log", "--format=%h", "--", path).split()) == 1
        assert [s["epoch"] for s in endpoint_series(repo, endpoint_id)] == [first]
    assert [s["epoch"] for s in series(repo, "model_variant", key)] == [first]
    # The catalog part went and came back with the catalog: that the whole catalog told.
    model_path = key_to_path("model", key)
    assert len(git(repo, "log", "--format=%h", "--", model_path).split()) == 3
