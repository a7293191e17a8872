"""The replay server sends no body with a 204 or 304, so the next reply on the connection holds.

A capture may record any status (a recorder that sent conditional requests gets 304s), and
`--fault URL,status=304` makes one. The server sent the recorded body (or the fault's error
body) after such a status anyway; HTTP says the response ends at its headers, so the client
read those bytes as the start of the next response on the keep-alive connection, and the
next request, for another URL, failed ("illegal status line"). Real small capture, real
sockets.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from archiver.capture.faults import Fault
from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.capture.replay import ReplayServer

RECORDED = "/api/v1/providers"
OTHER = "/api/v1/models"


@pytest.mark.parametrize("status", [204, 304])
def test_a_recorded_status_without_body_leaves_the_connection_usable(
    daily_paths: list[Path], status: int
) -> None:
    capture = read_capture(daily_paths[0])
    recorded = CapturedResponse("GET", RECORDED, status, {"data": [{"slug": "x"}] * 20})
    capture = Capture(capture.time, capture.source, capture.note, (recorded, *capture.responses))
    with ReplayServer(capture) as server, httpx.Client(base_url=server.base_url) as client:
        first = client.get(RECORDED)
        assert (first.status_code, first.content) == (status, b"")
        # The same keep-alive connection serves the next request as recorded.
        assert client.get(OTHER).json() == next(r.body for r in capture.responses if r.url == OTHER)


def test_a_304_fault_leaves_the_connection_usable(daily_paths: list[Path]) -> None:
    capture = read_capture(daily_paths[0])
    with (
        ReplayServer(capture, faults=[Fault(RECORDED, status=304)]) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        assert client.get(RECORDED).status_code == 304
        assert client.get(OTHER).status_code == 200
