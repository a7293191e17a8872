"""`archiver replay` on a port it cannot take says so, naming the address, not a path.

A port another process holds (a replay server left running, the port of a previous run)
reached the command line's catch-all for OSError, written for files: "Error: Address
already in use; check the path, its permissions and free space, then run again". There is
no path; the fix is another --port. Real capture, real sockets.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from archiver.capture.replay import ReplayServer
from archiver.cli import main


def test_a_port_in_use_is_named_with_the_way_out(daily_paths: list[Path]) -> None:
    with ReplayServer(daily_paths[0]) as holder:
        port = holder.base_url.rsplit(":", 1)[1]
        result = CliRunner().invoke(main, ["replay", str(daily_paths[0]), "--port", port])
    assert result.exit_code == 3, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert f"cannot listen on 127.0.0.1 port {port}" in lines[0]
    assert "--port" in lines[0]
    assert "check the path" not in lines[0]
