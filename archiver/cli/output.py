"""Terminal output: in any encoding, and to a reader that may leave before the end.

Upstream names hold any character (an em dash, CJK). Where stdout is not UTF-8 (a Windows
console, PYTHONIOENCODING=latin-1, a legacy locale), printing one raised UnicodeEncodeError
out of every command that names models. Such characters now print as JSON's own escapes
(`\\u2014`; a surrogate pair beyond U+FFFF), so a line stays one line and `--json` output
stays JSON that decodes to the very same text.

A reader that leaves early (`| head -1`) ends a command that only reads, as it ends git
(archiver.cli.common: exit 141). A command that writes goes on with its work instead: an
import printed its first capture's summary, met the closed pipe, and imported no more.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
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


class _ReaderMayLeave(io.RawIOBase):
    """A pipe whose reader may go away: what is written after that is dropped, not an error."""

    def __init__(self, descriptor: int) -> None:
        super().__init__()
        self.descriptor = descriptor
        self.reader_gone = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if not self.reader_gone:
            try:
                return os.write(self.descriptor, data)
            except BrokenPipeError:
                self.reader_gone = True
        return len(data)


def finish_when_reader_leaves() -> None:
    """Let a command that writes (a sync, an import) finish its work when its output's reader
    leaves (`archiver import *.gz | head -1`): its output is dropped from then on, where
    a broken pipe stopped it after the first capture."""
    stream = sys.stdout
    try:
        piped = stat.S_ISFIFO(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        return  # No descriptor (a test's stream), or none open.
    if not piped or not isinstance(stream, io.TextIOWrapper):
        return
    stream.flush()
    raw = _ReaderMayLeave(stream.fileno())
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=stream.line_buffering,
    )
