"""One endpoint listed twice with the same data, its members in another order, is no conflict.

JSON objects are unordered (RFC 8259): `{"a": 1, "b": 2}` and `{"b": 2, "a": 1}` are one
value. An endpoint listed twice that way was reported as "listed twice with different
content", a failure, so every hourly sync exited 1 while upstream sent the listing so: the
endpoint's figures are held in the order upstream sent them, and two copies were compared by
those bytes. Now copies holding the same data are no conflict; which copy is kept still does
not depend on the order they came in. A real endpoint of the small captures, the real
collector and the sync's own figure packer; then a real sync.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.files import Capture, CapturedResponse
from archiver.telemetry import packer
from archiver.upstream.endpoints import EndpointCollector
from archiver.upstream.fetch import Response
from tests.small_captures import (
    first_listed_models,
    small_captures,
    sync_small,
    with_models_only,
)

__all__ = ["small_captures"]


def _reordered(value: Any) -> Any:
    """Return a JSON value with every object's members in reverse order (the same value)."""
    if isinstance(value, dict):
        return {key: _reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(item) for item in value]
    return value


def _first_endpoint(capture: Capture) -> tuple[str, dict[str, Any]]:
    """Return the URL of the first non-empty endpoint listing and its first endpoint."""
    response = next(
        r
        for r in capture.responses
        if r.url.split("?")[0].endswith("/stats/endpoint") and r.body.get("data")
    )
    return response.url, copy.deepcopy(response.body["data"][0])


@pytest.mark.parametrize("packed", [True, False], ids=["packed", "as-json"])
def test_the_same_endpoint_in_another_member_order_is_no_conflict(
    small_captures: list[Capture], packed: bool
) -> None:
    url, endpoint = _first_endpoint(small_captures[1])
    twin = _reordered(endpoint)
    assert list(twin) != list(endpoint) and twin == endpoint
    kept = []
    for copies in ([endpoint, twin], [twin, endpoint]):
        collector = EndpointCollector(packer("endpoint") if packed else None)
        collector.add(endpoint["model_variant_slug"], Response(url, {"data": copies}, status=200))
        parts = collector.finish({})

        assert collector.problems == []
        kept.append((parts.files, parts.telemetry))
    assert kept[0] == kept[1]  # Whichever came first.


def test_a_sync_of_such_a_listing_reports_no_failure(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    capture = with_models_only(small_captures[1], first_listed_models(small_captures[1], 1))
    url, endpoint = _first_endpoint(capture)
    responses = tuple(
        CapturedResponse(
            r.method, r.url, r.status, {**r.body, "data": [*r.body["data"], _reordered(endpoint)]}
        )
        if r.url == url
        else r
        for r in capture.responses
    )
    doubled = Capture(capture.time, capture.source, "doubled", responses)

    log = sync_small(tmp_path / "archive", doubled)

    assert log.commit_id and not [f for f in log.failures if "listed twice" in f], log.failures
