"""An endpoint whose id no file can be archived under gets no uptime request.

Its endpoint is refused (one short line) and its figures would be skipped, yet its uptime
window was still asked for once a day: with a 70,000-character id the URL was one no client
sends, which ended the sync in a traceback (before test_audit33_long_urls' fix) and then
failed in a 70 KB line naming the whole id. Uses the capture of test_audit33_long_urls.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from archiver.capture.files import Capture
from archiver.upstream import sources
from archiver.upstream.uptime import uptime_schedule_at
from tests.small_captures import small_captures, sync_small
from tests.test_audit33_long_urls import HUGE, _with_value, two_models

__all__ = ["small_captures", "two_models"]  # the fixtures, used here


def test_an_unarchivable_endpoint_id_is_not_asked_for_its_uptime(
    two_models: tuple[Capture, str, str, str], tmp_path: Path
) -> None:
    capture, key, permaslug, _ = two_models
    url = sources.variant_url(sources.ENDPOINT_STATS, permaslug, "standard")
    listing = next(r for r in capture.responses if r.url == url)
    huge_id = "x" * HUGE
    edited = _with_value(capture, listing.body["data"][0]["id"], huge_id)
    # The hour at which a first sync asks for that id's window.
    hours = [capture.time + timedelta(hours=n) for n in range(24)]
    due = next(hour for hour in hours if uptime_schedule_at(None, hour).due(huge_id))
    log = sync_small(tmp_path / "archive", dataclasses.replace(edited, time=due))
    assert all(len(line) < 1_000 for line in log.failures + log.notes)
    assert not [line for line in log.failures if line.startswith("uptime window")]
    assert any(line.startswith("refusing endpoint key 'xxx") for line in log.failures)
    # Its model and the other model's endpoint are archived all the same.
    assert (tmp_path / "archive" / "data" / "model" / f"{key}.json").is_file()
    assert list((tmp_path / "archive" / "data" / "endpoint").iterdir())
