"""The replay server answers 404 to any method but GET, as it does to any URL not recorded.

SPEC (Captures): "A replay server serves a capture over real HTTP ... at the same URLs;
anything not recorded is a 404." A capture records GETs only, yet a POST, HEAD, PUT, DELETE,
PATCH or OPTIONS got BaseHTTPRequestHandler's "501 Unsupported method" with an HTML page:
a client probing the replay with `curl -I` (or a tool that sends HEAD first) read a server
error, not "not recorded". Real small capture, real sockets.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx

from archiver.capture.files import read_capture
from archiver.capture.replay import ReplayServer

RECORDED = "/api/v1/models"
METHODS = ("POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS")


def test_a_method_never_recorded_is_not_found(daily_paths: list[Path]) -> None:
    capture = read_capture(daily_paths[0])
    with ReplayServer(capture) as server, httpx.Client(base_url=server.base_url) as client:
        for method, url in itertools.product(METHODS, (RECORDED, "/never/recorded")):
            reply = client.request(method, url, content=b'{"x": 1}' if method != "HEAD" else None)
            assert reply.status_code == 404, (method, url, reply.status_code)
            if method == "HEAD":
                assert reply.content == b""
            else:
                assert "not recorded" in reply.json()["error"]["message"]
        # The recorded GET still answers as recorded.
        assert client.get(RECORDED).json() == next(
            r.body for r in capture.responses if r.url == RECORDED
        )
