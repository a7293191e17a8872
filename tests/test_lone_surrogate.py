"""One lone surrogate escape no longer fails a whole listing.

A JS string cut in the middle of an emoji sends half a surrogate pair (`"\\ud83d"`): JSON
text, but no Unicode character, which neither UTF-8 nor the archive's files can hold. The
sync took the whole body as "not valid JSON": every model of `/api/v1/models` went unsynced,
every hour, for as long as upstream sent it. Now that escape alone is archived as U+FFFD and
the sync log says so. A real small archive; the second small capture served in-process with
one v1 description cut that way, against the same capture served clean.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson

from archiver.archive.synclog import SyncLog
from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from tests.small_captures import copy_archive, small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

V1_MODELS = "/api/v1/models"
CUT = b"\\ud83d"  # A high surrogate escape with no low one after it.


class _CutDescription(ReplayTransport):
    """The capture's replies, the first v1 model description starting with a lone surrogate."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer as the replay transport does, with the v1 listing's body cut."""
        reply = await super().handle_async_request(request)
        if request.url.path != V1_MODELS:
            return reply
        body = (await reply.aread()).replace(b'"description":"', b'"description":"' + CUT, 1)
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        stream = httpx.ByteStream(body)
        return httpx.Response(reply.status_code, headers=headers, stream=stream, request=request)


def _synced(repo: Path, transport: ReplayTransport, capture: Capture) -> SyncLog:
    options = SyncOptions(base_url=transport.base_url, transport=transport, epoch=capture.time)
    return sync(repo, options)


def _data_files(repo: Path) -> dict[str, bytes]:
    return {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in (repo / "data").rglob("*")
        if path.is_file()
    }


def test_a_lone_surrogate_costs_one_character_not_the_listing(
    small_archive: Path, small_base: Path, small_captures: list[Capture]
) -> None:
    capture = small_captures[1]
    clean = copy_archive(small_base, small_archive.parent / "clean")
    _synced(clean, ReplayTransport(capture), capture)
    log = _synced(small_archive, _CutDescription(capture), capture)

    assert not [failure for failure in log.failures if V1_MODELS in failure], log.failures
    notes = [note for note in log.notes if "lone surrogate" in note]
    assert len(notes) == 1 and V1_MODELS in notes[0], log.notes
    ours, theirs = _data_files(small_archive), _data_files(clean)
    assert ours.keys() == theirs.keys()
    # Every file as the clean sync wrote it but the model whose description was cut.
    differing = [path for path in ours if ours[path] != theirs[path]]
    assert len(differing) == 1 and differing[0].startswith("data/model/"), differing
    cut, whole = (orjson.loads(files[differing[0]])["v1"] for files in (ours, theirs))
    assert cut["description"] == "\ufffd" + whole["description"]
    assert {k: v for k, v in cut.items() if k != "description"} == {
        k: v for k, v in whole.items() if k != "description"
    }
