"""`FetchPolicy(concurrency=0)` from the library.

The command line takes 1 to 64 requests at once; the library took any number. With none,
every request waited for a slot until the sync's deadline (twenty minutes, holding the
repository's lock; with `deadline=None`, for ever), and a negative count raised asyncio's
ValueError. Such a policy is now refused where it is made, before any sync starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import archiver
from archiver.capture.files import Capture
from tests.small_captures import small_daily, with_models_only


@pytest.mark.parametrize("concurrency", [0, -1, 0.5, float("nan"), None, "8"])
def test_a_policy_with_no_slot_is_refused(concurrency: Any) -> None:
    with pytest.raises(archiver.ArchiverError, match="concurrency") as raised:
        archiver.FetchPolicy(concurrency=concurrency, deadline=None)
    assert "\n" not in str(raised.value)


def test_a_sync_with_one_slot_still_runs(tmp_path: Path) -> None:
    capture: Capture = with_models_only(small_daily()[0], {"openai/gpt-4.1"})
    replay = archiver.ReplayTransport(capture)
    policy = archiver.FetchPolicy(concurrency=1, deadline=None)
    options = archiver.SyncOptions(
        base_url=replay.base_url, transport=replay, epoch=capture.time, policy=policy
    )
    assert archiver.sync(tmp_path / "archive", options).commit_id is not None
