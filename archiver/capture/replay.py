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
``"empty-data"`` is ``{"data": []}``. ``"trickle"`` sends the headers at once, then the
real body one byte every 0.5 s (``TRICKLE_INTERVAL``): no per-read timeout ever fires, and
only a deadline on the whole response ends it. ``"gzip-bomb"`` is a valid gzip stream
(``Content-Encoding: gzip``) of about 2 MB that inflates to 2 GiB of zeros, made as it is
sent, so the server never holds it.

Other keys: ``status`` answers with that status (a small JSON error body unless ``body``
says otherwise), ``retry-after`` adds that header, ``delay`` waits that many seconds before
answering, ``times`` applies the fault to the first N matching requests only, and
``location=URL`` adds a ``Location`` header and makes the status 302 unless ``status``
gives another: a redirect, for instance to another host.
The fault types live in ``archiver.capture.faults``.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from archiver.capture.faults import Fault, Reply, error_body, parse_fault
from archiver.capture.files import Capture, read_capture
from archiver.capture.routes import Routes
from archiver.errors import ArchiverError

__all__ = ["Fault", "ReplayServer", "parse_fault"]

# How often the accept loop checks for stop(); the stdlib default of 0.5 s slows tests.
POLL_INTERVAL = 0.05


class _HTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that can cut its open connections on stop."""

    daemon_threads = True
    # Many clients connect at once (16 parallel requests and more); 5 drops SYNs.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], routes: Routes) -> None:
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
    """Answers GETs from the routes, any other method 404; quiet, HTTP/1.1 keep-alive, no
    Nagle delay."""

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
        if reply.chunks is not None:
            self._send_chunks(reply, routes)
        else:
            self.wfile.write(reply.body)
        if reply.declared_length is not None:
            self.close_connection = True

    def do_HEAD(self) -> None:
        """Answer 404 without a body: only GETs were recorded."""
        self._not_recorded(send_body=False)

    def _not_recorded(self, send_body: bool = True) -> None:
        """Answer any method but GET with a 404 (not BaseHTTPRequestHandler's 501): a capture
        records GETs only, and anything not recorded is a 404."""
        body = error_body(404, f"not recorded: {self.command} {self.path}")
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        # A request body it sent is left unread: the connection ends here, and says so (a
        # client that reused it found it closed under its next request).
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body:
            self.wfile.write(body)
        self.close_connection = True

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _not_recorded

    def _send_chunks(self, reply: Reply, routes: Routes) -> None:
        """Send a streamed body chunk by chunk, until done, stopped, or the client hangs up."""
        assert reply.chunks is not None
        for chunk in reply.chunks():
            if reply.interval > 0 and routes.stopping.wait(reply.interval):
                return
            # OSError: the client gave up (as it should on a bomb or a trickle).
            try:
                self.wfile.write(chunk)
            except OSError:
                return
            if routes.stopping.is_set():
                return

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
        self._routes = Routes(self.capture, delay)
        self._routes.set_faults(faults)
        try:
            self._httpd = _HTTPServer((host, port), self._routes)
        except OSError as error:
            # Not a path's fault (the command line's catch-all would say so): name the address.
            raise ArchiverError(
                f"cannot listen on {host} port {port}: {error.strerror or error}; "
                "give another --host or --port (0: any free port)"
            ) from None
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
