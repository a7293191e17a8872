"""The replay server over real HTTP on loopback: real captures, real httpx clients."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import orjson
import pytest

from archiver.capture.files import Capture, CapturedResponse, write_capture
from archiver.capture.replay import Fault, ReplayServer, parse_fault

MODELS = "/api/v1/models"
STATS = "/api/frontend/v1/stats/endpoint"
STANDARD = f"{STATS}?permaslug=acme%2Frocket-1&variant=standard"
FREE = f"{STATS}?permaslug=acme%2Frocket-1&variant=free"
MODELS_BODY = {"data": [{"id": f"acme/rocket-{n}", "context_length": 1000 * n} for n in range(50)]}
SMALL = Capture(
    time=datetime(2026, 7, 19, tzinfo=UTC),
    source="tests",
    note="small capture for replay tests",
    responses=(
        CapturedResponse("GET", MODELS, 200, MODELS_BODY),
        CapturedResponse("GET", STANDARD, 200, {"data": [{"id": "uuid-standard"}]}),
        CapturedResponse("GET", FREE, 200, {"data": [{"id": "uuid-free"}]}),
        CapturedResponse("GET", "/twice", 200, {"data": "first"}),
        CapturedResponse("GET", "/twice", 200, {"data": "second"}),
    ),
)

Serve = Callable[..., ReplayServer]


@pytest.fixture(scope="module")
def daily_server(daily_capture: Capture) -> Iterator[ReplayServer]:
    """Serve the newest real daily capture for the whole module."""
    with ReplayServer(daily_capture) as server:
        yield server


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Return a starter of replay servers (SMALL by default), all stopped after the test."""
    with ExitStack() as stack:

        def start(*faults: Fault, capture: Capture = SMALL, delay: float = 0.0) -> ReplayServer:
            return stack.enter_context(ReplayServer(capture, faults=faults, delay=delay))

        yield start


def get(server: ReplayServer, url: str, params: dict[str, str] | None = None) -> httpx.Response:
    """Make one GET on a fresh connection to the server."""
    return httpx.get(server.url(url), params=params)


def a_query_url(capture: Capture) -> str:
    """Return the first recorded URL with a permaslug&variant query."""
    return next(r.url for r in capture.responses if "?permaslug=" in r.url)


# Serving a real capture.


def test_every_recorded_url_serves_its_body(
    daily_server: ReplayServer, daily_capture: Capture
) -> None:
    """Each URL of a real daily capture answers with its recorded status and JSON body."""
    with httpx.Client(base_url=daily_server.base_url) as client:
        for recorded in daily_capture.responses:
            response = client.get(recorded.url)
            assert response.status_code == recorded.status, recorded.url
            assert response.headers["content-type"] == "application/json"
            assert orjson.loads(response.content) == recorded.body, recorded.url


def test_query_order_and_encoding_do_not_matter(
    daily_server: ReplayServer, daily_capture: Capture
) -> None:
    """Parameters in another order, encoded by httpx or not at all, find the same response."""
    url = a_query_url(daily_capture)
    expected = next(r.body for r in daily_capture.responses if r.url == url)
    path, _, query = url.partition("?")
    pairs = parse_qsl(query)
    reversed_query = "&".join(f"{k}={v}" for k, v in reversed(pairs))  # Slash unencoded.
    for response in (
        get(daily_server, f"{path}?{reversed_query}"),
        get(daily_server, path, params=dict(reversed(pairs))),
    ):
        assert response.status_code == 200
        assert response.json() == expected


def test_cache_buster_parameter_is_ignored(
    daily_server: ReplayServer, daily_capture: Capture
) -> None:
    """A `_` parameter the fetcher adds, anywhere in the query, does not break matching."""
    url = a_query_url(daily_capture)
    path, _, query = url.partition("?")
    for busted in (f"{url}&_=1784476745707", f"{path}?_=1&{query}", f"{MODELS}?_=42"):
        assert get(daily_server, busted).status_code == 200, busted
    assert get(daily_server, f"{url}&cb=1").status_code == 404


def test_unrecorded_urls_are_404_with_json_error(
    daily_server: ReplayServer, daily_capture: Capture
) -> None:
    """Unknown paths and known paths with unknown queries get a small JSON 404."""
    url = a_query_url(daily_capture)
    other_variant = url.replace("variant=standard", "variant=no-such-variant")
    for missing in ("/api/v1/nothing", other_variant, f"{MODELS}/extra"):
        response = get(daily_server, missing)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == 404
        assert "not recorded" in response.json()["error"]["message"]


