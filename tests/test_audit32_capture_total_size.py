"""A capture bigger than any real one once inflated is refused as it is read, before a sync.

Each line was held to the line limit (128 MB) but a capture to none: a capture is held
whole to be replayed, so a file of a few hundred kB whose lines each inflate to some
100 MB took memory in proportion to their number (8 such lines: a 778 kB file, an import
peaking at 1.8 GB). Here the lines are padded with blanks, cheap to make and to read; the
reader stops at the capture limit whatever its lines hold.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from click.testing import CliRunner

from archiver.capture.files import MAX_LINE_BYTES
from archiver.cli import main

MIB = 1 << 20
# The limit as README states it (archiver.capture.files.MAX_CAPTURE_BYTES).
LIMIT_MB = 512


def write_padded(path: Path, lines: int, pad_mib: int) -> Path:
    """Write a gzip capture: a header, a small response, then `lines` lines of `pad_mib` MiB
    of blanks, made of one compressed MiB repeated (never held here)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    blanks = b" " * MIB
    segment = squeeze.compress(blanks) + squeeze.flush(zlib.Z_FULL_FLUSH)
    crc = size = 0
    with path.open("wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")  # gzip member header

        def put(data: bytes, compressed: bytes | None = None) -> None:
            nonlocal crc, size
            out.write(compressed or squeeze.compress(data) + squeeze.flush(zlib.Z_FULL_FLUSH))
            crc, size = zlib.crc32(data, crc), size + len(data)

        put(b'{"capture":"2026-07-20T00:00:00Z","source":"big","note":"n"}\n')
        put(b'{"method":"GET","url":"/api/v1/models","status":200,"body":{"data":[]}}\n')
        for _ in range(lines):
            for _ in range(pad_mib):
                put(blanks, segment)
            put(b"\n")
        out.write(squeeze.flush(zlib.Z_FINISH) + struct.pack("<II", crc, size & 0xFFFFFFFF))
    return path


def test_a_capture_over_the_limit_is_refused_before_any_sync(tmp_path: Path) -> None:
    pad = MAX_LINE_BYTES // MIB - 1
    lines = LIMIT_MB * 1_000_000 // (pad * MIB) + 1
    capture = write_padded(tmp_path / "big.jsonl.gz", lines, pad)
    assert capture.stat().st_size < 4 * MIB
    repo = tmp_path / "archive"
    result = CliRunner().invoke(main, ["import", "--repo", str(repo), str(capture)])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        f"Error: {capture}:{lines + 2}: the capture is over {LIMIT_MB} MB "
        f"by line {lines + 2}, many times a full sweep (about 20 MB); it would be held whole, "
        "so it is not a capture to import or replay"
    ]
    assert not (repo / ".git").exists()
