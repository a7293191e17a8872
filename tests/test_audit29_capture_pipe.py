"""A capture given as a pipe is refused as a pipe, not called corrupt.

`archiver import --repo a <(zcat capture.jsonl.gz)` or `archiver replay <(...)`: the reader
opened the file once to look for the gzip magic bytes, then again to read it, and a pipe
gives its bytes once, so a whole, valid capture was refused as "not valid JSON" (plain) or
"corrupt or truncated, re-copy or re-record it" (gzip); import reads every capture twice
besides. A real small capture written into a real pipe.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from click.testing import CliRunner

from archiver.cli import main


def _piped(source: Path) -> tuple[Path, int, threading.Thread]:
    """Return a path to a pipe the source's bytes are written into, as `<(cat source)` gives
    one, its read end (to drain and close afterwards) and the writing thread."""
    read_end, write_end = os.pipe()

    def feed() -> None:
        with os.fdopen(write_end, "wb") as out:
            out.write(source.read_bytes())

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    return Path(f"/dev/fd/{read_end}"), read_end, writer


def test_a_pipe_is_refused_naming_what_to_do(v1_models_paths: list[Path], tmp_path: Path) -> None:
    pipe, read_end, writer = _piped(v1_models_paths[0])
    try:
        result = CliRunner().invoke(main, ["import", "--repo", str(tmp_path / "a"), str(pipe)])
    finally:
        while os.read(read_end, 1 << 16):
            pass  # What the import left unread, so the writer ends.
        writer.join()
        os.close(read_end)
    assert result.exit_code == 3, result.output
    assert "not a regular file (a pipe?)" in result.output
    assert "save it to a file first" in result.output
    assert "corrupt" not in result.output and "not valid JSON" not in result.output