def test_capture_can_be_given_as_a_path(tmp_path: Path) -> None:
    """A path string is read as a capture; base_url is loopback with the bound port."""
    path = tmp_path / "small.jsonl.gz"
    write_capture(path, SMALL.time, SMALL.source, SMALL.note, SMALL.responses)
    with ReplayServer(str(path)) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert int(server.base_url.rsplit(":", 1)[1]) > 0
        assert get(server, MODELS).json() == MODELS_BODY


def test_url_recorded_twice_serves_the_last(serve: Serve) -> None:
    """When a capture repeats a URL, the later response wins."""
    assert get(serve(), "/twice").json() == {"data": "second"}


def test_requests_are_logged_in_order_as_sent(serve: Serve) -> None:
    """The log keeps every URL, unrecorded and cache-busted ones included, as the client sent it."""
    server = serve()
    sent = [MODELS, f"{FREE}&_=9", "/nowhere", MODELS]
    with httpx.Client(base_url=server.base_url) as client:
        for url in sent:
            client.get(url)
    assert server.requests == sent


def test_keep_alive_serves_several_requests_on_one_connection(serve: Serve) -> None:
    """HTTP/1.1 with Content-Length: one socket carries consecutive requests."""
    server = serve()
    connection = http.client.HTTPConnection(urlsplit(server.base_url).netloc, timeout=5)
    try:
        for url in (MODELS, STANDARD, "/nowhere", FREE):
            connection.request("GET", url)
            response = connection.getresponse()
            body = response.read()
            assert int(response.headers["Content-Length"]) == len(body)
            assert response.headers.get("Connection") != "close"
        assert connection.sock is not None
    finally:
        connection.close()


def test_32_parallel_requests_all_succeed(
    daily_server: ReplayServer, daily_capture: Capture
) -> None:
    """An AsyncClient firing 32 requests at once gets 32 correct answers."""
    chosen = daily_capture.responses[:: len(daily_capture.responses) // 32][:32]

    async def fetch_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=daily_server.base_url) as client:
            return await asyncio.gather(*(client.get(r.url) for r in chosen))

    responses = asyncio.run(fetch_all())
    assert len(responses) == 32
    for recorded, response in zip(chosen, responses, strict=True):
        assert response.status_code == 200
        assert orjson.loads(response.content) == recorded.body


def test_requests_are_served_concurrently(serve: Serve) -> None:
    """With 0.25 s latency each, 32 parallel requests take far less than 32 x 0.25 s."""
    server = serve(delay=0.25)
    limits = httpx.Limits(max_connections=32)

    async def fetch_all() -> list[int]:
        async with httpx.AsyncClient(base_url=server.base_url, limits=limits) as client:
            replies = await asyncio.gather(*(client.get(STANDARD) for _ in range(32)))
            return [reply.status_code for reply in replies]

    started = time.monotonic()
    statuses = asyncio.run(fetch_all())
    elapsed = time.monotonic() - started
    assert statuses == [200] * 32
    assert 0.25 <= elapsed < 2.0


# Faults.


def test_status_fault_sends_json_error_only_for_its_url(serve: Serve) -> None:
    """status=500 answers that URL with a JSON 500; other URLs are untouched."""
    server = serve(Fault(MODELS, status=500))
    response = get(server, MODELS)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == 500
    assert get(server, STANDARD).status_code == 200


def test_429_fault_carries_retry_after(serve: Serve) -> None:
    """A rate-limit fault sends the Retry-After header given."""
    response = get(serve(Fault(MODELS, status=429, retry_after="7")), MODELS)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


def test_delay_fault_slows_only_its_url(serve: Serve) -> None:
    """A delayed URL takes at least the delay; another URL answers quickly."""
    server = serve(Fault(STANDARD, delay=0.3))
    with httpx.Client(base_url=server.base_url) as client:
        client.get(FREE)  # Open the connection first.
        started = time.monotonic()
        assert client.get(STANDARD).status_code == 200
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        assert client.get(FREE).status_code == 200
        assert time.monotonic() - started < 0.3


def test_server_delay_applies_to_every_request(serve: Serve) -> None:
    """The server-wide delay adds latency to recorded and unrecorded URLs alike."""
    server = serve(delay=0.15)
    for url in (MODELS, "/nowhere"):
        started = time.monotonic()
        get(server, url)
        assert time.monotonic() - started >= 0.15


