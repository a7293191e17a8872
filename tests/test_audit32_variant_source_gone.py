"""A per-variant telemetry source that answers 404 for every variant is not offered: the other
source's figures are still recorded.

A 404 for one variant, where the source answered the others, leaves that variant's figures
standing (tests/test_audit32_variant_telemetry_404.py). Taken so for every variant when the
whole source is gone (a path OpenRouter moved), it froze every variant's figures, the other
source's included, until the path was fixed: a change of effective pricing went unrecorded
because model activity was not offered. Now a source that answered no variant is read as not
offered, as before: its figures are no longer sent, and the others are recorded.
Real small captures, two real syncs twelve hours apart (every variant due each time).
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import timedelta
from pathlib import Path

from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.telemetry import series
from archiver.upstream import sources
from tests.small_captures import SMALL_DAILY, some_models, with_models_only
from tests.test_audit32_variant_telemetry_404 import first_variant


def _sync(repo: Path, capture: Capture, hours: int) -> None:
    replay = ReplayTransport(capture)
    epoch = capture.time + timedelta(hours=hours)
    sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch))


def _activity_gone(capture: Capture, url: str) -> Capture:
    """Return the capture without any model activity (404), and with the effective pricing
    at `url` changed."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url.startswith(sources.MODEL_ACTIVITY):
            continue
        if response.url == url:
            body = copy.deepcopy(body)
            body["data"]["weightedInputPrice"] = 123.5
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return dataclasses.replace(capture, responses=tuple(responses))


def test_a_source_gone_for_every_variant_leaves_the_other_recorded(tmp_path: Path) -> None:
    whole = read_capture(SMALL_DAILY[0])
    capture = with_models_only(whole, some_models(whole, 8, featured=1))
    key, variant = first_variant(capture)
    url = variant.url(sources.EFFECTIVE_PRICING)
    repo = tmp_path / "archive"
    _sync(repo, capture, 0)
    _sync(repo, _activity_gone(capture, url), 12)

    samples = series(repo, "model_variant", key)
    assert [sample["epoch"][:13] for sample in samples] == ["2026-07-17T18", "2026-07-18T06"]
    assert samples[1]["effective_pricing"]["weightedInputPrice"] == 123.5
    assert "model_activity" not in samples[1]
