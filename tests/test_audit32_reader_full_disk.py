"""A history reader whose output cannot be written (`> /dev/full`) says so in one line, exit 3.

`archiver log`, `price`, `cost`, `changes` to a full disk printed their one-line error, then
Python's own flush of stdout at exit failed again on what was still buffered: an "Exception
ignored in: <_io.TextIOWrapper name='<stdout>'>" and "OSError: [Errno 28]" on stderr, and
exit 120, a status the README gives no meaning (it gives 3: the command could not run).
A real small archive (one real sync of a cut small capture), the command line in child
processes, stdout buffered as Python buffers it by default.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.small_captures import eighth_base as archive
from tests.small_captures import small_captures

__all__ = ["archive", "small_captures"]  # The session archive of an eighth.
FULL = Path("/dev/full")


@pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full")
def test_output_to_a_full_disk_is_one_line_and_exit_3(archive: Path) -> None:
    # Unbuffered (-u), each write failed at once and nothing was left for the exit's flush.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with FULL.open("w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "archiver", "changes", "--repo", str(archive)],
            stdout=full,
            stderr=subprocess.PIPE,
            env=environment,
            check=False,
        )
    stderr = done.stderr.decode()
    assert done.returncode == 3, stderr
    assert stderr.count("\n") == 1 and "No space left on device" in stderr