def test_truncated_fault_sends_half_a_document(serve: Serve) -> None:
    """'truncated' is a complete HTTP reply whose body is the first half: JSON parsing fails."""
    server = serve(Fault(MODELS, body="truncated"))
    full = orjson.dumps(MODELS_BODY)
    with httpx.Client(base_url=server.base_url) as client:
        response = client.get(MODELS)
        assert response.status_code == 200
        assert response.content == full[: len(full) // 2]
        assert int(response.headers["content-length"]) == len(response.content)
        with pytest.raises(json.JSONDecodeError):
            response.json()
        assert client.get(STANDARD).status_code == 200  # The connection is still good.


def test_dropped_fault_closes_mid_body(serve: Serve) -> None:
    """'dropped' announces the full length, sends half and hangs up: httpx raises."""
    server = serve(Fault(MODELS, body="dropped", times=1))
    with httpx.Client(base_url=server.base_url) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(MODELS)
        assert client.get(MODELS).json() == MODELS_BODY


def test_html_fault_sends_an_error_page(serve: Serve) -> None:
    """'html' sends text/html, status 200 unless a status is given."""
    server = serve(Fault(MODELS, body="html"), Fault(STANDARD, body="html", status=503))
    page = get(server, MODELS)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.startswith("<!DOCTYPE html>")
    with pytest.raises(json.JSONDecodeError):
        page.json()
    assert get(server, STANDARD).status_code == 503


def test_not_json_fault_sends_garbage(serve: Serve) -> None:
    """'not-json' is labelled JSON but does not parse."""
    response = get(serve(Fault(MODELS, body="not-json")), MODELS)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)


def test_empty_data_fault_sends_an_empty_list(serve: Serve) -> None:
    """'empty-data' is a valid but empty {"data": []}."""
    assert get(serve(Fault(MODELS, body="empty-data")), MODELS).json() == {"data": []}


def test_location_fault_redirects_to_another_host(serve: Serve) -> None:
    """location= answers 302 (or the status given) with that Location, and nothing else."""
    server = serve(
        Fault(MODELS, location="https://evil.example/x"),
        Fault(STANDARD, location="/elsewhere", status=301),
    )
    response = get(server, MODELS)
    assert (response.status_code, response.headers["location"]) == (302, "https://evil.example/x")
    assert response.next_request is not None  # httpx did not follow it.
    assert get(server, STANDARD).status_code == 301


def test_trickle_fault_sends_the_body_a_byte_at_a_time(serve: Serve) -> None:
    """'trickle' announces the real length, then sends one byte per write."""
    server = serve(Fault(MODELS, body="trickle"))
    with httpx.stream("GET", server.url(MODELS)) as response:
        assert response.status_code == 200
        assert int(response.headers["content-length"]) == len(orjson.dumps(MODELS_BODY))
        chunks = response.iter_raw()
        first = [next(chunks) for _ in range(3)]
    assert first == [b"{", b'"', b"d"]


def test_gzip_bomb_fault_is_a_small_gzip_body_that_inflates_to_gigabytes(serve: Serve) -> None:
    """'gzip-bomb' sends about 2 MB of valid gzip that inflates to 2 GiB of zeros."""
    server = serve(Fault(MODELS, body="gzip-bomb"))
    with httpx.stream("GET", server.url(MODELS)) as response:
        assert response.headers["content-encoding"] == "gzip"
        raw = b"".join(response.iter_raw())
    assert len(raw) == int(response.headers["content-length"]) < 3_000_000
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    inflated = inflater.decompress(raw[:100_000], 200_000_000)
    assert len(inflated) > 90_000_000 and not inflated.strip(b"\0")
    # The gzip trailer: the length it inflates to, modulo 2**32.
    assert int.from_bytes(raw[-4:], "little") == (2 << 30) % (1 << 32)


def test_times_limits_a_fault_to_the_first_requests(serve: Serve) -> None:
    """times=2 fails two requests, then the URL serves normally."""
    server = serve(Fault(MODELS, status=500, times=2))
    with httpx.Client(base_url=server.base_url) as client:
        statuses = [client.get(MODELS).status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]


def test_glob_fault_matches_canonical_or_decoded_url(serve: Serve) -> None:
    """A glob hits every matching URL, written encoded or decoded, and nothing else."""
    server = serve(Fault(f"{STATS}*", status=502), Fault("*permaslug=acme/rocket-1*", status=504))
    assert get(server, STANDARD).status_code == 502
    assert get(server, f"{FREE}&_=1").status_code == 502
    assert get(server, MODELS).status_code == 200
    server.set_faults([Fault("*permaslug=acme/rocket-1*", status=504)])
    assert get(server, FREE).status_code == 504


