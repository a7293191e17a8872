"""What a server says on the wire that the fetcher misread: Retry-After, a 304, a reset.

- `Retry-After: -5` (or `nan`, `-inf`) is not a value RFC 9110 allows; it was read as
  "retry at once", so a throttling server got every retry back-to-back. Now it is ignored
  and the usual backoff applies.
- A 429's Retry-After held only the URL that got it: the other URLs went on at full speed
  into the same throttle. Now it holds every request of the sync.
- A 304 (no Location: the fetcher never asks conditionally) was reported as "redirected to
  nowhere", and a connection reset mid-body as "ReadError ()"; each now says what happened.

A real server on 127.0.0.1 speaking raw HTTP, and the sync's own fetcher.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from archiver.upstream.fetch import Fetcher, FetchPolicy, Response

URL = "/api/v1/models"
BODY = b'{"data":[{"id":"acme/model"}]}'
# The policy's backoff: the first retry waits this much, jittered down to half at most.
BACKOFF = 1.0
# Only a hang guard, never a speed bound.
HANG_GUARD_S = 60

Handler = Callable[[socket.socket, int], None]


def reply(status: str, body: bytes = b"", *headers: str) -> bytes:
    """Return a raw HTTP/1.1 response with a Content-Length.

    It says `Connection: close`, as the server does after each reply: without it the client
    may keep the connection for its next request, and on a busy machine send that request
    down a socket the server has already closed (an attempt lost to the test's server).
    """
    lines = [f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(body)}", "Connection: close"]
    lines += ["", ""]
    return "\r\n".join(lines).encode() + body


@contextmanager
def raw_server(handler: Handler) -> Iterator[tuple[str, list[float]]]:
    """Serve handler(connection, request number) on 127.0.0.1; yield the base URL and the
    monotonic time each request arrived."""
    listener = socket.create_server(("127.0.0.1", 0))
    arrivals: list[float] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # Closed: the test is over.
            with connection:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    request += chunk
                arrivals.append(time.monotonic())
                handler(connection, len(arrivals))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", arrivals
    finally:
        # Shut down first: close() alone does not wake an accept() blocked in another thread.
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(HANG_GUARD_S)


def fetch(base_url: str, attempts: int) -> Response:
    """Fetch URL once with the sync's fetcher (its real client, retries and backoff)."""
    return fetch_all(base_url, [URL], attempts)[0]


def fetch_all(
    base_url: str, urls: list[str], attempts: int, concurrency: int = 8
) -> list[Response]:
    """Fetch URLs as a sync does (its real client, retries, backoff and concurrency)."""
    policy = FetchPolicy(
        concurrency=concurrency, attempts=attempts, backoff=BACKOFF, timeout=HANG_GUARD_S
    )

    async def run() -> list[Response]:
        async with Fetcher(base_url, policy) as fetcher:
            return await fetcher.get_many(urls)

    return asyncio.run(run())


@pytest.mark.parametrize("value", ["-5", "nan", "-inf"])
def test_a_retry_after_rfc_9110_does_not_allow_is_ignored_for_the_usual_backoff(
    value: str,
) -> None:
    def throttle_once(connection: socket.socket, number: int) -> None:
        if number == 1:
            connection.sendall(reply("429 Too Many Requests", b"{}", f"Retry-After: {value}"))
        else:
            connection.sendall(reply("200 OK", BODY, "Content-Type: application/json"))

    with raw_server(throttle_once) as (base_url, arrivals):
        response = fetch(base_url, attempts=2)
    assert response.ok and response.attempts == 2, response.error
    # The backoff's smallest first wait: half the base (jitter only shortens it).
    assert arrivals[1] - arrivals[0] >= BACKOFF / 2


def test_a_304_says_it_is_not_a_redirect() -> None:
    with raw_server(lambda conn, _: conn.sendall(reply("304 Not Modified"))) as (base_url, _):
        response = fetch(base_url, attempts=2)
    assert response.error == (
        f"HTTP 304 Not Modified from {base_url}{URL}, with no Location and no body; "
        "not archived (the next sync asks again)"
    )
    assert response.attempts == 1


def test_a_connection_reset_mid_body_says_the_connection_broke() -> None:
    def reset(connection: socket.socket, number: int) -> None:
        connection.sendall(reply("200 OK", BODY)[: -len(BODY) // 2])
        # Linger 0: close() sends a RST, as a crashing proxy does, not a clean FIN.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with raw_server(reset) as (base_url, _):
        response = fetch(base_url, attempts=1)
    assert response.error is not None and "()" not in response.error
    assert response.error.endswith(f" fetching {base_url}{URL}")
    assert "the connection broke off" in response.error or "reset" in response.error


def test_a_429_retry_after_holds_every_request_not_only_its_own() -> None:
    pause = 2

    def throttle_first(connection: socket.socket, number: int) -> None:
        if number == 1:
            connection.sendall(reply("429 Too Many Requests", b"{}", f"Retry-After: {pause}"))
        else:
            connection.sendall(reply("200 OK", BODY, "Content-Type: application/json"))

    urls = [f"{URL}?page={n}" for n in range(3)]
    with raw_server(throttle_first) as (base_url, arrivals):
        # One at a time: the second URL is asked only after the first one's 429 came back.
        responses = fetch_all(base_url, urls, attempts=2, concurrency=1)
    assert [r.ok for r in responses] == [True, True, True], [r.error for r in responses]
    assert len(arrivals) == 4
    assert min(arrivals[1:]) - arrivals[0] >= pause
