"""`import_captures(repo, "capture.jsonl.gz")`: one capture given as itself.

Text was iterated a character at a time ("/: not a regular file (a pipe?)"), and a Path
raised TypeError ('PosixPath' object is not iterable). One path now imports that capture.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import archiver
from archiver.times import hour_epoch
from tests.small_captures import SMALL_V1_MODELS


@pytest.mark.parametrize("given", [str, Path, lambda path: [path]])
def test_one_path_imports_that_capture(tmp_path: Path, given: Callable[[Path], Any]) -> None:
    capture = SMALL_V1_MODELS[0]
    logs = archiver.import_captures(tmp_path / "archive", given(capture))
    assert [log.epoch for log in logs] == [hour_epoch(archiver.read_capture(capture).time)]
    assert logs[0].commit_id is not None
