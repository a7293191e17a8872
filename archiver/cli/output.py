"""Terminal output: in any encoding, and to a reader that may leave before the end.

Upstream names hold any character (an em dash, CJK). Where stdout is not UTF-8 (a Windows
console, PYTHONIOENCODING=latin-1, a legacy locale), printing one raised UnicodeEncodeError
out of every command that names models. Such characters now print as JSON's own escapes
(`\\u2014`; a surrogate pair beyond U+FFFF), so a line stays one line and `--json` output
stays JSON that decodes to the very same text.

A reader that leaves early (`| head -1`) ends a command that only reads, as it ends git
(archiver.cli.common: exit 141). A command that writes goes on with its work instead, whatever
becomes of its output: an import printed its first capture's summary, met the closed pipe (or
a full disk, `> /dev/full`), and imported no more; a sync whose stderr was closed (`2>&-`) or
full stopped at its first progress line, before it committed anything.

A descriptor 0, 1 or 2 closed when a command starts is pointed at /dev/null: otherwise the
next file the command opens (the repository's lock file, an archived file) takes that number,
and whatever a child process it starts writes to its stdout or stderr lands in that file.
"""

from __future__ import annotations

import codecs
import io
import os
import select
import sys
from typing import Any

ESCAPE = "archiver-json-escape"


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    """Return the unencodable characters as JSON \\uXXXX escapes (the codec error handler)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    escaped = []
    for character in error.object[error.start : error.end]:
        code = ord(character)
        if code > 0xFFFF:
            code -= 0x10000
            escaped.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), error.end


codecs.register_error(ESCAPE, _json_escape)


def escape_unencodable_output() -> None:
    """Make stdout and stderr escape what their encoding cannot hold instead of raising."""
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper) or stream.errors != "strict":
            continue  # stderr already escapes (backslashreplace); a test's stream is its own.
        if codecs.lookup(stream.encoding).name != "utf-8":
            stream.reconfigure(errors=ESCAPE)


def write_whole_output() -> None:
    """Give stdout and stderr a buffer when Python runs unbuffered (`PYTHONUNBUFFERED`, `-u`).

    Unbuffered, a text stream hands each write to one `write()` call and ignores how much of
    it went out: a reader leaving (`| head -1`) cut a long JSON document short with exit 0, as
    if it had all been read, and a write interrupted midway lost the rest. A buffer writes all
    or raises; flushed at every line (or carriage return), it still passes output on at once.
    """
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, io.TextIOWrapper) and isinstance(stream.buffer, io.RawIOBase):
            setattr(sys, name, _buffered(stream, stream.buffer))


def _buffered(stream: io.TextIOWrapper, raw: io.RawIOBase) -> io.TextIOWrapper:
    """Return a text stream like `stream` that writes to `raw` through a buffer."""
    return io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=True,
        write_through=True,
    )


def reserve_closed_descriptors() -> None:
    """Point stdin, stdout or stderr at /dev/null if it was closed when the command started."""
    for descriptor, mode in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(descriptor)
            continue
        except OSError:
            pass
        null = os.open(os.devnull, mode)  # The lowest free number: this one or a lower one.
        if null != descriptor:
            os.dup2(null, descriptor)
            os.close(null)


class _OutputMayFail(io.RawIOBase):
    """An output that may stop taking writes (its reader left, its disk is full, its
    descriptor was closed): what is written after the first failure is dropped, not an error."""

    def __init__(self, descriptor: int) -> None:
        super().__init__()
        self.descriptor = descriptor
        self.failed = False

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return os.isatty(self.descriptor)

    def fileno(self) -> int:
        return self.descriptor

    def write(self, data: Any) -> int:
        while not self.failed:
            try:
                return os.write(self.descriptor, data)
            except BlockingIOError:
                # A full pipe its reader set non-blocking: wait for room, as a blocking one does.
                select.select([], [self.descriptor], [])
            except OSError:
                self.failed = True
        return len(data)


def finish_whatever_becomes_of_output() -> None:
    """Let a command that writes (a sync, an import) finish its work when its output cannot
    be written (`archiver import *.gz | head -1`, `> /dev/full`, `2>&-`): that stream's output
    is dropped from its first failed write on, where the error stopped the work."""
    sys.stdout = _failure_proof(sys.stdout, 1)
    sys.stderr = _failure_proof(sys.stderr, 2)


def _failure_proof(stream: Any, descriptor: int) -> Any:
    """Return a stream that writes to descriptor and drops what it cannot write."""
    if stream is None:
        # Closed when Python started (reserve_closed_descriptors has given it /dev/null).
        encoding, errors, line_buffering = "utf-8", "strict", True
    elif isinstance(stream, io.TextIOWrapper) and _descriptor(stream) == descriptor:
        stream.flush()
        encoding, errors = stream.encoding, stream.errors or "strict"
        line_buffering = stream.line_buffering
    else:
        return stream  # A test's stream, or one already replaced.
    return io.TextIOWrapper(
        io.BufferedWriter(_OutputMayFail(descriptor)),
        encoding=encoding,
        errors=errors,
        line_buffering=line_buffering,
    )


def _descriptor(stream: io.TextIOWrapper) -> int | None:
    """Return the descriptor a stream writes to, or None."""
    try:
        return stream.fileno()
    except (OSError, ValueError):
        return None
