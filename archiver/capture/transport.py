"""A capture served to httpx in-process: the replay server's replies, without a socket.

``ReplayTransport`` answers every request from the same routes as ``ReplayServer``
(``archiver.capture.routes``): recorded status and body by canonical URL, 404 for anything
else, and the same faults. The sync's whole client path still runs (httpx's client, the
fetcher's retries, streamed size caps, gzip decoding, the deadline); only the loopback
connection is left out. ``archiver import`` and the tests that need no wire use it: a
small capture syncs several times faster than over HTTP. Faults that are about the wire
are played as the client would see them: ``delay`` and ``trickle`` wait between chunks,
``dropped`` ends the body early with httpx's ``RemoteProtocolError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx

from archiver.capture.faults import Fault, Reply
from archiver.capture.files import Capture, read_capture
from archiver.capture.routes import Routes

__all__ = ["REPLAY_BASE_URL", "ReplayTransport"]

# The base URL a sync uses with this transport: `.invalid` never resolves (RFC 2606), so it
# says in every message that the reply came from a capture, not from the network.
REPLAY_BASE_URL = "http://capture.invalid"


class ReplayTransport(httpx.AsyncBaseTransport):
    """An httpx transport that answers from a capture, faults applied."""

    def __init__(self, capture: Capture | str | Path, faults: Sequence[Fault] = ()) -> None:
        """Read the capture if given a path and index its responses."""
        self.capture = capture if isinstance(capture, Capture) else read_capture(capture)
        self.base_url = REPLAY_BASE_URL
        self._routes = Routes(self.capture, 0.0)
        self._routes.set_faults(faults)

    @property
    def requests(self) -> list[str]:
        """Return every URL requested so far, in order, as the client sent it."""
        return self._routes.requests

    def set_faults(self, faults: Sequence[Fault]) -> None:
        """Replace the faults; counters of ``times`` start afresh."""
        self._routes.set_faults(faults)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as the replay server would."""
        reply = self._routes.reply(request.url.raw_path.decode("ascii"))
        if reply.delay > 0:
            await asyncio.sleep(reply.delay)
        length = len(reply.body) if reply.declared_length is None else reply.declared_length
        headers = [
            ("Content-Type", reply.content_type),
            ("Content-Length", str(length)),
            *reply.headers,
        ]
        return httpx.Response(
            reply.status, headers=headers, stream=_ReplyStream(reply), request=request
        )


class _ReplyStream(httpx.AsyncByteStream):
    """A reply's body as the client reads it off the wire."""

    def __init__(self, reply: Reply) -> None:
        self._reply = reply

    async def __aiter__(self) -> AsyncIterator[bytes]:
        reply = self._reply
        if reply.chunks is not None:
            for chunk in reply.chunks():
                if reply.interval > 0:
                    await asyncio.sleep(reply.interval)
                yield chunk
            return
        if reply.body:
            yield reply.body
        if reply.declared_length is not None and reply.declared_length > len(reply.body):
            # What httpcore raises when the server closes before the announced length.
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body "
                f"(received {len(reply.body)} bytes, expected {reply.declared_length})"
            )
