"""A replay server: a capture served over real HTTP on loopback, with injectable faults.

Every recorded GET answers with its recorded status and body; anything else is
a 404. URLs match by ``canonical_url``, so query order and percent-encoding do
not matter, and a ``_`` cache-busting parameter is ignored.

Faults make the server misbehave on purpose. ``Fault.url`` is matched against
the canonical request URL (with ``_`` removed) and is one of:

- a path without a query, e.g. ``/api/v1/models``: that path with any query;
- a path with a query, e.g. ``/x?permaslug=a%2Fb&variant=free``: that URL only,
  in any parameter order or percent-encoding;
- a glob, e.g. ``/api/frontend/v1/stats/endpoint*``: ``fnmatch`` against the
  canonical URL (query values percent-encoded, so ``/`` is ``%2F``) or its
  percent-decoded form.

Fault bodies: ``"truncated"`` sends the first half of the real body with a
Content-Length that matches those bytes, so the HTTP exchange completes and the
client gets an invalid JSON document (``response.json()`` raises) on a healthy
keep-alive connection. ``"dropped"`` instead announces the full Content-Length,
sends half and closes the connection, so httpx raises ``RemoteProtocolError``.
``"html"`` is an HTML error page, ``"not-json"`` garbage bytes labelled JSON,
``"empty-data"`` is ``{"data": []}``.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast
from urllib.parse import unquote

import orjson

from archiver.canonical import json_bytes
from archiver.capture import Capture, canonical_url, read_capture

T = TypeVar("T")

# How often the accept loop checks for stop(); the stdlib default of 0.5 s slows tests.
POLL_INTERVAL = 0.05

CACHE_BUSTER = "_"
BODY_KINDS = ("truncated", "dropped", "html", "not-json", "empty-data")
FAULT_KEYS = ("status", "retry-after", "delay", "body", "times")
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>Injected by the replay server.</p></body></html>"
)
NOT_JSON = b"\x00\xffnot json at all\x8b\x1f<"
EMPTY_DATA = b'{"data":[]}'


@dataclass(frozen=True)
class Fault:
    """A deliberate misbehaviour for requests whose URL matches ``url``."""

    url: str
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    body: str | None = None
    times: int | None = None

    def __post_init__(self) -> None:
        """Reject a fault that could never be served."""
        if not self.url:
            raise ValueError("fault URL is empty; give a path like /api/v1/models or a glob")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"fault status {self.status} is not an HTTP status (100-599)")
        if self.body is not None and self.body not in BODY_KINDS:
            raise ValueError(f"fault body {self.body!r} is not one of {', '.join(BODY_KINDS)}")
        if self.delay < 0:
            raise ValueError(f"fault delay {self.delay} is negative")
        if self.times is not None and self.times < 0:
            raise ValueError(f"fault times {self.times} is negative")


@dataclass(frozen=True)
class _Reply:
    """What the server sends for one request."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    declared_length: int | None = None


@dataclass
class _ArmedFault:
    """A fault with its canonical URL and how many more times it applies."""

    fault: Fault
    canonical: str
    remaining: int | None = None

    def matches(self, key: str) -> bool:
        """Say whether this fault applies to a canonical request URL."""
        url = self.fault.url
        if key == self.canonical:
            return True
        if "?" not in url and key.partition("?")[0] == self.canonical:
            return True
        return fnmatchcase(key, url) or fnmatchcase(unquote(key), url)


def parse_fault(spec: str) -> Fault:
    """Parse ``URL[,key=value...]`` (keys status, retry-after, delay, body, times) into a Fault."""
    url, *options = spec.split(",")
    if not url.startswith(("/", "*")):
        raise ValueError(f"fault {spec!r}: URL must start with / (or be a glob starting with *)")
    values: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or key not in FAULT_KEYS:
            raise ValueError(
                f"fault {spec!r}: {option!r} is not key=value with key in {', '.join(FAULT_KEYS)}"
            )
        if key in values:
            raise ValueError(f"fault {spec!r}: {key} given twice")
        values[key] = value
    try:
        return Fault(
            url=url,
            status=_optional(values, "status", int),
            retry_after=values.get("retry-after"),
            delay=_optional(values, "delay", float) or 0.0,
            body=values.get("body"),
            times=_optional(values, "times", int),
        )
    except ValueError as error:
        raise ValueError(f"fault {spec!r}: {error}") from None


def _optional(values: dict[str, str], key: str, kind: Callable[[str], T]) -> T | None:
    """Convert one optional fault option, naming it when its value is malformed."""
    if key not in values:
        return None
    try:
        return kind(values[key])
    except ValueError:
        raise ValueError(f"{key}={values[key]!r} is not a number") from None


def _error_body(status: int, message: str) -> bytes:
    """Return a small OpenRouter-style JSON error document."""
    return orjson.dumps({"error": {"code": status, "message": message}})


