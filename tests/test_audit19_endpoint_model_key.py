"""An endpoint whose model_variant_slug is not a model key is refused, never archived.

Every reader finds an endpoint's model by that key (removals, the site's model links,
prices); an endpoint archived with `null` there made `archiver site` fail for the whole
archive. Real small captures, synced in-process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from archiver.capture.files import Capture, CapturedResponse
from archiver.paths import key_to_path
from tests.archive_helpers import git, head, status_clean
from tests.small_captures import small_archive, small_base, small_captures, sync_small

__all__ = ["small_archive", "small_base", "small_captures"]

ENDPOINTS = "/api/frontend/v1/stats/endpoint?"


BAD_KEYS: list[Any] = [None, 7, "", ["openai/gpt-4.1"]]


def _with_model_keys(capture: Capture, values: list[Any]) -> tuple[Capture, list[str]]:
    """Return a capture whose first endpoint in each of the first non-empty listings has one
    of these keys (one listing a value), and those endpoints' ids."""
    responses: list[CapturedResponse] = []
    edited: list[str] = []
    for response in capture.responses:
        items = response.body.get("data") if isinstance(response.body, dict) else None
        if len(edited) < len(values) and response.url.startswith(ENDPOINTS) and items:
            value = values[len(edited)]
            edited.append(items[0]["id"])
            body = {
                **response.body,
                "data": [{**items[0], "model_variant_slug": value}, *items[1:]],
            }
            response = CapturedResponse(response.method, response.url, response.status, body)
        responses.append(response)
    assert len(edited) == len(values), "the capture has too few endpoint listings"
    return Capture(capture.time, capture.source, "edited", tuple(responses)), edited


# One sync meets every bad key (each in its own listing): the refusal is per endpoint, so
# each is checked on its own all the same.
def test_an_endpoint_without_a_model_key_is_refused_and_its_file_kept(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    edited, endpoint_ids = _with_model_keys(small_captures[1], BAD_KEYS)
    paths = [key_to_path("endpoint", endpoint_id) for endpoint_id in endpoint_ids]
    before = [git(small_archive, "show", f"HEAD:{path}") for path in paths]

    log = sync_small(small_archive, edited)

    for endpoint_id in endpoint_ids:
        assert any(
            endpoint_id in failure and "model_variant_slug" in failure for failure in log.failures
        ), endpoint_id
    assert log.commit_id and head(small_archive) == log.commit_id
    assert [git(small_archive, "show", f"HEAD:{path}") for path in paths] == before
    for name in git(
        small_archive, "ls-tree", "-r", "--name-only", "HEAD", "data/endpoint/"
    ).split():
        entity = orjson.loads(git(small_archive, "show", f"HEAD:{name}"))
        key_to_path("model", entity["model_variant_slug"])  # the site's link to its model
    assert status_clean(small_archive)
