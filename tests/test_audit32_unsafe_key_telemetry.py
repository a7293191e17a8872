"""The figures of an entity whose key cannot be archived are not archived either.

SPEC: "a key that would escape data/ (`..`, absolute, NUL, over-long) is rejected with a
clear error and never written". A sync refused such an endpoint's file (and a model's), yet
wrote its telemetry: a series keyed `../evil`, `a\\u0000b` or 300 characters under
data/telemetry/, for an entity the archive does not hold, read back by `archiver telemetry`
and exported. Now the key is skipped there too, with a line in the sync's log.
A real small archive: one real sync of a cut small capture, edited.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from archiver.archive.synclog import SyncLog
from archiver.capture.files import Capture, CapturedResponse
from archiver.upstream import sources
from tests.small_captures import (
    small_captures,
    some_models,
    sync_small,
    with_first_endpoints_edited,
    with_models_only,
)

__all__ = ["small_captures"]
UNSAFE = ["../evil", "a\x00b", "z" * 300]


def _with_v1_model(capture: Capture, model_id: str) -> Capture:
    """Return the capture with one more /api/v1/models entry, a copy of one that carries
    design_arena (model telemetry) under another id."""
    responses: list[CapturedResponse] = []
    for response in capture.responses:
        if response.url == sources.V1_MODELS:
            models: list[dict[str, Any]] = response.body["data"]
            model = next(m for m in models if "design_arena" in (m.get("benchmarks") or {}))
            body = {**response.body, "data": [*models, {**model, "id": model_id}]}
            response = CapturedResponse(response.method, response.url, response.status, body)
        responses.append(response)
    return Capture(capture.time, capture.source, "one more model", tuple(responses))


@pytest.fixture(scope="module")
def synced(
    tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]
) -> tuple[Path, SyncLog]:
    """Return (an archive of one sync of an edited cut capture, that sync's log)."""
    capture = with_models_only(small_captures[0], some_models(small_captures[1], 8, featured=3))
    edits = [lambda item, key=key: {**item, "id": key} for key in UNSAFE]
    capture = _with_v1_model(with_first_endpoints_edited(capture, edits)[0], "../model")
    repo = tmp_path_factory.mktemp("unsafe-telemetry") / "archive"
    return repo, sync_small(repo, capture)


def test_no_telemetry_is_written_for_a_key_that_cannot_be_archived(
    synced: tuple[Path, SyncLog],
) -> None:
    repo, log = synced
    assert log.commit_id
    for key in [*UNSAFE, "../model"]:
        assert any(
            f"refusing {'model' if 'model' in key else 'endpoint'} key" in line
            and repr(key)[:40] in line
            for line in log.failures
        ), key
    written = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "grep",
            "-c",
            "-F",
            "-e",
            "../",
            "-e",
            "zzzzzzzzzz",
            "-e",
            "a\\u0000b",
            "HEAD",
            "--",
            "data/telemetry",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert written.stdout == "", written.stdout
    # The other keys' figures are there, and the skipped ones are said.
    assert log.telemetry_samples > 0
    assert any(
        "a key no entity can be archived under was skipped (3 keys" in line for line in log.failures
    ), log.failures
    assert any(
        "model telemetry: a key no entity can be archived under" in line for line in log.failures
    ), log.failures
