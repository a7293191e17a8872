"""Capture files: recorded OpenRouter responses, replayable over HTTP.

A capture is JSON lines, usually gzipped. Line 1 is a header
``{"capture": ISO time, "source": ..., "note": ...}``; every further line is one
response ``{"method": "GET", "url": "<path?query>", "status": 200, "body": <json>}``.
"""

from __future__ import annotations

import dataclasses
import gzip
import stat
import zlib
from collections.abc import Collection, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from io import BufferedIOBase
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import orjson

from archiver import jsonvalue
from archiver.errors import CaptureError
from archiver.jsonrepair import deep_json_bytes, parse_body
from archiver.times import utc

GZIP_MAGIC = b"\x1f\x8b"
HEADER_FIELDS = ("capture", "source", "note")
RESPONSE_FIELDS: dict[str, type] = {"method": str, "url": str, "status": int}
# Characters RFC 3986 allows unescaped in a path segment, besides unreserved ones.
PATH_SAFE = "/:@!$&'()*+,;="
# The longest line a capture may hold: one response, and a sync drops any over 64 MB. The
# biggest real one, the catalog, is about 4 MB (2026-07). Read whole, a longer line (a gzip
# bomb of a few kB inflates to gigabytes without a newline) could take all memory.
MAX_LINE_BYTES = 128 * 1_000_000
# The most values (commas and opening brackets) a line may hold: a response the sync keeps
# holds at most one per 16 bytes of its 64 MB limit (archiver.upstream.fetch), plus the
# line's envelope. Parsed, `{},{},...` takes some 25 times its size: a 128 MB line of it,
# 3 GB, where a capture of real responses (10 to 27 bytes a value) is refused by nothing.
MAX_LINE_VALUES = 64 * 1024 * 1024 // 16 + 64
# The most a whole capture may hold once inflated: a capture is held whole to be replayed
# (some 3 times its size: parsed, then as served bytes), so lines each under the line
# limit (a few kB of gzip apiece) took memory without bound. A full sweep is about 20 MB
# (2026-07), a catalog ten times today's some 200.
MAX_CAPTURE_BYTES = 512 * 1_000_000
# The longest URL a response may be recorded under: the replay server, as Python's, reads a
# request line of at most 64 KiB, and the sync asks for a few hundred characters at most.
# Indexed (query pairs split and sorted), `?a&a&...` took 80 times its length: 128 MB of it
# in one line, some 10 GB.
MAX_URL_CHARS = 65_536


@dataclass(frozen=True)
class CapturedResponse:
    """One recorded response: the request line and what came back."""

    method: str
    url: str
    status: int
    body: Any


@dataclass(frozen=True)
class Capture:
    """A capture file's header and its responses, in recorded order."""

    time: datetime
    source: str
    note: str
    responses: tuple[CapturedResponse, ...]
    path: Path | None = None
    # The paths (no query) its GET responses answer, canonical: what an import checks a
    # capture by once its responses are dropped. Derived, so not compared.
    paths: frozenset[str] = dataclasses.field(default=frozenset(), compare=False, repr=False)


def canonical_url(url: str, *, ignore: Collection[str] = ()) -> str:
    """Return path plus query with parameters sorted and percent-encoding normalised."""
    parts = urlsplit(url)
    path = quote(unquote(parts.path), safe=PATH_SAFE) or "/"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(
        f"{quote(key, safe='')}={quote(value, safe='')}"
        for key, value in sorted(pairs)
        if key not in ignore
    )
    return f"{path}?{query}" if query else path


def read_capture(path: str | Path) -> Capture:
    """Read a capture file (gzipped or plain JSON lines) into a Capture."""
    return _read(Path(path), keep_responses=True)


def check_capture(path: str | Path) -> Capture:
    """Read a capture's header and check every line, keeping no response (``responses`` empty).

    What an import of many captures sorts and checks first: a year of daily captures held
    at once would take some 45 MB each. A line's numbers are not checked for exactness
    here (that is the full read's work), only that the line is JSON of the right shape.
    """
    return _read(Path(path), keep_responses=False)


