"""The in-process replay transport answers exactly as the replay server does over HTTP."""

from __future__ import annotations

import asyncio
import gzip
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from archiver.archive.store import Store
from archiver.capture.files import Capture
from archiver.capture.replay import Fault, ReplayServer
from archiver.capture.transport import REPLAY_BASE_URL, ReplayTransport
from archiver.sync import SyncOptions, sync
from tests.test_replay import FREE, MODELS, SMALL, STANDARD
from tests.test_sync import files_at

# Every fault whose reply completes quickly, each against the same URL.
FAULTS = [
    None,
    Fault(MODELS, status=503, retry_after="7"),
    Fault(MODELS, status=404),
    Fault(MODELS, body="truncated"),
    Fault(MODELS, body="dropped"),
    Fault(MODELS, body="html"),
    Fault(MODELS, body="not-json"),
    Fault(MODELS, body="empty-data", status=200),
    Fault(MODELS, location="http://elsewhere.example/"),
    Fault(MODELS, delay=0.2),
]
HEADERS = ("content-type", "content-length", "retry-after", "location")


async def _answer(base_url: str, url: str, transport: httpx.AsyncBaseTransport | None) -> Any:
    """Return what a client sees for one GET: status, the headers that matter, the body."""
    async with httpx.AsyncClient(base_url=base_url, transport=transport) as client:
        try:
            async with client.stream("GET", url) as response:
                body = b"".join([chunk async for chunk in response.aiter_bytes()])
        except httpx.HTTPError as error:
            return type(error).__name__
    return response.status_code, [response.headers.get(h) for h in HEADERS], body


def _both(capture: Capture, url: str, faults: list[Fault]) -> tuple[Any, Any, list[str]]:
    with ReplayServer(capture, faults=faults) as server:
        over_http = asyncio.run(_answer(server.base_url, url, None))
    transport = ReplayTransport(capture, faults=faults)
    in_process = asyncio.run(_answer(transport.base_url, url, transport))
    return over_http, in_process, transport.requests


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: "plain" if f is None else repr(f)[6:60])
def test_every_fault_reads_the_same_in_process_as_over_http(fault: Fault | None) -> None:
    faults = [] if fault is None else [fault]
    over_http, in_process, asked = _both(SMALL, MODELS + "?_=123", faults)
    assert in_process == over_http
    assert asked == [MODELS + "?_=123"]


@pytest.mark.parametrize("url", [STANDARD, FREE, "/twice", "/not/recorded", MODELS + "?x=1"])
def test_every_url_reads_the_same_in_process_as_over_http(url: str) -> None:
    over_http, in_process, _ = _both(SMALL, url, [])
    assert in_process == over_http


def test_times_and_set_faults_count_as_on_the_server() -> None:
    transport = ReplayTransport(SMALL, faults=[Fault(MODELS, status=500, times=1)])

    async def statuses() -> list[int]:
        async with httpx.AsyncClient(base_url=REPLAY_BASE_URL, transport=transport) as client:
            first = (await client.get(MODELS)).status_code
            second = (await client.get(MODELS)).status_code
            transport.set_faults([Fault(MODELS, status=429)])
            third = (await client.get(MODELS)).status_code
            return [first, second, third]

    assert asyncio.run(statuses()) == [500, 200, 429]


def test_a_gzip_bomb_inflates_in_process_too() -> None:
    transport = ReplayTransport(SMALL, faults=[Fault(MODELS, body="gzip-bomb")])

    async def first_megabytes() -> tuple[int, bytes]:
        async with httpx.AsyncClient(base_url=REPLAY_BASE_URL, transport=transport) as client:
            async with client.stream("GET", MODELS) as response:
                raw = await anext(response.aiter_raw())
            size = 0
            async with client.stream("GET", MODELS) as response:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > 4 << 20:
                        break
            return size, raw

    size, raw = asyncio.run(first_megabytes())
    assert size > 4 << 20  # Inflating, as over the wire.
    assert raw[:2] == gzip.compress(b"")[:2]  # A gzip stream, not the inflated bytes.


def test_a_sync_through_the_transport_archives_what_one_over_http_does(
    daily_capture: Capture,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        over_http, in_process = Path(folder, "http"), Path(folder, "in-process")
        with ReplayServer(daily_capture) as server:
            sync(over_http, SyncOptions(base_url=server.base_url, epoch=daily_capture.time))
        transport = ReplayTransport(daily_capture)
        options = SyncOptions(
            base_url=transport.base_url, transport=transport, epoch=daily_capture.time
        )
        log = sync(in_process, options)
        assert log.commit_id and not log.failures
        files = files_at(in_process, "HEAD")
        assert files == files_at(over_http, "HEAD")
        assert Store(in_process, create=False).latest_epoch() is not None
