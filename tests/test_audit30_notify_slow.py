"""A webhook that answers a byte at a time is stopped at --timeout, not waited for.

`archiver notify --timeout` (seconds per post) was httpx's timeout, which bounds each read
of the socket, not the post: a webhook (or a proxy before it) that sent its answer one byte
every fraction of a second held each post for as long as it liked, and ten messages could
outlast the hourly job. Now a post that has not been answered within --timeout is one line
and exit 1, as a silent webhook is. A real receiver on 127.0.0.1, the command in-process.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner

from archiver.cli import main
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]  # Fixtures this module uses.

ANSWER = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
BYTE_EVERY = 0.1  # Seconds: the answer takes some 4.5 s, each byte well within the timeout.


@contextmanager
def trickling_webhook() -> Iterator[str]:
    """Run a webhook on loopback that answers every post a byte at a time; yield its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)  # Polled: closing a socket does not wake an accept() waiting.
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.recv(65536)
                for byte in ANSWER:
                    time.sleep(BYTE_EVERY)
                    try:
                        connection.sendall(bytes([byte]))
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/webhooks/1/secret"
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_an_answer_trickling_past_the_timeout_is_one_line_and_exit_1(
    small_archive: Path,
) -> None:
    with trickling_webhook() as url:
        result = CliRunner().invoke(
            main,
            ["notify", "--repo", str(small_archive), "--timeout", "1"],
            env={"ARCHIVER_WEBHOOK_URL": url},
        )

    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        "Error: webhook at 127.0.0.1 did not answer in time; nothing more posted"
    ]
