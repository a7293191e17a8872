"""An endpoint whose listing failed when its shard's day file began still gets its gap.

A new day's file restated only the keys fetched by the sync that began it; the writer looks
back no further than the latest file, so an endpoint whose listing failed at the first sync
of a UTC day was in no file it read again. Gone an hour later, it got no gap, and
`archiver telemetry` read its last figures as current for ever. A rerun of that first hour
whose listing failed lost the gap the hour's earlier sync had written the same way.

Real small captures synced through the replay transport: the first at 23:00, then hours
of the next day in which one model's endpoint listing fails (HTTP 500) and then holds one
endpoint no more, or lists it without figures.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner

from archiver.capture.faults import Fault
from archiver.capture.files import Capture, CapturedResponse
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.sync import SyncOptions, sync
from archiver.upstream import fields, sources
from archiver.upstream.fetch import FetchPolicy
from tests.small_captures import ENDPOINT_LISTING, small_captures

__all__ = ["small_captures"]
EVENING = datetime(2026, 7, 20, 23, tzinfo=UTC)
MIDNIGHT = EVENING + timedelta(hours=1)


def _listing_and_endpoint(capture: Capture) -> tuple[str, str]:
    """Return an endpoint listing's URL and one of its endpoints no catalog entry features
    (a featured one missing holds the listing back as not whole)."""
    catalog = next(r for r in capture.responses if r.url == sources.CATALOG_MODELS)
    featured = {(entry.get("endpoint") or {}).get("id") for entry in catalog.body["data"]}
    for response in capture.responses:
        if response.url.startswith(ENDPOINT_LISTING) and len(response.body["data"]) > 1:
            for item in response.body["data"]:
                if item["id"] not in featured:
                    return response.url, item["id"]
    raise AssertionError("no listing with an endpoint the catalog does not feature")


def _with_listing_edited(capture: Capture, url: str, endpoint_id: str, *, drop: bool) -> Capture:
    """Return the capture with one endpoint of a listing dropped, or listed without figures."""

    def edited(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if not fields.is_endpoint_telemetry(k)}

    responses = []
    for response in capture.responses:
        if response.url == url:
            items = response.body["data"]
            kept = [
                item if item["id"] != endpoint_id else edited(item)
                for item in items
                if not (drop and item["id"] == endpoint_id)
            ]
            body = {**response.body, "data": kept}
            response = CapturedResponse(response.method, response.url, response.status, body)
        responses.append(response)
    return Capture(capture.time, capture.source, "edited", tuple(responses))


def _sync(repo: Path, capture: Capture, epoch: datetime, faults: list[Fault] | None = None) -> Any:
    """Sync a capture at an epoch, each URL tried once."""
    replay = ReplayTransport(dataclasses.replace(capture, time=epoch), faults or [])
    policy = FetchPolicy(attempts=1)
    return sync(
        repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch, policy=policy)
    )


def _telemetry(repo: Path, endpoint_id: str) -> list[dict[str, Any]]:
    """Return `archiver telemetry endpoint ID --format json`, parsed."""
    command = ["telemetry", "--repo", str(repo), "endpoint", endpoint_id, "--format", "json"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    samples: list[dict[str, Any]] = orjson.loads(result.output)
    return samples


def test_an_endpoint_gone_after_its_listing_failed_as_the_day_began_gets_a_gap(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    url, endpoint_id = _listing_and_endpoint(small_captures[2])
    assert not _sync(repo, small_captures[0], EVENING).failures
    # The day's first sync: the listing fails, the other endpoints' figures change.
    log = _sync(repo, small_captures[1], MIDNIGHT, [Fault(url, status=500)])
    assert len(log.failures) == 1 and "HTTP 500" in log.failures[0], log.failures
    # An hour later the listing answers, without the endpoint: its file goes, its series ends.
    gone = _with_listing_edited(small_captures[2], url, endpoint_id, drop=True)
    assert not _sync(repo, gone, MIDNIGHT + timedelta(hours=1)).failures
    assert not (repo / "data" / "endpoint" / f"{endpoint_id}.json").exists()
    samples = _telemetry(repo, endpoint_id)
    assert samples[0]["epoch"] == "2026-07-20T23:00:00Z" and len(samples[0]) > 1
    assert samples[-1] == {"epoch": "2026-07-21T01:00:00Z"}


def test_a_rerun_of_the_first_hour_whose_listing_failed_keeps_the_gap_found_before(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    url, endpoint_id = _listing_and_endpoint(small_captures[2])
    assert not _sync(repo, small_captures[0], EVENING).failures
    # The day's first sync finds the endpoint listed without figures: a gap, its file kept.
    bare = _with_listing_edited(small_captures[1], url, endpoint_id, drop=False)
    assert not _sync(repo, bare, MIDNIGHT).failures
    assert (repo / "data" / "endpoint" / f"{endpoint_id}.json").exists()
    # A rerun of that hour whose listing fails keeps what the earlier sync wrote for it.
    log = _sync(repo, small_captures[2], MIDNIGHT, [Fault(url, status=500)])
    assert len(log.failures) == 1 and "HTTP 500" in log.failures[0], log.failures
    samples = _telemetry(repo, endpoint_id)
    assert samples[0]["epoch"] == "2026-07-20T23:00:00Z" and len(samples[0]) > 1
    assert samples[-1] == {"epoch": "2026-07-21T00:00:00Z"}