def test_path_fault_matches_any_query_and_query_fault_only_its_own(serve: Serve) -> None:
    """A query-less fault URL covers its path with any query; one with a query is exact."""
    server = serve(Fault(STATS, status=500))
    assert get(server, STANDARD).status_code == 500
    assert get(server, FREE).status_code == 500
    server.set_faults([Fault(f"{STATS}?variant=free&permaslug=acme/rocket-1", status=500)])
    assert get(server, FREE).status_code == 500
    assert get(server, STANDARD).status_code == 200


def test_first_matching_live_fault_applies(serve: Serve) -> None:
    """Faults are tried in order; one whose times are used up lets the next apply."""
    server = serve(Fault(MODELS, status=503, times=1), Fault("*", status=500))
    assert [get(server, MODELS).status_code for _ in range(2)] == [503, 500]
    assert get(server, STANDARD).status_code == 500


def test_set_faults_changes_behaviour_while_running(serve: Serve) -> None:
    """Faults can be switched on and off without restarting the server."""
    server = serve()
    assert get(server, MODELS).status_code == 200
    server.set_faults([Fault(MODELS, status=500)])
    assert get(server, MODELS).status_code == 500
    server.set_faults([])
    assert get(server, MODELS).status_code == 200


# Lifecycle.


def test_stop_is_prompt_with_idle_and_delayed_connections() -> None:
    """stop() returns quickly despite a keep-alive client and a request sleeping 10 s."""
    server = ReplayServer(SMALL, faults=[Fault(STANDARD, delay=10)])
    errors: list[Exception] = []

    def slow_request() -> None:
        try:
            httpx.get(server.url(STANDARD), timeout=20)
        except httpx.HTTPError as error:
            errors.append(error)

    with server, httpx.Client(base_url=server.base_url) as idle:
        assert idle.get(MODELS).status_code == 200
        waiter = threading.Thread(target=slow_request)
        waiter.start()
        while STANDARD not in server.requests:
            time.sleep(0.01)
        started = time.monotonic()
        server.stop()
        server.stop()  # Idempotent.
        assert time.monotonic() - started < 2
        waiter.join(5)
        assert not waiter.is_alive() and len(errors) == 1
        with pytest.raises(httpx.TransportError):
            idle.get(MODELS)


def test_stopped_server_refuses_connections() -> None:
    """After the context exits nothing listens on the port any more."""
    with ReplayServer(SMALL) as server:
        url = server.url(MODELS)
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)


# Parsing fault specs for the CLI.


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("/api/v1/models", Fault("/api/v1/models")),
        ("/api/v1/models,status=500,times=2", Fault("/api/v1/models", status=500, times=2)),
        (
            "/api/frontend/v1/stats/endpoint*,status=429,retry-after=30",
            Fault("/api/frontend/v1/stats/endpoint*", status=429, retry_after="30"),
        ),
        ("/x?a=1&b=2,delay=0.5,body=truncated", Fault("/x?a=1&b=2", delay=0.5, body="truncated")),
        ("*,body=empty-data", Fault("*", body="empty-data")),
        ("/x,body=trickle", Fault("/x", body="trickle")),
        (
            "/x,location=https://evil.example/y,status=301",
            Fault("/x", status=301, location="https://evil.example/y"),
        ),
    ],
)
def test_parse_fault_reads_cli_specs(spec: str, expected: Fault) -> None:
    """URL[,key=value...] becomes the equivalent Fault."""
    assert parse_fault(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "must start with /"),
        ("api/v1/models", "must start with /"),
        ("/x,status=abc", "status='abc' is not a number"),
        ("/x,status=999", "not an HTTP status"),
        ("/x,colour=red", "'colour=red' is not key=value with key in status"),
        ("/x,status", "'status' is not key=value"),
        ("/x,body=xml", "'xml' is not one of truncated"),
        ("/x,times=1,times=2", "times given twice"),
        ("/x,delay=-1", "delay -1.0 is negative"),
    ],
)
def test_parse_fault_rejects_bad_specs(spec: str, message: str) -> None:
    """A malformed spec is a ValueError quoting the spec and the problem."""
    with pytest.raises(ValueError, match="fault") as caught:
        parse_fault(spec)
    assert message in str(caught.value)
