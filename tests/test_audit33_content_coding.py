"""Bodies in a content coding HTTP allows are read, not failed.

The fetcher asks for gzip and inflated the first gzip member alone: a body sent as several
members back to back (RFC 1952 allows it; a server compressing a streamed answer piece by
piece sends it) was cut at the end of the first and failed, every hour, as "not valid JSON".
A `Content-Encoding` header left empty, listing `identity` beside gzip, or naming gzip
`x-gzip` (RFC 9110 asks recipients to read it as gzip) was refused as "-encoded, not gzip as
asked". Real small captures (an eighth of the models), /api/v1/models served in-process in
each coding, against the same capture served plain. Codings never asked for stay refused.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

from archiver.archive.synclog import SyncLog
from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.coding import GzipBody
from archiver.upstream.fetch import FetchPolicy
from tests.small_captures import copy_archive, small_captures
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


def _two_members(body: bytes) -> bytes:
    """Return a body as two gzip members, the first ending inside its first object."""
    return gzip.compress(body[:100]) + gzip.compress(body[100:])


class _Coded(ReplayTransport):
    """The capture's replies, /api/v1/models in one content coding."""

    def __init__(self, capture: Capture, coding: str, encode: bool) -> None:
        super().__init__(capture)
        self.coding, self.encode = coding, encode

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer as the replay transport does, /api/v1/models coded."""
        reply = await super().handle_async_request(request)
        if request.url.path != sources.V1_MODELS:
            return reply
        body = await reply.aread()
        sent = _two_members(body) if self.encode else body
        headers = {"Content-Type": "application/json", "Content-Encoding": self.coding}
        stream = httpx.ByteStream(sent)
        return httpx.Response(reply.status_code, headers=headers, stream=stream, request=request)


def _synced(repo: Path, transport: ReplayTransport, capture: Capture) -> SyncLog:
    options = SyncOptions(
        base_url=transport.base_url,
        transport=transport,
        epoch=capture.time,
        policy=FetchPolicy(attempts=1),
    )
    return sync(repo, options)


def _model_files(repo: Path) -> dict[str, bytes]:
    folder = repo / "data" / "model"
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*.json")
    }


@pytest.fixture(scope="module")
def plain(base: Path, cut: list[Capture], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the archive after the second capture served plain (do not write to it)."""
    repo = copy_archive(base, tmp_path_factory.mktemp("plain") / "archive")
    assert _synced(repo, ReplayTransport(cut[1]), cut[1]).commit_id
    return repo


@pytest.mark.parametrize(
    ("coding", "encode"),
    [("gzip", True), ("x-gzip", True), ("identity, gzip", True), ("", False), ("identity", False)],
)
def test_a_body_in_a_coding_http_allows_is_read(
    base: Path, cut: list[Capture], plain: Path, tmp_path: Path, coding: str, encode: bool
) -> None:
    repo = copy_archive(base, tmp_path / "archive")

    log = _synced(repo, _Coded(cut[1], coding, encode), cut[1])

    assert not [failure for failure in log.failures if sources.V1_MODELS in failure]
    assert _model_files(repo) == _model_files(plain)


@pytest.mark.parametrize("coding", ["br", "deflate", "gzip, gzip"])
def test_a_coding_never_asked_for_is_still_refused(
    base: Path, cut: list[Capture], tmp_path: Path, coding: str
) -> None:
    repo = copy_archive(base, tmp_path / "archive")

    log = _synced(repo, _Coded(cut[1], coding, True), cut[1])

    (failure,) = [failure for failure in log.failures if sources.V1_MODELS in failure]
    assert f"is {coding}-encoded, not gzip as asked" in failure


def test_members_split_anywhere_between_reads_inflate_whole() -> None:
    """However the wire cuts a body of several members (a magic split between two reads,
    a read of a byte), it inflates to the whole text; bytes after the last member that
    start none are left unread."""
    text = b'{"data":[' + b'{"id":"m%d"},' * 5000 % tuple(range(5000)) + b'{"id":"end"}]}'
    body = b"".join(
        gzip.compress(text[start : start + 7001]) for start in range(0, len(text), 7001)
    )
    for size in (1, 2, 3, 4099, len(body) + 5):
        sent = body + b"\x00trailing"
        inflater = GzipBody()
        got = b"".join(
            piece
            for start in range(0, len(sent), size)
            for piece in inflater.pieces(sent[start : start + size])
        )
        assert got == text and inflater.ended, size