def _read(file: Path, *, keep_responses: bool) -> Capture:
    """Read a capture's header and its responses, kept or only checked."""
    with closing(_numbered_objects(file, exact=keep_responses)) as lines:
        first = next(lines, None)
        if first is None:
            raise CaptureError(f"{file}: empty capture, expected a header line; re-record it")
        time, source, note = _header(file, *first)
        kept: list[CapturedResponse] = []
        paths: set[str] = set()
        for number, obj in lines:
            response = _response(file, number, obj)
            if response.method.upper() == "GET":
                paths.add(canonical_url(response.url).partition("?")[0])
            if keep_responses:
                kept.append(response)  # else checked, then dropped
    return Capture(time, source, note, tuple(kept), file, frozenset(paths))


def write_capture(
    path: str | Path,
    time: datetime,
    source: str,
    note: str,
    responses: Iterable[CapturedResponse],
) -> None:
    """Write a capture file: gzipped JSON lines, or plain if the name ends in .jsonl."""
    file = Path(path)
    header = {"capture": _iso(time), "source": source, "note": note}
    with _open_for_write(file) as out:
        out.write(orjson.dumps(header) + b"\n")
        for response in responses:
            line = {
                "method": response.method,
                "url": response.url,
                "status": response.status,
                "body": response.body,
            }
            out.write(deep_json_bytes(line) + b"\n")


def _open_for_write(file: Path) -> BufferedIOBase:
    """Open a capture for writing, compressed unless its suffix is .jsonl."""
    if file.suffix == ".jsonl":
        return file.open("wb")
    # mtime=0: the same responses give the same bytes.
    return gzip.GzipFile(file, "wb", mtime=0)


def _iso(time: datetime) -> str:
    """Return a UTC ISO time ending in Z; a naive time is taken as UTC."""
    return utc(time).isoformat().replace("+00:00", "Z")


def _numbered_objects(file: Path, *, exact: bool) -> Generator[tuple[int, Any], None, None]:
    """Yield (line number, parsed JSON) for each non-blank line of a capture.

    exact: numbers read digit for digit (jsonvalue); otherwise orjson's plain read where it
    can, which is enough to check a line's shape.
    """
    with _open_for_read(file) as stream:
        number = total = 0
        try:
            for number, line in enumerate(_bounded_lines(stream), start=1):
                if len(line) > MAX_LINE_BYTES:
                    raise CaptureError(
                        f"{file}:{number}: line {number} is over {MAX_LINE_BYTES // 1_000_000} "
                        "MB, longer than any response a sync keeps; not a capture to import"
                    )
                total += len(line)
                if total > MAX_CAPTURE_BYTES:
                    raise CaptureError(
                        f"{file}:{number}: the capture is over {MAX_CAPTURE_BYTES // 1_000_000} "
                        f"MB by line {number}, many times a full sweep (about 20 MB); it would "
                        "be held whole, so it is not a capture to import or replay"
                    )
                _check_values(file, number, line)
                if line.strip():
                    yield number, _parse_line(file, number, line, exact=exact)
        except (OSError, EOFError, zlib.error) as error:
            raise CaptureError(
                f"{file}: bad gzip data after line {number} ({error}); "
                "the file is corrupt or truncated, re-copy or re-record it"
            ) from error


def _bounded_lines(stream: BufferedIOBase) -> Iterator[bytes]:
    """Yield a stream's lines, none read past MAX_LINE_BYTES + 1 bytes (then it ends)."""
    while line := stream.readline(MAX_LINE_BYTES + 1):
        yield line
        if len(line) > MAX_LINE_BYTES:
            return


def _open_for_read(file: Path) -> BufferedIOBase:
    """Open a capture, decompressing it if it starts with the gzip magic bytes."""
    try:
        if not stat.S_ISREG(file.stat().st_mode):
            # A pipe (`<(zcat x.gz)`) or a device: the probe below and the import's second
            # read would each take bytes the next read then lacks, and call the file corrupt.
            raise CaptureError(
                f"{file}: not a regular file (a pipe?); a capture is read more than once, "
                "so save it to a file first"
            )
        with file.open("rb") as probe:
            magic = probe.read(2)
    except FileNotFoundError:
        raise CaptureError(f"{file}: no such capture file; check the path") from None
    except OSError as error:
        raise CaptureError(f"{file}: cannot open capture: {error.strerror}") from None
    if magic == GZIP_MAGIC:
        return gzip.open(file, "rb")
    if file.name.endswith(".gz"):
        raise CaptureError(f"{file}: not a gzip file despite its .gz name; re-copy or rename it")
    return file.open("rb")


