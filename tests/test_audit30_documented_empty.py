"""A documented endpoint listing that comes back empty records no endpoint's figures gone.

`/api/v1/models/{author}/{slug}/endpoints` is asked for models whose frontend listing was
fetched, models with endpoints. One answered `{"data": {"endpoints": []}}` for an hour (a
cut-short reply) was read whole: every archived endpoint of the model got a gap in
`endpoint_documented` ("no longer sent"), and its figures again the next hour, two made-up
changes an endpoint while the endpoint file stood unchanged.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from archiver.capture.faults import Fault
from archiver.capture.files import Capture, canonical_url, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.jsonrepair import deep_json_bytes
from archiver.sync import SyncOptions, sync
from archiver.upstream.fetch import FetchPolicy
from tests.archive_helpers import git
from tests.small_captures import ENDPOINT_LISTING, SMALL_DAILY

EXTRA = SMALL_DAILY[0].parent.parent / "extra"
DOCUMENTED = "/api/v1/models/"
KIND_FOLDER = "data/telemetry/endpoint_documented"


def _replay(repo: Path, capture: Capture, hours: int, transport: ReplayTransport) -> None:
    """Sync through the transport `hours` after the capture's time, one attempt a URL."""
    epoch = capture.time + timedelta(hours=hours)
    policy = FetchPolicy(attempts=1)
    sync(
        repo,
        SyncOptions(base_url=transport.base_url, epoch=epoch, policy=policy, transport=transport),
    )


def test_an_empty_documented_listing_records_no_gap(tmp_path: Path) -> None:
    daily = read_capture(SMALL_DAILY[0])
    extra = read_capture(EXTRA / SMALL_DAILY[0].name)
    capture = replace(daily, responses=daily.responses + extra.responses)
    repo = tmp_path / "archive"
    first = ReplayTransport(capture)
    _replay(repo, capture, 0, first)
    # A model whose documented listing the first sync read: its endpoints have figures.
    asked = [url.partition("?")[0] for url in first.requests if url.startswith(DOCUMENTED)]
    listings = {
        r.body["data"][0]["model_variant_slug"]: r
        for r in capture.responses
        if r.url.startswith(ENDPOINT_LISTING) and r.body["data"]
    }
    url = next(
        u for u in asked if u.removeprefix(DOCUMENTED).removesuffix("/endpoints") in listings
    )
    listing = listings[url.removeprefix(DOCUMENTED).removesuffix("/endpoints")]
    ids = [endpoint["id"] for endpoint in listing.body["data"]]
    before = git(repo, "grep", "-c", ids[0], "--", KIND_FOLDER)
    assert before, "the first sync recorded the model's documented figures"

    # Its frontend listing fails, so the documented one is asked again: it comes back empty.
    broken = ReplayTransport(capture, [Fault(listing.url, status=500)])
    broken._routes.table[canonical_url(url)] = (200, deep_json_bytes({"data": {"endpoints": []}}))
    _replay(repo, capture, 1, broken)
    patterns = [arg for endpoint_id in ids for arg in ("-e", endpoint_id)]
    lines = git(repo, "grep", "-h", *patterns, "--", KIND_FOLDER).splitlines()
    gaps = [line for line in lines if set(line.split("\t")[2:]) == {"-"}]
    assert not gaps
