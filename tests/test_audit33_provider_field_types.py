"""A provider-level field one endpoint sends as 0 where the provider record holds false is
kept in that endpoint's file, not lost.

An endpoint whose embedded `provider_info` differs from its provider's record keeps the
differing fields in its own file, so the upstream object is rebuilt exactly. Which fields
differed was decided with Python's `!=`, for which false == 0 == 0.0: an endpoint sending
`moderationRequired: 0` beside others sending `false` kept nothing, and its file read back as
`false`, a value upstream never sent it (and its file did not change when upstream's did).
Now the fields are compared as bytes, as every other choice between upstream values is.
Real small captures cut to the models of one provider's endpoints, a real sync.
"""

from __future__ import annotations

import copy
from pathlib import Path

import orjson

from archiver.capture.files import Capture, CapturedResponse
from archiver.jsonvalue import loads
from archiver.paths import key_to_path
from archiver.upstream import sources
from archiver.upstream.endpoints import rebuilt_provider_info
from tests.small_captures import small_captures, sync_small, with_models_only

__all__ = ["small_captures"]
FIELD = "moderationRequired"


def _provider_listings(capture: Capture) -> tuple[str, set[str]]:
    """Return a provider whose endpoints three listings or more hold (all sending `false`
    as FIELD), and those listings' model keys."""
    held: dict[str, set[str]] = {}
    for response in capture.responses:
        if response.url.startswith(sources.ENDPOINT_STATS) and response.body["data"]:
            for endpoint in response.body["data"]:
                info = endpoint["provider_info"]
                if info.get(FIELD) is False:
                    held.setdefault(info["slug"], set()).add(endpoint["model_variant_slug"])
    slug = min(slug for slug in held if len(held[slug]) >= 3)
    return slug, held[slug]


def _with_zero(capture: Capture, slug: str) -> tuple[Capture, dict[str, bytes]]:
    """Return the capture with the provider's first endpoint sending FIELD as 0, and each of
    the provider's endpoints' upstream `provider_info` as bytes, keys sorted."""
    responses: list[CapturedResponse] = []
    sent: dict[str, bytes] = {}
    for response in capture.responses:
        body = response.body
        if response.url.startswith(sources.ENDPOINT_STATS):
            body = copy.deepcopy(body)
            for endpoint in body["data"]:
                info = endpoint["provider_info"]
                if info["slug"] == slug:
                    if not sent:
                        info[FIELD] = 0
                    sent[endpoint["id"]] = orjson.dumps(info, option=orjson.OPT_SORT_KEYS)
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return Capture(capture.time, capture.source, "edited", tuple(responses)), sent


def test_an_endpoint_sending_zero_for_false_keeps_its_zero(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    slug, models = _provider_listings(small_captures[1])
    edited, sent = _with_zero(with_models_only(small_captures[1], models), slug)
    assert len(sent) >= 3 and b'"moderationRequired":0' in next(iter(sent.values()))
    repo = tmp_path / "archive"

    assert sync_small(repo, edited).commit_id
    assert not sync_small(repo, edited).commit_id  # The same body again: no change.

    record = loads((repo / key_to_path("provider", slug)).read_bytes())["provider_info"]
    rebuilt = {
        endpoint_id: orjson.dumps(
            rebuilt_provider_info(
                loads((repo / key_to_path("endpoint", endpoint_id)).read_bytes()), record
            ),
            option=orjson.OPT_SORT_KEYS,
        )
        for endpoint_id in sent
    }
    assert rebuilt == sent
