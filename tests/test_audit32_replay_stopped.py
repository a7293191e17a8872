"""`archiver replay` ends as the README says: SIGTERM is its normal end, `stopped` and exit 0.

The README's "every command stopped by Ctrl-C or SIGTERM exits 130 or 143" did not hold for
the replay server, which serves until a signal stops it (`archiver replay ... &`, then
`kill %1`); the README now names it as the exception, and this keeps the two in step.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.small_captures import SMALL_DAILY

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_sigterm_stops_the_replay_server_as_the_readme_says() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "archiver", "replay", str(SMALL_DAILY[0])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    assert server.stdout.readline().startswith("http://127.0.0.1:")
    server.send_signal(signal.SIGTERM)
    _, stderr = server.communicate()
    assert (server.returncode, stderr) == (0, "stopped\n")
    assert "`archiver replay` is the exception" in README
    section = README.split("### `archiver replay`", 1)[1].split("\n### ", 1)[0]
    assert "(`stopped` on stderr, exit 0)" in " ".join(section.split())
