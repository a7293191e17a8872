"""A `:free` variant shown without its featured endpoint leaves its base model's file alone.

The catalog lists a model's `:free` variant as a second entry with the same `slug`; only
its featured endpoint's `model_variant_slug` tells it apart. Shown for an hour with
`endpoint: null`, it is keyed by its slug, the base model's key: of the two copies the
smaller was kept, the variant's, and the base model's file took its name ("... (free)")
and its null endpoint, a change made by another entity.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.paths import key_to_path
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.entities import catalog_key
from tests.small_captures import SMALL_DAILY, some_models, with_models_only


def _sync(repo: Path, capture: Capture, hours: int) -> None:
    replay = ReplayTransport(capture)
    epoch = capture.time + timedelta(hours=hours)
    sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch))


def _variant_pairs(capture: Capture) -> dict[str, str]:
    """Return {variant: base} of the catalog entries that share a slug."""
    catalog = next(r for r in capture.responses if r.url == sources.CATALOG_MODELS)
    keys = {catalog_key(entry): entry["slug"] for entry in catalog.body["data"]}
    return {key: slug for key, slug in keys.items() if key != slug and slug in keys}


def _without_featured_endpoint(capture: Capture, keys: set[str]) -> Capture:
    """Return the capture with the catalog showing these models with `endpoint: null`."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url == sources.CATALOG_MODELS:
            body = copy.deepcopy(body)
            for entry in body["data"]:
                if catalog_key(entry) in keys:
                    entry["endpoint"] = None
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return replace(capture, responses=tuple(responses))


def test_the_base_model_keeps_its_file_when_its_variant_loses_its_endpoint(
    tmp_path: Path,
) -> None:
    whole = read_capture(SMALL_DAILY[0])
    pairs = _variant_pairs(whole)
    # Each pair's copies sort one way or the other: with every pair, some variant's first.
    assert len(pairs) > 1
    capture = with_models_only(whole, some_models(whole, 8) | {*pairs, *pairs.values()})
    repo = tmp_path / "archive"
    _sync(repo, capture, 0)
    paths = [repo / key_to_path("model", base) for base in sorted(pairs.values())]
    before = [path.read_bytes() for path in paths]

    _sync(repo, _without_featured_endpoint(capture, set(pairs)), 1)
    assert [path.read_bytes() for path in paths] == before
