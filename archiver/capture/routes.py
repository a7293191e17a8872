"""What a replayed capture answers: its responses by canonical URL, faults, a request log.

The replay server (``archiver.capture.replay``) and the in-process transport
(``archiver.capture.transport``) both answer from here, so they serve the same replies.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import unquote

from archiver.capture.faults import Fault, Reply, error_body, faulty
from archiver.capture.files import Capture, canonical_url
from archiver.jsonrepair import deep_json_bytes

__all__ = ["CACHE_BUSTER", "Routes"]

CACHE_BUSTER = "_"
# Statuses whose response has no body (RFC 9110 6.4.1). A body sent after one anyway is read
# by the client as the next response on the keep-alive connection: an unrelated URL fails.
NO_BODY_STATUSES = frozenset({204, 304})


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


class Routes:
    """The capture's responses by canonical URL, plus faults and the request log."""

    def __init__(self, capture: Capture, delay: float) -> None:
        """Index the capture; a URL recorded twice serves its last response."""
        self.delay = delay
        self.table: dict[str, tuple[int, bytes]] = {}
        for response in capture.responses:
            if response.method.upper() == "GET":
                key = canonical_url(response.url, ignore=(CACHE_BUSTER,))
                self.table[key] = (response.status, deep_json_bytes(response.body))
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

    def reply(self, raw_url: str) -> Reply:
        """Log a request and return the reply it gets, faults applied."""
        key = canonical_url(raw_url, ignore=(CACHE_BUSTER,))
        with self.lock:
            self.requests.append(raw_url)
            fault = self._take_fault(key)
        status, body = self.table.get(key) or (404, error_body(404, f"not recorded: {key}"))
        plain = Reply(status, body, delay=self.delay)
        reply = plain if fault is None else faulty(plain, fault)
        if reply.status in NO_BODY_STATUSES:
            # The recorded body (or a fault's error page) is left out, as a server leaves it.
            return dataclasses.replace(reply, body=b"", declared_length=None, chunks=None)
        return reply

    def _take_fault(self, key: str) -> Fault | None:
        """Return the first live fault matching the URL and use up one of its times."""
        for armed in self.faults:
            if armed.remaining != 0 and armed.matches(key):
                if armed.remaining is not None:
                    armed.remaining -= 1
                return armed.fault
        return None