class _Routes:
    """The capture's responses by canonical URL, plus faults and the request log."""

    def __init__(self, capture: Capture, delay: float) -> None:
        """Index the capture; a URL recorded twice serves its last response."""
        self.delay = delay
        self.table: dict[str, tuple[int, bytes]] = {}
        for response in capture.responses:
            if response.method.upper() == "GET":
                key = canonical_url(response.url, ignore=(CACHE_BUSTER,))
                self.table[key] = (response.status, json_bytes(response.body))
        self.lock = threading.Lock()
        self.faults: list[_ArmedFault] = []
        self.requests: list[str] = []
        self.stopping = threading.Event()

    def set_faults(self, faults: Sequence[Fault]) -> None:
        """Replace the faults, resetting their ``times`` counters."""
        armed = [
            _ArmedFault(fault, canonical_url(fault.url, ignore=(CACHE_BUSTER,)), fault.times)
            for fault in faults
        ]
        with self.lock:
            self.faults = armed

    def reply(self, raw_url: str) -> _Reply:
        """Log a request and return the reply it gets, faults applied."""
        key = canonical_url(raw_url, ignore=(CACHE_BUSTER,))
        with self.lock:
            self.requests.append(raw_url)
            fault = self._take_fault(key)
        status, body = self.table.get(key) or (404, _error_body(404, f"not recorded: {key}"))
        plain = _Reply(status, body, delay=self.delay)
        return plain if fault is None else _faulty(plain, fault)

    def _take_fault(self, key: str) -> Fault | None:
        """Return the first live fault matching the URL and use up one of its times."""
        for armed in self.faults:
            if armed.remaining != 0 and armed.matches(key):
                if armed.remaining is not None:
                    armed.remaining -= 1
                return armed.fault
        return None


def _faulty(plain: _Reply, fault: Fault) -> _Reply:
    """Return the reply a fault turns a plain reply into."""
    headers = (("Retry-After", fault.retry_after),) if fault.retry_after is not None else ()
    delay = plain.delay + fault.delay
    half = plain.body[: len(plain.body) // 2]
    status = fault.status
    if fault.body == "truncated":
        return _Reply(status or plain.status, half, headers=headers, delay=delay)
    if fault.body == "dropped":
        length = len(plain.body)
        return _Reply(status or plain.status, half, JSON_TYPE, headers, delay, length)
    if fault.body == "html":
        return _Reply(status or 200, HTML_PAGE, HTML_TYPE, headers, delay)
    if fault.body == "not-json":
        return _Reply(status or 200, NOT_JSON, headers=headers, delay=delay)
    if fault.body == "empty-data":
        return _Reply(status or 200, EMPTY_DATA, headers=headers, delay=delay)
    if status is not None:
        return _Reply(status, _error_body(status, "injected fault"), headers=headers, delay=delay)
    return _Reply(plain.status, plain.body, headers=headers, delay=delay)


class _HTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that can cut its open connections on stop."""

    daemon_threads = True
    # Many clients connect at once (16 parallel requests and more); 5 drops SYNs.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], routes: _Routes) -> None:
        """Bind to the address and serve the routes."""
        self.routes = routes
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Remember the connection so stop() can cut it, then handle it in a thread."""
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget and close a finished connection."""
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        """Shut down every open connection so idle keep-alive threads end now."""
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            # OSError: its handler closed it meanwhile.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hang up and errors while stopping; report anything else."""
        if not isinstance(sys.exc_info()[1], OSError) and not self.routes.stopping.is_set():
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Answers GETs from the routes; quiet, HTTP/1.1 keep-alive, no Nagle delay."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        """Send the recorded (or faulty) reply for the requested URL."""
        routes = cast(_HTTPServer, self.server).routes
        reply = routes.reply(self.path)
        if reply.delay > 0 and routes.stopping.wait(reply.delay):
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        length = len(reply.body) if reply.declared_length is None else reply.declared_length
        self.send_header("Content-Length", str(length))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)
        if reply.declared_length is not None:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: no per-request lines on stderr."""


class ReplayServer:
    """Serve a capture over HTTP on loopback, in a background thread or the foreground."""

    def __init__(
        self,
        capture: Capture | str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Sequence[Fault] = (),
        delay: float = 0.0,
    ) -> None:
        """Read the capture if given a path and bind the listening socket."""
        self.capture = capture if isinstance(capture, Capture) else read_capture(capture)
        self._routes = _Routes(self.capture, delay)
        self._routes.set_faults(faults)
        self._httpd = _HTTPServer((host, port), self._routes)
        self._thread: threading.Thread | None = None
        self._serving = False
        self._closed = False
        self._close_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """Return ``http://HOST:PORT`` for the bound socket."""
        host, port = self._httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[str]:
        """Return every URL requested so far, in order, as the client sent it."""
        return self._routes.requests

    def url(self, path: str) -> str:
        """Return the absolute URL for a path on this server."""
        return self.base_url + path

    def set_faults(self, faults: Sequence[Fault]) -> None:
        """Replace the faults while running; counters of ``times`` start afresh."""
        self._routes.set_faults(faults)

    def start(self) -> ReplayServer:
        """Serve in a background daemon thread and return self."""
        if self._thread is not None or self._closed:
            raise RuntimeError("replay server already started or stopped; make a new one")
        self._serving = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            args=(POLL_INTERVAL,),
            name=f"replay {self.base_url}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until stop() or KeyboardInterrupt, then close."""
        self._serving = True
        try:
            self._httpd.serve_forever(POLL_INTERVAL)
        finally:
            self._serving = False
            self._close()

    def stop(self) -> None:
        """Stop serving, cut open connections and close the socket; safe to call twice."""
        if self._serving:
            self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join()
            self._serving = False
        self._close()

    def _close(self) -> None:
        """Wake delayed handlers, cut connections, close the socket, join handler threads."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._routes.stopping.set()
        self._httpd.cut_connections()
        self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        """Start serving in the background."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self.stop()
