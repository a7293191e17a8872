"""An endpoint file a person edited so its model or id is an object stops no sync.

Every reader of an archived endpoint finds its model by `model_variant_slug` and the file by
`id`, both text in every file a sync writes. A person's commit can make either an object (a
hand edit, a bad merge). When a model's frontend listing failed, the sync reads its archived
endpoints to map the documented listing onto them, and asked `value in some_set` of both:
"unhashable type: 'dict'", and the whole hourly sync stopped on a traceback, every hour that
listing failed. Such a value names no model and no file: the endpoint is left out of the
mapping, and the sync goes on.

Real small captures cut to an eighth of the models, with their documented listings; a
person's commit; a real sync with one endpoint listing failing (500).
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from archiver.capture.faults import Fault
from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.fetch import FetchPolicy
from tests.archive_helpers import as_person
from tests.small_captures import (
    SMALL_DAILY,
    copy_archive,
    small_captures,
    some_models,
    with_models_only,
)
from tests.small_captures import eighth_base as base
from tests.test_uptime import with_extra_sources

__all__ = ["base", "small_captures"]
QUICK = FetchPolicy(backoff=0.001, max_wait=0.01)


def _listings(capture: Capture) -> dict[str, str]:
    """Return {modelKey: its endpoint listing's URL} of the non-empty listings."""
    found = {}
    for response in capture.responses:
        items = response.body.get("data") if isinstance(response.body, dict) else None
        if response.url.startswith(sources.ENDPOINT_STATS) and response.status == 200 and items:
            found[items[0]["model_variant_slug"]] = response.url
    return found


@pytest.mark.parametrize("field", ["model_variant_slug", "id"])
def test_an_endpoint_whose_reference_is_an_object_stops_no_sync(
    base: Path, small_captures: list[Capture], tmp_path: Path, field: str
) -> None:
    repo = copy_archive(base, tmp_path / "archive")
    # The next hour of the base's models, with their documented listings (the fallback a
    # failed frontend listing is read from).
    keys = some_models(small_captures[1], 8, featured=1)
    capture = with_models_only(with_extra_sources(SMALL_DAILY[1]), keys)
    listings = _listings(capture)
    failing = min(listings)
    edited = next(
        path
        for path in sorted((repo / "data" / "endpoint").rglob("*.json"))
        if orjson.loads(path.read_bytes()).get("model_variant_slug") == failing
    )
    entity = orjson.loads(edited.read_bytes())
    entity[field] = {"edited": "by hand"}
    edited.write_bytes(orjson.dumps(entity, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    as_person(repo, "commit", "-qam", "An edit by hand")

    replay = ReplayTransport(capture, (Fault(listings[failing], status=500),))
    options = SyncOptions(
        base_url=replay.base_url, transport=replay, epoch=capture.time, policy=QUICK
    )
    log = sync(repo, options)

    assert log.commit_id, log.failures
    assert any(failing in line and "500" in line for line in log.failures), log.failures
