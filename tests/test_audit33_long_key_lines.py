"""A model key too long to archive is named by its start and length, not whole, in each line.

Such a key is refused in one short line (archiver.paths cuts it), but every other line about
the model named it whole: each of its endpoints' refusals ("endpoints of <key>: ..."), its
documented listing's failure and the telemetry lines' example. A 70,000-character key made
some thirty lines of 70 KB in the sync's output and in every hour's commit message. A key
short enough to archive is still named whole. Uses the capture of test_audit33_long_urls.
"""

from __future__ import annotations

from pathlib import Path

from archiver.capture.files import Capture
from archiver.telemetry.checks import Problems
from archiver.textsafe import key_text
from tests.small_captures import small_captures, sync_small
from tests.test_audit33_long_urls import HUGE, _with_value, two_models

__all__ = ["small_captures", "two_models"]  # the fixtures, used here


def test_every_line_about_a_huge_model_key_is_short(
    two_models: tuple[Capture, str, str, str], tmp_path: Path
) -> None:
    capture, key, _, _ = two_models
    huge_key = "y" * HUGE + "/a"
    log = sync_small(tmp_path / "archive", _with_value(capture, key, huge_key))
    assert len(log.failures) >= 2
    assert all(len(line) < 1_000 for line in log.failures), [len(f) for f in log.failures]
    endpoints = [line for line in log.failures if line.startswith("endpoints of yyy")]
    assert endpoints and all(f"({HUGE + 2:,} characters)" in line for line in endpoints)


def test_the_telemetry_lines_example_of_a_huge_key_is_cut() -> None:
    problems = Problems()
    skipped = "a key no entity can be archived under was skipped"
    problems.add("model", skipped, repr("y" * HUGE), written=False)
    (line,) = problems.lines(written=False)
    assert len(line) < 300 and f"({HUGE + 2:,} characters)" in line


def test_a_key_an_archive_can_hold_is_named_whole() -> None:
    key = "a/" + "b" * 238
    assert key_text(key) == key
    assert key_text(key + "c") == f"{key[:80]}... (241 characters)"
