"""A failed listing does not decide which provider record the provider file keeps (audit, soak).

A provider's record changing upstream reaches its models' endpoint listings hours apart.
While one listing still sends the old record, the provider file keeps it and the endpoints
sending the new one note the difference (data/README.md, "References instead of copies").
When the listing still sending the old record failed for an hour, no listed endpoint carried
it: the file switched to the new record then, and the lagging endpoint, back an hour later
and unchanged upstream, was rewritten with the old record as its own difference, and again
when upstream caught up: versions made by one failed request, which a fault-free archive
never has. An endpoint kept because its listing failed now still carries its record while
the change is under way (another endpoint carried the new record last sync); a record that
changed everywhere at once is taken, whichever listing failed.

Two real models of the small capture sharing one provider (inflection).
"""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.faults import Fault
from archiver.capture.files import Capture, CapturedResponse
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.upstream.fetch import FetchPolicy
from tests.small_captures import ENDPOINT_LISTING, small_daily, with_models_only

FIRST, LAGGING = "inflection/inflection-3-pi", "inflection/inflection-3-productivity"
# A failing listing is retried as a live one would be, without the waits.
QUICK = FetchPolicy(backoff=0.001, max_wait=0.01)


@pytest.fixture(scope="module")
def cut() -> Capture:
    """Return the first small capture cut to the two models."""
    return with_models_only(small_daily()[0], {FIRST, LAGGING})


def _listing_url(capture: Capture, model_key: str) -> str:
    return next(
        r.url
        for r in capture.responses
        if r.url.startswith(ENDPOINT_LISTING)
        and any(e.get("model_variant_slug") == model_key for e in r.body.get("data") or [])
    )


def _moved(capture: Capture, hours: int, models: set[str]) -> Capture:
    """Return the capture `hours` later, the provider's headquarters moved in these models'
    listings (the others still send the old record)."""
    responses = []
    for r in capture.responses:
        body: Any = r.body
        items = body.get("data") if isinstance(body, dict) else None
        if r.url.startswith(ENDPOINT_LISTING) and items:
            body = copy.deepcopy(body)
            for item in body["data"]:
                if item.get("model_variant_slug") in models:
                    item["provider_info"]["headquarters"] = "ZZ"
        responses.append(CapturedResponse(r.method, r.url, r.status, body))
    return Capture(capture.time + timedelta(hours=hours), capture.source, "moved", tuple(responses))


def _sync(repo: Path, capture: Capture, faults: list[Fault]) -> None:
    replay = ReplayTransport(capture, faults)
    options = SyncOptions(
        base_url=replay.base_url, transport=replay, epoch=capture.time, policy=QUICK
    )
    sync(repo, options)


def _entity_files(repo: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(repo)): path.read_bytes()
        for category in ("model", "endpoint", "provider")
        for path in (repo / "data" / category).rglob("*.json")
    }


def test_a_failed_listing_leaves_the_provider_record_as_a_fault_free_sync_does(
    cut: Capture, tmp_path: Path
) -> None:
    lagging = [Fault(_listing_url(cut, LAGGING), status=502)]
    hours = [
        (_moved(cut, 1, {FIRST}), []),
        (_moved(cut, 2, {FIRST}), lagging),  # The lagging listing fails for an hour.
        (_moved(cut, 3, {FIRST}), []),
        (_moved(cut, 4, {FIRST, LAGGING}), []),
    ]
    clean, faulty = tmp_path / "clean", tmp_path / "faulty"
    for repo in (clean, faulty):
        _sync(repo, cut, [])
    for hour, (capture, faults) in enumerate(hours, 1):
        _sync(clean, capture, [])
        _sync(faulty, capture, faults)
        assert _entity_files(faulty) == _entity_files(clean), f"hour {hour}"
    provider = (clean / "data" / "provider" / "inflection.json").read_text()
    assert '"headquarters": "ZZ"' in provider  # Upstream caught up: the new record is kept.


def test_a_record_changed_everywhere_at_once_is_taken_though_a_listing_failed(
    cut: Capture, tmp_path: Path
) -> None:
    # No change under way last sync: the failed listing's old record is no evidence, and
    # keeping it would have every endpoint of the provider note the new one for an hour.
    lagging = [Fault(_listing_url(cut, LAGGING), status=502)]
    hours = [
        (_moved(cut, 1, {FIRST, LAGGING}), lagging),
        (_moved(cut, 2, {FIRST, LAGGING}), []),
    ]
    clean, faulty = tmp_path / "clean", tmp_path / "faulty"
    for repo in (clean, faulty):
        _sync(repo, cut, [])
    for hour, (capture, faults) in enumerate(hours, 1):
        _sync(clean, capture, [])
        _sync(faulty, capture, faults)
        assert _entity_files(faulty) == _entity_files(clean), f"hour {hour}"
