"""The replay server's faults: what a fault is, how the CLI spells one, what it sends.

The fault kinds are described in the ``archiver.capture.replay`` docstring, for users of the server.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import orjson

T = TypeVar("T")

BODY_KINDS = ("truncated", "dropped", "html", "not-json", "empty-data", "trickle", "gzip-bomb")
FAULT_KEYS = ("status", "retry-after", "delay", "body", "times", "location")
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>Injected by the replay server.</p></body></html>"
)
NOT_JSON = b"\x00\xffnot json at all\x8b\x1f<"
EMPTY_DATA = b'{"data":[]}'
# One byte every half second: slow enough that a 100 kB body takes 14 hours, fast enough
# that no per-read timeout (30 s by default) ever fires.
TRICKLE_INTERVAL = 0.5
MIB = 1 << 20
# What the gzip bomb inflates to: 2 GiB of zeros from about 2 MB on the wire.
GZIP_BOMB_BYTES = 2048 * MIB
# A gzip member header: magic, deflate, no flags, no time, unknown OS.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


@dataclass(frozen=True)
class Fault:
    """A deliberate misbehaviour for requests whose URL matches ``url``."""

    url: str
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    body: str | None = None
    times: int | None = None
    location: str | None = None

    def __post_init__(self) -> None:
        """Reject a fault that could never be served."""
        if not self.url:
            raise ValueError("fault URL is empty; give a path like /api/v1/models or a glob")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"fault status {self.status} is not an HTTP status (100-599)")
        if self.status is not None and self.status < 200:
            # Informational: a client waits for the answer after it, which never comes.
            raise ValueError(f"fault status {self.status} is informational (1xx), not an answer")
        if self.body is not None and self.body not in BODY_KINDS:
            raise ValueError(f"fault body {self.body!r} is not one of {', '.join(BODY_KINDS)}")
        if self.delay < 0:
            raise ValueError(f"fault delay {self.delay} is negative")
        if self.times is not None and self.times < 0:
            raise ValueError(f"fault times {self.times} is negative")
        if self.location is not None and not self.location:
            raise ValueError("fault location is empty; give the URL to redirect to")
        for name, value in (("retry-after", self.retry_after), ("location", self.location)):
            # Sent as a header line, byte for byte (Latin-1): a CR or LF would end it and
            # forge headers or a whole response after it, and a character beyond Latin-1
            # stopped the handler mid-answer. Other bytes stay: a hostile upstream's header
            # (raw UTF-8, C1 controls) is what a fault is for.
            if value is not None and any(char in "\r\n\x00" or char > "\xff" for char in value):
                raise ValueError(
                    f"fault {name} {value!r} holds a line break, a NUL or a character beyond "
                    "Latin-1; a header line carries none (percent-encode it)"
                )


@dataclass(frozen=True)
class Reply:
    """What the server sends for one request.

    ``chunks``, when given, replaces ``body`` on the wire: sent one after another,
    ``interval`` seconds apart, under a Content-Length of ``declared_length``.
    """

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    declared_length: int | None = None
    chunks: Callable[[], Iterator[bytes]] | None = None
    interval: float = 0.0


def parse_fault(spec: str) -> Fault:
    """Parse ``URL[,key=value...]`` (keys as in FAULT_KEYS) into a Fault."""
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
            location=values.get("location"),
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


def error_body(status: int, message: str) -> bytes:
    """Return a small OpenRouter-style JSON error document."""
    return orjson.dumps({"error": {"code": status, "message": message}})


def faulty(plain: Reply, fault: Fault) -> Reply:
    """Return the reply a fault turns a plain reply into."""
    headers = _fault_headers(fault)
    delay = plain.delay + fault.delay
    status = fault.status or (302 if fault.location is not None else None)
    kind = fault.body
    if kind == "truncated":
        half = plain.body[: len(plain.body) // 2]
        return Reply(status or plain.status, half, headers=headers, delay=delay)
    if kind == "dropped":
        half, length = plain.body[: len(plain.body) // 2], len(plain.body)
        return Reply(status or plain.status, half, JSON_TYPE, headers, delay, length)
    if kind == "trickle":
        return Reply(
            status or plain.status,
            b"",
            headers=headers,
            delay=delay,
            declared_length=len(plain.body),
            chunks=_trickled(plain.body),
            interval=TRICKLE_INTERVAL,
        )
    if kind == "gzip-bomb":
        return Reply(
            status or 200,
            b"",
            headers=(*headers, ("Content-Encoding", "gzip")),
            delay=delay,
            declared_length=gzip_bomb_length(GZIP_BOMB_BYTES),
            chunks=_bomb,
        )
    canned = {"html": (HTML_PAGE, HTML_TYPE), "not-json": (NOT_JSON, JSON_TYPE)}
    canned["empty-data"] = (EMPTY_DATA, JSON_TYPE)
    if kind in canned:
        body, content_type = canned[kind]
        return Reply(status or 200, body, content_type, headers, delay)
    if status is not None:
        return Reply(status, error_body(status, "injected fault"), headers=headers, delay=delay)
    return Reply(plain.status, plain.body, headers=headers, delay=delay)


def _fault_headers(fault: Fault) -> tuple[tuple[str, str], ...]:
    """Return the headers a fault adds: Retry-After, Location."""
    headers: list[tuple[str, str]] = []
    if fault.retry_after is not None:
        headers.append(("Retry-After", fault.retry_after))
    if fault.location is not None:
        headers.append(("Location", fault.location))
    return tuple(headers)


def _trickled(body: bytes) -> Callable[[], Iterator[bytes]]:
    """Return a maker of the body's bytes one at a time."""
    return lambda: (body[n : n + 1] for n in range(len(body)))


def _bomb_segment() -> tuple[bytes, bytes]:
    """Return a raw deflate segment that inflates to one MiB of zeros, and the final block.

    A full flush ends the segment on a byte boundary with an empty dictionary, so the same
    bytes repeated N times inflate to N MiB: the bomb is never held in memory, sent or built.
    """
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    segment = squeeze.compress(bytes(MIB)) + squeeze.flush(zlib.Z_FULL_FLUSH)
    return segment, squeeze.flush(zlib.Z_FINISH)


def gzip_bomb_length(inflated: int) -> int:
    """Return how many bytes the gzip bomb inflating to `inflated` bytes sends."""
    segment, final = _bomb_segment()
    return len(_GZIP_HEADER) + len(segment) * (inflated // MIB) + len(final) + 8


def _bomb() -> Iterator[bytes]:
    """Yield a valid gzip stream of GZIP_BOMB_BYTES zeros, a segment at a time."""
    segment, final = _bomb_segment()
    yield _GZIP_HEADER
    crc = 0
    zeros = bytes(MIB)
    for _ in range(GZIP_BOMB_BYTES // MIB):
        # Checksummed as it goes: a client that stops early costs only what it read.
        crc = zlib.crc32(zeros, crc)
        yield segment
    yield final + struct.pack("<II", crc, GZIP_BOMB_BYTES & 0xFFFFFFFF)
