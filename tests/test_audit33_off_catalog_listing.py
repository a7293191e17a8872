"""A model gone from the catalog but not from /api/v1/models has its listing asked (audit 33).

SPEC: stats/endpoint is called "for any model that still has archived endpoints (their
removal needs a listing that shows them gone)". Found and fixed: a model the catalog left
for good while /api/v1/models kept listing it was never asked (the catalog gives the
permaslug a listing is asked with), so its endpoints stood as present, with their last
figures, for good. It is now asked with the permaslug its archived endpoints carry: a
listing that shows them gone removes them, one that still lists them keeps them current,
and a 404 (no listing for a model off the catalog) keeps them as they were, no failure.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.archive.unseen import archived_variant
from archiver.capture.files import Capture, CapturedResponse
from archiver.capture.transport import ReplayTransport
from archiver.paths import key_to_path
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.entities import catalog_key, catalog_variants
from archiver.upstream.fetch import Response
from tests.archive_helpers import git
from tests.small_captures import copy_archive, small_captures
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


def _catalog(capture: Capture) -> CapturedResponse:
    return next(r for r in capture.responses if r.url == sources.CATALOG_MODELS)


def _listings(capture: Capture) -> dict[str, CapturedResponse]:
    """Return {modelKey: its endpoint listing} of the catalog's featured models."""
    catalog = _catalog(capture)
    variants = catalog_variants(Response(catalog.url, catalog.body, status=200))
    by_url = {r.url: r for r in capture.responses}
    return {
        key: by_url[variant.url(sources.ENDPOINT_STATS)]
        for key, variant in variants.items()
        if variant.has_endpoint and not key.startswith("~")
    }


def _off_catalog(capture: Capture, key: str, listing: Any) -> Capture:
    """Return the capture an hour later, the catalog without key's entry (/api/v1/models
    still lists it), its listing answering `listing` (None: not recorded, a 404)."""
    url = _listings(capture)[key].url
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url == sources.CATALOG_MODELS:
            body = {**body, "data": [e for e in body["data"] if catalog_key(e) != key]}
        elif response.url == url:
            if listing is None:
                continue
            body = listing(body)
        responses.append(dataclasses.replace(response, body=body))
    later = capture.time + timedelta(hours=1)
    return dataclasses.replace(capture, time=later, responses=tuple(responses))


def _sync(repo: Path, capture: Capture) -> list[str]:
    replay = ReplayTransport(capture)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time)
    log = sync(repo, options)
    return log.failures


def _repriced(body: dict[str, Any]) -> dict[str, Any]:
    first = {**body["data"][0], "pricing": {**body["data"][0]["pricing"], "prompt": "0.5"}}
    return {**body, "data": [first, *body["data"][1:]]}


@pytest.mark.parametrize(
    ("listing", "present"),
    [
        (lambda body: {**body, "data": []}, False),  # upstream shows them gone
        (lambda body: body, True),  # still listed: kept
        (_repriced, True),  # still listed, changed: kept current
        (None, True),  # no listing (404): kept as they were
    ],
)
def test_the_listing_of_a_model_gone_from_the_catalog_decides(
    base: Path, cut: list[Capture], tmp_path: Path, listing: Any, present: bool
) -> None:
    key = min(_listings(cut[0]))
    listed = _listings(cut[0])[key].body["data"]
    ids = [endpoint["id"] for endpoint in listed]
    assert ids and key in {m["id"] for r in cut[0].responses if r.url == sources.V1_MODELS
                           for m in r.body["data"]}  # fmt: skip
    repo = copy_archive(base, tmp_path / "archive")
    paths = [key_to_path("endpoint", endpoint_id) for endpoint_id in ids]
    before = {path: (repo / path).read_bytes() for path in paths}
    assert _sync(repo, _off_catalog(cut[0], key, listing)) == []
    tracked = set(git(repo, "ls-files", "data/endpoint").split())
    assert all((path in tracked) == present for path in paths)
    if listing is _repriced:
        assert (repo / paths[0]).read_bytes() != before[paths[0]]
        assert b'"0.5"' in (repo / paths[0]).read_bytes()
    elif present:
        assert {path: (repo / path).read_bytes() for path in paths} == before
    # The model stays: /api/v1/models lists it.
    assert key_to_path("model", key) in git(repo, "ls-files", "data/model").split()


def test_an_endpoints_own_fields_name_its_listing(small_captures: list[Capture]) -> None:
    # Every endpoint of every real listing (a `:free` variant's permaslug included) gives
    # back the URL of the listing it came from.
    checked = 0
    for capture in small_captures:
        for listing in _listings(capture).values():
            for endpoint in listing.body["data"]:
                assert archived_variant(endpoint).url(sources.ENDPOINT_STATS) == listing.url
                checked += 1
    variants = {e["variant"] for c in small_captures for r in _listings(c).values()
                for e in r.body["data"]}  # fmt: skip
    assert checked > 100 and {"standard", "free"} <= variants
