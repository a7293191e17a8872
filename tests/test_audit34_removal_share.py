"""A removal guard given NaN, or a share as text.

`max_removal_share` bounds what one sync may remove from a part (a half-empty listing must
not empty the archive). NaN compares false with every count, so the guard never held: a
listing of half the models removed the other half. `--max-removal-share nan` passed
click's FloatRange(0, 1) the same way. Text raised TypeError once the fetch was done.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import archiver
from archiver.cli import main
from tests.small_captures import small_daily, some_models, with_models_only


def _head(repo: Path) -> str:
    command = ["git", "-C", str(repo), "rev-parse", "HEAD"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("share", [float("nan"), "0.1", -0.5, 1.5, None])
def test_a_share_that_is_none_is_refused(share: Any) -> None:
    with pytest.raises(archiver.ArchiverError, match="max_removal_share") as raised:
        archiver.SyncOptions(max_removal_share=share)
    assert "\n" not in str(raised.value)


def test_nan_never_lets_a_half_listing_remove_the_rest(tmp_path: Path) -> None:
    first, second = small_daily()[:2]
    keys = sorted(some_models(first, 10))
    repo = tmp_path / "archive"
    replay = archiver.ReplayTransport(with_models_only(first, set(keys)))
    archiver.sync(repo, archiver.SyncOptions(base_url=replay.base_url, transport=replay))
    before = _head(repo)
    half = with_models_only(second, set(keys[: len(keys) // 2]))
    replay = archiver.ReplayTransport(half)
    with pytest.raises(archiver.ArchiverError):
        options = archiver.SyncOptions(
            base_url=replay.base_url, transport=replay, max_removal_share=float("nan")
        )
        archiver.sync(repo, options)
    assert _head(repo) == before
    command = ["sync", "--repo", str(repo), "--retries", "0", "--max-removal-share", "nan"]
    # Refused before any request; a port nothing listens on, should one be made.
    result = CliRunner().invoke(main, command, env={"ARCHIVER_BASE_URL": "http://127.0.0.1:9"})
    assert result.exit_code in (2, 3), result.output  # Refused by the option or the options.
    assert _head(repo) == before
