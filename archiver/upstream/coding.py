"""A response body's content coding: which ones the fetcher reads, and gzip inflated in pieces.

The fetcher asks for gzip alone (``Accept-Encoding: gzip``). What may come back is wider than
one word: RFC 9110 lets ``Content-Encoding`` list codings (``gzip, identity``) or be empty
(no coding), and asks a recipient to read ``x-gzip`` as ``gzip``; and a gzip body may hold
several members back to back (RFC 1952), as a server that compresses a streamed answer
piece by piece sends it. Reading the first member alone cut such a body short: a whole,
valid listing failed every hour as "not valid JSON". Bytes after the last member that start
no member are left unread, as before.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Literal

# Inflating a gzip body a MiB at a time keeps a bomb's cost at the limit plus one piece.
INFLATE_PIECE = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
# Compressed bytes fed to the inflater at once.
_FEED = 1 << 14
_NO_CODING = ("", "identity")
_GZIP = (["gzip"], ["x-gzip"])


def body_coding(header: str | None) -> Literal["identity", "gzip"] | None:
    """Return the coding a Content-Encoding header names, or None for any the fetcher
    did not ask for (br, deflate, gzip twice)."""
    codings = [name.strip().lower() for name in (header or "").split(",")]
    codings = [name for name in codings if name not in _NO_CODING]
    if not codings:
        return "identity"
    return "gzip" if codings in _GZIP else None


class GzipBody:
    """A gzip body inflated as its bytes arrive, member after member."""

    def __init__(self) -> None:
        self._member = _new_member()
        self._held = b""  # The first byte of a member's magic, its second still to come.
        self._past_members = False  # Bytes that start no member came: the rest is ignored.

    @property
    def ended(self) -> bool:
        """Tell whether the body ended with a whole member."""
        return self._member.eof

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """Yield what bytes of the body inflate to, at most INFLATE_PIECE bytes at a time.

        Raises zlib.error for bytes that are no gzip data.
        """
        # A slice at a time: the end of each member copies what follows it, and a body of
        # empty 20-byte members took seconds a megabyte fed whole.
        for start in range(0, len(data), _FEED):
            yield from self._fed(data[start : start + _FEED])

    def _fed(self, data: bytes) -> Iterator[bytes]:
        """Yield what a slice of the body inflates to."""
        data, self._held = self._held + data, b""
        while data and not self._past_members:
            if self._member.eof:
                if len(data) < len(GZIP_MAGIC):
                    self._held = data
                    return
                if not data.startswith(GZIP_MAGIC):
                    self._past_members = True
                    return
                self._member = _new_member()
            yield self._member.decompress(data, INFLATE_PIECE)
            member = self._member
            data = member.unused_data if member.eof else member.unconsumed_tail


def _new_member() -> zlib._Decompress:
    """Return an inflater of one gzip member."""
    return zlib.decompressobj(zlib.MAX_WBITS | 16)
