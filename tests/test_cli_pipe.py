"""A reader that goes away (`archiver changes | head`) ends the command quietly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# A pipe holds 64 KiB on Linux: with more than that left to write after the reader's few
# bytes, the command is blocked on a write when the reader leaves, so it meets the closed
# pipe, whatever the timing.
PIPE_BUFFER = 64 * 1024


def test_a_reader_that_leaves_early_gets_no_error_and_the_sigpipe_status(
    daily_imported_archive: Path,
) -> None:
    command = [
        sys.executable,
        "-m",
        "archiver",
        "changes",
        "--repo",
        str(daily_imported_archive),
    ]
    whole = subprocess.run(command, capture_output=True, check=True)
    assert len(whole.stdout) > PIPE_BUFFER + 100, "too little output to meet a closed pipe"

    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        head = process.stdout.read(100)
        process.stdout.close()
        stderr = process.stderr.read()
        status = process.wait(timeout=120)

    assert head == whole.stdout[:100]
    # No "Error: Broken pipe; check the path..." and no traceback: nothing went wrong.
    assert stderr == b""
    assert status == 141
