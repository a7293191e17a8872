"""No documented listing is asked for a model key no file can be archived under.

A catalog key with `..` segments is refused, and so are its endpoints; its listing, never
whole, had its documented listing asked every sync, at `/api/v1/models/<key>/endpoints`,
which the HTTP client sends with the dot segments resolved: `zz/../../../v1/providers`
asked for `/api/v1/providers/endpoints`, `a/../b` for model b's listing, and nothing could
ever be kept of the answer. The in-process replay logs the URLs as sent. Uses the capture
of test_audit33_long_urls.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from tests.small_captures import small_captures
from tests.test_audit33_long_urls import _with_value, two_models

__all__ = ["small_captures", "two_models"]  # the fixtures, used here


def test_a_key_with_dot_segments_gets_no_documented_request(
    two_models: tuple[Capture, str, str, str], tmp_path: Path
) -> None:
    capture, key, _, other = two_models
    replay = ReplayTransport(_with_value(capture, key, "zz/../../../v1/providers"))
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time)
    log = sync(tmp_path / "archive", options)
    assert any(line.startswith("refusing model key 'zz/../") for line in log.failures)
    paths = [urlsplit(url).path for url in replay.requests]
    assert "/api/v1/providers/endpoints" not in paths
    assert all(".." not in path for path in paths)
    assert (tmp_path / "archive" / "data" / "model" / f"{other}.json").is_file()
