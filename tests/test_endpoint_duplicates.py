"""One endpoint id listed twice in one listing: the copy kept must not depend on the order
upstream sent them, nor on how the sync holds each copy's figures (packed or as JSON)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from archiver.capture.files import Capture
from archiver.telemetry import packer
from archiver.upstream.endpoints import EndpointCollector, PackFigures
from archiver.upstream.fetch import Response
from archiver.upstream.fields import is_endpoint_telemetry


def _kept(
    capture: Capture, copies: list[dict[str, Any]], pack: PackFigures | None
) -> tuple[Any, list[str]]:
    """Return the figures kept for the twice-listed endpoint, and the listing's problems."""
    url = next(r.url for r in capture.responses if r.url.split("?")[0].endswith("/endpoint"))
    collector = EndpointCollector(pack)
    model_key = copies[0]["model_variant_slug"]
    collector.add(model_key, Response(url, {"data": copies}, status=200))
    parts = collector.finish({})
    return parts.telemetry.get(copies[0]["id"]), collector.problems


@pytest.mark.parametrize("packed", [True, False], ids=["packed", "as-json"])
def test_a_copy_without_figures_is_kept_whatever_the_order(
    daily_capture: Capture, packed: bool
) -> None:
    endpoint = next(
        item
        for response in daily_capture.responses
        if response.url.split("?")[0].endswith("/stats/endpoint") and response.status == 200
        for item in response.body["data"]
    )
    bare = {k: v for k, v in copy.deepcopy(endpoint).items() if not is_endpoint_telemetry(k)}
    assert bare != endpoint  # the real endpoint has figures
    for order in ([endpoint, bare], [bare, endpoint]):
        figures, problems = _kept(daily_capture, order, packer("endpoint") if packed else None)
        # Same file, same provider: the figures decide, and none sort first.
        assert figures is None
        assert any("listed twice" in line for line in problems), problems
