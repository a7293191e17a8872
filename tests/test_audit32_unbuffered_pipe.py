"""Run unbuffered (`PYTHONUNBUFFERED=1`, as many container images set it), a reader that
leaves early (`archiver changes --json | head -1`) still ends the command with 141.

Unbuffered, Python's text stdout hands a write to one `write()` call and ignores how much of
it went out. `changes --json` and `show --all` print their whole document in one write:
the pipe took 64 KiB of it, the reader left, the rest was dropped without an error, and the
command exited 0, the status the README gives only when the whole output went into the pipe.
A real small archive (one real sync of a cut small capture), the command line in a child
process reading its output through a real pipe.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from archiver.cli import main
from tests.small_captures import eighth_base as archive
from tests.small_captures import small_captures

__all__ = ["archive", "small_captures"]  # The session archive of an eighth.
PIPE_BUFFER = 64 * 1024  # What a Linux pipe holds: more than that blocks the writer.


def test_a_reader_leaving_a_long_json_document_gets_the_sigpipe_status(archive: Path) -> None:
    arguments = ["changes", "--json", "--repo", str(archive)]
    whole = CliRunner().invoke(main, arguments).stdout.encode()
    assert len(whole) > 2 * PIPE_BUFFER, "too little output to meet a closed pipe"
    command = [sys.executable, "-m", "archiver", *arguments]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}

    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        head = process.stdout.read(100)
        process.stdout.close()
        stderr = process.stderr.read()
        status = process.wait()

    assert head == whole[:100]
    assert stderr == b""
    assert status == 141
