"""A new provider waits while an endpoint listing fails, as every new entity waits for its
category's failing listings (data/README.md, Lifecycle).

A provider file's `provider_info` part comes from the per-model endpoint listings. A new
provider, listed by /api/frontend/v1/all-providers while the one model listing that holds
its endpoints answered 500, was written with its `all_providers` part alone, then changed
the next hour when the listing came back: a version made by a failed request.
"""

from __future__ import annotations

import collections
import copy
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from archiver.archive.synclog import SyncLog
from archiver.capture.faults import Fault
from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.paths import key_to_path
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.fetch import FetchPolicy
from tests.archive_helpers import git
from tests.small_captures import ENDPOINT_LISTING, SMALL_DAILY

ONCE = FetchPolicy(attempts=1)


def _sync(repo: Path, capture: Capture, hours: int, faults: tuple[Fault, ...] = ()) -> SyncLog:
    """Sync the capture `hours` after its time, with faults."""
    replay = ReplayTransport(capture, faults)
    epoch = capture.time + timedelta(hours=hours)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch, policy=ONCE)
    return sync(repo, options)


def _provider_of_one_listing(capture: Capture) -> tuple[str, str]:
    """Return a provider all-providers lists whose endpoints one model listing holds, and
    that listing's URL."""
    listed = next(r for r in capture.responses if r.url == sources.ALL_PROVIDERS)
    urls: dict[str, set[str]] = collections.defaultdict(set)
    for response in capture.responses:
        if response.url.startswith(ENDPOINT_LISTING) and response.body.get("data"):
            for endpoint in response.body["data"]:
                urls[endpoint["provider_info"]["slug"]].add(response.url)
    slug = min(item["slug"] for item in listed.body["data"] if len(urls.get(item["slug"], ())) == 1)
    return slug, next(iter(urls[slug]))


def _without_provider(capture: Capture, slug: str, url: str) -> Capture:
    """Return the capture as it was before the provider came: in no listing at all."""
    responses = []
    for response in capture.responses:
        body: Any = copy.deepcopy(response.body)
        if response.url == sources.ALL_PROVIDERS:
            body["data"] = [item for item in body["data"] if item["slug"] != slug]
        elif response.url == url:
            body["data"] = [e for e in body["data"] if e["provider_info"]["slug"] != slug]
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return replace(capture, responses=tuple(responses))


def test_a_new_provider_waits_for_the_endpoint_listing_that_failed(tmp_path: Path) -> None:
    capture = read_capture(SMALL_DAILY[0])
    slug, url = _provider_of_one_listing(capture)
    path = key_to_path("provider", slug)
    repo = tmp_path / "archive"
    _sync(repo, _without_provider(capture, slug, url), 0)

    failed = _sync(repo, capture, 1, (Fault(url, status=500),))
    assert not (repo / path).exists(), "written without the listing that holds its record"
    assert any("new provider entities wait" in note for note in failed.notes), failed.notes
    _sync(repo, capture, 2)

    reference = tmp_path / "reference"
    _sync(reference, capture, 2)
    assert (repo / path).read_bytes() == (reference / path).read_bytes()
    assert len(git(repo, "log", "--format=%h", "--", path).split()) == 1
