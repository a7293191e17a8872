"""A response recorded under a URL longer than any request line is refused as it is read.

The line limit (128 MB) bounded a URL too, but not what indexing it costs: its query pairs
are split and sorted (canonical_url), and `/api/v1/models?a&a&a...` took some 80 times its
length (10 MB of it: 800 MB and 24 s), so a capture of a few hundred kB could take 10 GB
to import or replay. No server reads a request line over 64 KiB, Python's included.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import check_capture, read_capture
from archiver.cli import main
from archiver.errors import CaptureError

HEADER = b'{"capture":"2026-07-20T00:00:00Z","source":"s","note":"n"}\n'
LISTING = b'{"method":"GET","url":"%s","status":200,"body":{"data":[]}}\n'


def capture_with_url(path: Path, url: bytes) -> Path:
    """Write a gzip capture of one /api/v1/models response recorded under `url`."""
    path.write_bytes(gzip.compress(HEADER + LISTING % url))
    return path


def test_a_url_longer_than_a_request_line_is_refused(tmp_path: Path) -> None:
    url = b"/api/v1/models?" + b"a&" * 40_000
    capture = capture_with_url(tmp_path / "long.jsonl.gz", url)
    for read in (check_capture, read_capture):
        with pytest.raises(CaptureError) as caught:
            read(capture)
        assert f"response line 2: url is {len(url):,} characters, longer than" in str(caught.value)
    repo = tmp_path / "archive"
    result = CliRunner().invoke(main, ["import", "--repo", str(repo), str(capture)])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert not (repo / ".git").exists()


def test_a_url_of_the_longest_request_line_still_reads(tmp_path: Path) -> None:
    url = b"/api/v1/models?a=" + b"b" * (65_536 - 17)
    assert len(url) == 65_536
    capture = read_capture(capture_with_url(tmp_path / "long.jsonl.gz", url))
    assert capture.responses[0].url == url.decode()
