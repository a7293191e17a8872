"""An endpoint's `model` field: an embedded copy of the model becomes the reference the
endpoint carries (SPEC, full fidelity); anything else upstream sends there is kept as sent.

Every real listing embeds the model object. If upstream ever sent something else (a slug,
null, a number), replacing it by the endpoint's `model_variant_slug` would hide the change:
the archive would never show that upstream had changed the field.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from archiver.capture.files import Capture
from archiver.upstream.endpoints import EndpointCollector
from archiver.upstream.fetch import Response


def _listing(capture: Capture) -> tuple[str, dict[str, Any]]:
    """Return the URL and body of the capture's first endpoint listing with endpoints."""
    return next(
        (response.url, response.body)
        for response in capture.responses
        if response.url.split("?")[0].endswith("/stats/endpoint")
        and response.status == 200
        and response.body["data"]
    )


def _archived(capture: Capture, model: Any) -> tuple[str, dict[str, Any]]:
    """Return (model_variant_slug, endpoint file) of a listing whose first endpoint's
    `model` is replaced by the given value."""
    url, body = _listing(capture)
    body = copy.deepcopy(body)
    endpoint = body["data"][0]
    endpoint["model"] = model
    collector = EndpointCollector()
    collector.add(endpoint["model_variant_slug"], Response(url, body, status=200))
    parts = collector.finish({})
    return endpoint["model_variant_slug"], orjson.loads(parts.files[endpoint["id"]])


def test_an_embedded_model_object_becomes_the_endpoint_s_reference(
    daily_capture: Capture,
) -> None:
    _, body = _listing(daily_capture)
    assert isinstance(body["data"][0]["model"], dict)  # as every real listing sends it
    slug, archived = _archived(daily_capture, body["data"][0]["model"])
    assert archived["model"] == slug


@pytest.mark.parametrize("sent", ["another/model", None, 7, ["a"], True, ""])
def test_a_model_field_that_is_no_embedded_object_is_kept_as_sent(
    daily_capture: Capture, sent: Any
) -> None:
    _, archived = _archived(daily_capture, sent)
    assert archived["model"] == sent
