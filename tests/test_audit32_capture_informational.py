"""A 1xx status is never a recorded answer: replayed, a client waited for the one after it.

A capture line or a fault with status 100-199 was accepted, then served as the only reply:
httpx read 100 or 103 as an interim response and waited for the final one until its read
timeout (a sync over the replay server lost 30 s a try), and failed at 101's switch.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import check_capture, read_capture
from archiver.capture.replay import parse_fault
from archiver.cli import main
from archiver.errors import CaptureError

HEADER = '{"capture":"2026-07-19T00:00:00Z","source":"s","note":"n"}\n'


@pytest.mark.parametrize("status", [100, 101, 103, 199])
def test_a_capture_recording_an_informational_status_is_refused(
    tmp_path: Path, status: int
) -> None:
    path = tmp_path / "informational.jsonl"
    path.write_text(
        HEADER
        + '{"method":"GET","url":"/api/v1/models","status":200,"body":{"data":[]}}\n'
        + f'{{"method":"GET","url":"/a","status":{status},"body":1}}\n'
    )
    for read in (read_capture, check_capture):
        with pytest.raises(CaptureError) as caught:
            read(path)
        assert f"response line 3: status {status} is informational (1xx)" in str(caught.value)
    result = CliRunner().invoke(main, ["import", "--repo", str(tmp_path / "archive"), str(path)])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "archive" / ".git").exists()


def test_a_status_200_still_reads() -> None:
    assert parse_fault("/x,status=200").status == 200


@pytest.mark.parametrize("status", [100, 101, 102])
def test_an_informational_fault_status_is_refused(status: int) -> None:
    with pytest.raises(ValueError, match=f"fault status {status} is informational"):
        parse_fault(f"/x,status={status}")
