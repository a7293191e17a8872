"""A response within the size limit that parses into many times it: `{"data":[{},{},...]}`.

`--max-response-mb` bounded the bytes of a body, not what they parse into. Each `{},` is
three bytes on the wire and a 64-byte dict once parsed, so 60 MB of them (58 kB gzipped)
took a sync to 1.8 GB, and the five listings fetched together to 7.3 GB and two minutes:
past the memory of a GitHub runner, for 290 kB sent. Now a body holding more than one
comma or opening bracket per 16 bytes of the limit is dropped before it is parsed; real
responses spend 10 to 27 bytes on each, so a real one meets the size limit first.

A real server on 127.0.0.1 speaking raw HTTP, and the sync's own fetcher.
"""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archiver.capture.files import read_capture
from archiver.jsonrepair import deep_json_bytes
from archiver.upstream.fetch import Fetcher, FetchPolicy, Response
from tests.test_audit20_net_wire import raw_server

CATALOG = "/api/frontend/v1/catalog/models"
CAPTURE = Path(__file__).parent / "captures" / "daily" / "2026-07-17T180314Z.jsonl.gz"
LIMIT = 1_000_000
# 900 kB of empty objects: within the limit, 300,000 dicts (some 20 MB) once parsed.
BOMB = b'{"data":[' + b"{}," * 300_000 + b"{}]}"


@contextmanager
def serving(body: bytes) -> Iterator[str]:
    """Serve one gzipped JSON body to every request on 127.0.0.1; yield the base URL."""
    packed = gzip.compress(body)
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        f"Content-Length: {len(packed)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with raw_server(lambda connection, _: connection.sendall(head + packed)) as (url, _):
        yield url


def fetch(base_url: str, limit: int) -> tuple[Response, int]:
    """Fetch the catalog URL once; return the response and the peak of traced memory."""

    async def run() -> Response:
        policy = FetchPolicy(attempts=1, max_response_bytes=limit, deadline=30)
        async with Fetcher(base_url, policy) as fetcher:
            return await fetcher.get_json(CATALOG)

    tracemalloc.start()
    try:
        response = asyncio.run(run())
        return response, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_body_that_parses_into_many_times_the_limit_is_dropped_unparsed() -> None:
    with serving(BOMB) as base_url:
        response, peak = fetch(base_url, LIMIT)
    assert response.data is None
    assert response.error == (
        f"response from {base_url}{CATALOG} holds 600,003 commas and brackets, over one per "
        "16 bytes of 1 MB decompressed; not archived (raise --max-response-mb if OpenRouter's "
        "data really grew this big)"
    )
    # The body and its pieces, never its 300,000 dicts (parsed, the peak passed 20 MB).
    assert peak < 4 * LIMIT


def test_a_real_listing_meets_the_size_limit_before_the_value_limit() -> None:
    recorded = {r.url: r.body for r in read_capture(CAPTURE).responses}
    body = deep_json_bytes(recorded[CATALOG])
    with serving(body) as base_url:
        taken, _ = fetch(base_url, len(body))
        refused, _ = fetch(base_url, len(body) - 1)
    assert taken.error is None
    assert taken.data == recorded[CATALOG]
    assert refused.error is not None
    assert " exceeds " in refused.error
