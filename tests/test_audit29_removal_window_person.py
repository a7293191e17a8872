"""A person's commit on top of the last sync no longer erases the removal guard's memory.

The guard compares each part with its largest size of the last 7 days, which travels in
the sync commit's `Sync-Part-Peaks` trailer, so that a listing shrinking a little every
hour cannot empty the archive. It was read from HEAD alone: after any other commit (a
person's edit, an `update-code` merge) the next sync found no window, compared with its own
start, and a v1 listing that lost 5 of 92 models and then 5 more went through (10 below the
peak, where 9 is the most the default share allows), the peak forgotten for good. Now the
newest sync commit on HEAD's first-parent line is read.

The listings served over HTTP by the replay server from the small real captures.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.paths import key_to_path
from archiver.times import format_epoch
from tests.archive_helpers import git
from tests.small_captures import small_archive, small_base, small_captures
from tests.test_sync import files_at

__all__ = ["small_archive", "small_base", "small_captures"]

V1_MODELS = "/api/v1/models"
# 5 fewer each sync: within the default share of 92 (at most 9 below the peak) once, not twice.
STEP = 5


def _v1_shortened(capture: Capture, count: int, hours: int) -> Capture:
    """Return the capture, `hours` later, with its v1 listing's last `count` models left out."""
    responses = tuple(
        dataclasses.replace(r, body={**r.body, "data": r.body["data"][:-count]})
        if r.url == V1_MODELS
        else r
        for r in capture.responses
    )
    return dataclasses.replace(
        capture, time=capture.time + timedelta(hours=hours), responses=responses
    )


def _sync(repo: Path, capture: Capture) -> tuple[int, str]:
    """Run `archiver sync` against the capture served over HTTP; return (exit code, stderr)."""
    with ReplayServer(capture) as server:
        command = ["sync", "--repo", str(repo), "--base-url", server.base_url]
        result = CliRunner().invoke(main, [*command, "--epoch", format_epoch(capture.time)])
    return result.exit_code, result.stderr


def _v1_ids(capture: Capture) -> list[str]:
    """Return the model ids of the capture's v1 listing, in order."""
    v1 = next(r for r in capture.responses if r.url == V1_MODELS)
    return [item["id"] for item in v1.body["data"]]


def test_a_persons_commit_keeps_the_removal_window(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    first = small_captures[0]
    ids = _v1_ids(first)
    assert len(ids) == 92  # The default share lets the part end at most 9 below 92.

    code, stderr = _sync(small_archive, _v1_shortened(first, STEP, hours=1))
    assert code == 0, stderr
    # A person's commit on top of the sync, outside data/ (an update-code merge is one too).
    (small_archive / "NOTES.md").write_text("what this archive is for\n")
    git(small_archive, "add", "NOTES.md")
    git(small_archive, "commit", "-q", "-m", "Notes")
    before = files_at(small_archive, "HEAD")

    code, stderr = _sync(small_archive, _v1_shortened(first, 2 * STEP, hours=2))

    assert code == 1, stderr
    failed = [line.strip() for line in stderr.splitlines() if "FAILED:" in line]
    assert failed == [
        f"FAILED: model v1: would remove {STEP}, leaving {92 - 2 * STEP} of the 92 it held in "
        "the last 7 days (over 10% fewer); removed none, kept the archived ones"
    ]
    after = files_at(small_archive, "HEAD")
    for key in ids[-2 * STEP : -STEP]:
        path = key_to_path("model", key)
        assert "v1" in json.loads(after[path]), key
        assert after[path] == before[path]