def _check_values(file: Path, number: int, line: bytes) -> None:
    """Raise CaptureError for a line holding more values than a kept response can."""
    values = jsonvalue.values_past(line, MAX_LINE_VALUES)
    if values is not None:
        raise CaptureError(
            f"{file}:{number}: line {number} holds {values:,} commas and brackets, more "
            "than any response a sync keeps; not a capture to import"
        )


def _parse_line(file: Path, number: int, line: bytes, *, exact: bool) -> Any:
    """Parse one JSON line, naming the file and line on failure."""
    try:
        if not exact:
            try:
                return orjson.loads(line)
            except orjson.JSONDecodeError:
                pass  # A number orjson cannot hold (over 64 bits) is still JSON: read it exactly.
        # A body only repair reads (a value nested past what readers go, a lone surrogate) is
        # read as the sync reads it live: one hostile response must not cost the capture.
        return parse_body(line, f"{file}:{number}")[0]
    except orjson.JSONDecodeError as error:
        raise CaptureError(f"{file}:{number}: line {number} is not valid JSON: {error}") from None


def _header(file: Path, number: int, obj: Any) -> tuple[datetime, str, str]:
    """Return (time, source, note) from a capture's header line."""
    where = f"{file}:{number}: header line {number}"
    if not isinstance(obj, dict):
        raise CaptureError(f"{where} must be a JSON object with {', '.join(HEADER_FIELDS)}")
    missing = [field for field in HEADER_FIELDS if not isinstance(obj.get(field), str)]
    if missing:
        raise CaptureError(f"{where} lacks string field(s) {', '.join(missing)}")
    try:
        time = utc(datetime.fromisoformat(obj["capture"]))
    except ValueError:
        raise CaptureError(f"{where}: capture time {obj['capture']!r} is not ISO 8601") from None
    except OverflowError:
        # A time an hour into the year 1 with a +01:00 offset: its UTC hour is before year 1.
        raise CaptureError(
            f"{where}: capture time {obj['capture']!r} falls outside the years 1 to 9999 "
            "once in UTC"
        ) from None
    return time, obj["source"], obj["note"]


def _response(file: Path, number: int, obj: Any) -> CapturedResponse:
    """Return the CapturedResponse a response line records."""
    where = f"{file}:{number}: response line {number}"
    if not isinstance(obj, dict):
        raise CaptureError(f"{where} must be a JSON object with method, url, status, body")
    for field, kind in RESPONSE_FIELDS.items():
        if not isinstance(obj.get(field), kind) or isinstance(obj.get(field), bool):
            raise CaptureError(f"{where}: field {field!r} missing or not of type {kind.__name__}")
    if len(obj["url"]) > MAX_URL_CHARS:
        raise CaptureError(
            f"{where}: url is {len(obj['url']):,} characters, longer than any request line an "
            f"HTTP server reads ({MAX_URL_CHARS:,}); not a recorded request"
        )
    if "body" not in obj:
        raise CaptureError(f"{where}: field 'body' missing")
    if not 100 <= obj["status"] <= 599:
        # Replayed, it would be a status line no client reads: an error far from its cause.
        raise CaptureError(f"{where}: status {obj['status']} is not an HTTP status (100-599)")
    if obj["status"] < 200:
        # 1xx is informational, never a final answer: replayed, a client waits for the answer
        # that follows it (a read timeout per try), or fails at a 101's protocol switch.
        raise CaptureError(
            f"{where}: status {obj['status']} is informational (1xx), never a recorded answer; "
            "re-record the capture"
        )
    return CapturedResponse(obj["method"], obj["url"], obj["status"], obj["body"])
