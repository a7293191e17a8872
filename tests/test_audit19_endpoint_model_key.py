"""An endpoint whose model_variant_slug is not a model key is refused, never archived.

Every reader finds an endpoint's model by that key (removals, the site's model links,
prices); an endpoint archived with `null` there made `archiver site` fail for the whole
archive. Real small captures, synced in-process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from archiver.capture.files import Capture, CapturedResponse
from archiver.paths import key_to_path
from tests.archive_helpers import git, head, status_clean
from tests.small_captures import small_archive, small_base, small_captures, sync_small

__all__ = ["small_archive", "small_base", "small_captures"]

ENDPOINTS = "/api/frontend/v1/stats/endpoint?"


def _with_model_key(capture: Capture, value: Any) -> tuple[Capture, str]:
    """Return a capture whose first endpoint of the first non-empty listing has that key."""
    responses: list[CapturedResponse] = []
    edited = ""
    for response in capture.responses:
        items = response.body.get("data") if isinstance(response.body, dict) else None
        if not edited and response.url.startswith(ENDPOINTS) and items:
            edited = items[0]["id"]
            body = {
                **response.body,
                "data": [{**items[0], "model_variant_slug": value}, *items[1:]],
            }
            response = CapturedResponse(response.method, response.url, response.status, body)
        responses.append(response)
    assert edited, "the capture has no endpoint listing"
    return Capture(capture.time, capture.source, "edited", tuple(responses)), edited


@pytest.mark.parametrize("value", [None, 7, "", ["openai/gpt-4.1"]])
def test_an_endpoint_without_a_model_key_is_refused_and_its_file_kept(
    small_archive: Path, small_captures: list[Capture], value: Any
) -> None:
    edited, endpoint_id = _with_model_key(small_captures[1], value)
    path = key_to_path("endpoint", endpoint_id)
    before = git(small_archive, "show", f"HEAD:{path}")

    log = sync_small(small_archive, edited)

    assert any(
        endpoint_id in failure and "model_variant_slug" in failure for failure in log.failures
    )
    assert log.commit_id and head(small_archive) == log.commit_id
    assert git(small_archive, "show", f"HEAD:{path}") == before
    for name in git(
        small_archive, "ls-tree", "-r", "--name-only", "HEAD", "data/endpoint/"
    ).split():
        entity = orjson.loads(git(small_archive, "show", f"HEAD:{name}"))
        key_to_path("model", entity["model_variant_slug"])  # the site's link to its model
    assert status_clean(small_archive)
