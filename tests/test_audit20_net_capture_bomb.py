"""`archiver import` of a capture that is a gzip bomb stops at one line, in bounded memory.

A capture is gzipped JSON lines. A few hundred kB can inflate to one line of hundreds of
MB without a newline, and the reader took each line whole: importing such a file (a
capture recorded from a hostile server, or made to look like one) took memory in
proportion. Now no line is read past the longest a sync keeps. A real archive, the
command line in its own process so that its peak memory is its own.
"""

from __future__ import annotations

import gzip
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import orjson

from archiver.capture.files import MAX_LINE_BYTES
from tests.archive_helpers import RUN_WITH_PEAK_RSS, commit_count, head
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

MIB = 1 << 20
# Past the line limit by enough that reading the line whole shows in the peak.
BOMB_BYTES = MAX_LINE_BYTES + 256 * MIB
# What the command may take besides one line of the limit: interpreter, imports, and the
# reader's own copy of that line (measured: 290 MB in all; reading the bomb whole, 860 MB).
OVERHEAD_MB = 300
HANG_GUARD_S = 300


def write_bomb(path: Path, capture_time: str) -> Path:
    """Write a gzip capture: a valid header, then one line of BOMB_BYTES zeros (no newline),
    made of one compressed MiB repeated, so it is never held in memory here."""
    header = orjson.dumps({"capture": capture_time, "source": "bomb", "note": "n"}) + b"\n"
    # Raw deflate, full flushes: each piece ends on a byte boundary and can be repeated.
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    zeros = bytes(MIB)
    crc = zlib.crc32(header)
    with path.open("wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")  # gzip member header
        out.write(squeeze.compress(header) + squeeze.flush(zlib.Z_FULL_FLUSH))
        segment = squeeze.compress(zeros) + squeeze.flush(zlib.Z_FULL_FLUSH)
        for _ in range(BOMB_BYTES // MIB):
            out.write(segment)
            crc = zlib.crc32(zeros, crc)
        size = len(header) + BOMB_BYTES // MIB * MIB
        out.write(squeeze.flush(zlib.Z_FINISH) + struct.pack("<II", crc, size & 0xFFFFFFFF))
    return path


def test_importing_a_gzip_bomb_capture_is_one_line_in_bounded_memory(
    small_archive: Path, tmp_path: Path
) -> None:
    bomb = write_bomb(tmp_path / "2026-07-20T000000Z.jsonl.gz", "2026-07-20T00:00:00Z")
    before, commits = head(small_archive), commit_count(small_archive)
    command = [sys.executable, "-c", RUN_WITH_PEAK_RSS, "import", "--repo", str(small_archive)]
    done = subprocess.run(
        [*command, str(bomb)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=HANG_GUARD_S,
    )
    peak_mb = int(re.findall(r"peak-rss-kb (\d+)", done.stderr)[-1]) / 1024
    assert peak_mb < MAX_LINE_BYTES / MIB + OVERHEAD_MB
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [
        f"Error: {bomb}:2: line 2 is over {MAX_LINE_BYTES // 1_000_000} MB, longer than any "
        "response a sync keeps; not a capture to import"
    ]
    assert (head(small_archive), commit_count(small_archive)) == (before, commits)


def test_a_capture_line_of_empty_objects_is_refused_before_it_is_parsed(
    small_archive: Path, tmp_path: Path
) -> None:
    # 60 MB of `{},` inside the line limit: some 1.8 GB once parsed (a fetched response of it
    # is dropped by the fetcher's value count, archiver.upstream.fetch; a capture was not).
    values = 20_000_000
    header = orjson.dumps({"capture": "2026-07-20T00:00:00Z", "source": "bomb", "note": "n"})
    body = b'{"data":[' + b"{}," * (values - 1) + b"{}]}"
    line = b'{"method":"GET","url":"/api/v1/models","status":200,"body":' + body + b"}"
    capture = tmp_path / "2026-07-20T000000Z.jsonl.gz"
    capture.write_bytes(gzip.compress(header + b"\n" + line + b"\n", compresslevel=1))
    before, commits = head(small_archive), commit_count(small_archive)
    command = [sys.executable, "-c", RUN_WITH_PEAK_RSS, "import", "--repo", str(small_archive)]
    done = subprocess.run(
        [*command, str(capture)], capture_output=True, text=True, timeout=HANG_GUARD_S
    )
    peak_mb = int(re.findall(r"peak-rss-kb (\d+)", done.stderr)[-1]) / 1024
    assert done.returncode == 3 and "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and f"{capture}:2: line 2 holds 40,000,0" in errors[0], errors
    assert peak_mb < len(line) / MIB + OVERHEAD_MB  # The line, not its parsed values.
    assert (head(small_archive), commit_count(small_archive)) == (before, commits)
