"""No per-variant telemetry is asked for a model key no file can be archived under.

Such a key never gets a file, so its variant was never known to the schedule and was due
every hour: two requests an hour (effective pricing, model activity) for figures the
telemetry store then skipped, with a failure line each time, where an archived variant is
asked twice a day. Uses the capture of test_audit33_long_urls; the in-process replay logs
the URLs asked.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from tests.small_captures import small_captures
from tests.test_audit33_long_urls import _with_value, two_models

__all__ = ["small_captures", "two_models"]  # the fixtures, used here


def test_a_refused_model_key_gets_no_variant_telemetry_request(
    two_models: tuple[Capture, str, str, str], tmp_path: Path
) -> None:
    capture, key, permaslug, _ = two_models
    replay = ReplayTransport(_with_value(capture, key, "zz/../x"))
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time)
    log = sync(tmp_path / "archive", options)
    assert any(line.startswith("refusing model key 'zz/../x'") for line in log.failures)
    asked = [urlsplit(url) for url in replay.requests]
    per_variant = {sources.EFFECTIVE_PRICING, sources.MODEL_ACTIVITY}
    assert not [
        url
        for url in asked
        if url.path in per_variant and parse_qs(url.query)["permaslug"] == [permaslug]
    ]
    assert any(url.path in per_variant for url in asked)  # the other model's still are
    assert not [line for line in log.failures if line.startswith("model_variant telemetry")]
