"""A new provider waits while an endpoint listing fails, as every new entity waits for its
category's failing listings (data/README.md, Lifecycle).

A provider file's `provider_info` part comes from the per-model endpoint listings. A new
provider, listed by /api/frontend/v1/all-providers while the one model listing that holds
its endpoints answered 500, was written with its `all_providers` part alone, then changed
the next hour when the listing came back: a version made by a failed request. One that
another listing named has that part already, and is written at once.
"""

from __future__ import annotations

import collections
import copy
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.archive.synclog import SyncLog
from archiver.capture.faults import Fault
from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.paths import key_to_path
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.fetch import FetchPolicy
from tests.archive_helpers import git
from tests.small_captures import ENDPOINT_LISTING, SMALL_DAILY, some_models, with_models_only

ONCE = FetchPolicy(attempts=1)


def _sync(repo: Path, capture: Capture, hours: int, faults: tuple[Fault, ...] = ()) -> SyncLog:
    """Sync the capture `hours` after its time, with faults."""
    replay = ReplayTransport(capture, faults)
    epoch = capture.time + timedelta(hours=hours)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch, policy=ONCE)
    return sync(repo, options)


def _providers_of_one_listing(capture: Capture) -> list[tuple[str, str]]:
    """Return (slug, listing URL) of two providers all-providers lists whose endpoints one
    model listing holds, two listings apart, by slug (none of them the featured endpoint:
    a listing without its featured one is taken as cut short)."""
    listed = next(r for r in capture.responses if r.url == sources.ALL_PROVIDERS)
    catalog = next(r for r in capture.responses if r.url == sources.CATALOG_MODELS)
    featured = {e["endpoint"]["id"] for e in catalog.body["data"] if e.get("endpoint")}
    urls: dict[str, set[str]] = collections.defaultdict(set)
    featuring: set[str] = set()
    for response in capture.responses:
        if response.url.startswith(ENDPOINT_LISTING) and response.body.get("data"):
            for endpoint in response.body["data"]:
                urls[endpoint["provider_info"]["slug"]].add(response.url)
                if endpoint["id"] in featured:
                    featuring.add(endpoint["provider_info"]["slug"])
    slugs = sorted(
        item["slug"]
        for item in listed.body["data"]
        if len(urls.get(item["slug"], ())) == 1 and item["slug"] not in featuring
    )
    pairs = [(slug, next(iter(urls[slug]))) for slug in slugs]
    return [pairs[0], next(pair for pair in pairs if pair[1] != pairs[0][1])]


def _without_providers(capture: Capture, gone: list[tuple[str, str]]) -> Capture:
    """Return the capture as it was before these providers came: in no listing at all."""
    slugs = {slug for slug, _ in gone}
    urls = {url for _, url in gone}
    responses = []
    for response in capture.responses:
        body: Any = copy.deepcopy(response.body)
        if response.url == sources.ALL_PROVIDERS:
            body["data"] = [item for item in body["data"] if item["slug"] not in slugs]
        elif response.url in urls:
            body["data"] = [e for e in body["data"] if e["provider_info"]["slug"] not in slugs]
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return replace(capture, responses=tuple(responses))


def _foreign(capture: Capture, url: str) -> Capture:
    """Return the capture answering `url` with another model's listing (a stale cache)."""
    other = next(
        r for r in capture.responses if r.url.startswith(ENDPOINT_LISTING) and r.url != url
    )
    responses = [
        CapturedResponse(r.method, r.url, r.status, other.body if r.url == url else r.body)
        for r in capture.responses
    ]
    return replace(capture, responses=tuple(responses))


@pytest.mark.parametrize("failure", ["500", "cut short", "another model's"])
def test_a_new_provider_waits_for_the_endpoint_listing_that_failed(
    tmp_path: Path, failure: str
) -> None:
    whole = read_capture(SMALL_DAILY[0])
    capture = with_models_only(whole, some_models(whole, 3))
    (waiting, url), (named, _) = _providers_of_one_listing(capture)
    repo = tmp_path / "archive"
    _sync(repo, _without_providers(capture, _providers_of_one_listing(capture)), 0)

    if failure == "another model's":
        failed = _sync(repo, _foreign(capture, url), 1)
    else:
        body = "empty-data" if failure == "cut short" else None
        failed = _sync(
            repo, capture, 1, (Fault(url, status=500 if body is None else None, body=body),)
        )
    path = key_to_path("provider", waiting)
    assert not (repo / path).exists(), "written without the listing that holds its record"
    assert any("1 new provider entities wait" in note for note in failed.notes), failed.notes
    # A new provider another listing named has its record already: it need not wait.
    assert (repo / key_to_path("provider", named)).exists()
    _sync(repo, capture, 2)

    reference = tmp_path / "reference"
    _sync(reference, capture, 2)
    assert (repo / path).read_bytes() == (reference / path).read_bytes()
    assert len(git(repo, "log", "--format=%h", "--", path).split()) == 1
