"""An endpoint whose model_variant_slug is not a model key is refused, never archived.

Every reader finds an endpoint's model by that key (removals, the site's model links,
prices); an endpoint archived with `null` there made `archiver site` fail for the whole
archive. Real small captures, synced in-process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

import tests.small_captures as small
from archiver.capture.files import Capture
from archiver.paths import key_to_path
from tests.archive_helpers import git, head, status_clean
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]


BAD_KEYS: list[Any] = [None, 7, "", ["openai/gpt-4.1"]]


def _setting_model_key(value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Return an edit that gives an endpoint this model_variant_slug."""
    return lambda endpoint: {**endpoint, "model_variant_slug": value}


# One sync meets every bad key (each in its own listing): the refusal is per endpoint, so
# each is checked on its own all the same.
def test_an_endpoint_without_a_model_key_is_refused_and_its_file_kept(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    edits = [_setting_model_key(value) for value in BAD_KEYS]
    edited, endpoint_ids = small.with_first_endpoints_edited(small_captures[1], edits)
    paths = [key_to_path("endpoint", endpoint_id) for endpoint_id in endpoint_ids]
    before = [git(small_archive, "show", f"HEAD:{path}") for path in paths]

    log = small.sync_small(small_archive, edited)

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
