"""Blobs read through one git cat-file in a planned order: in order, out of order, missing,
never planned; and the entity reader answering the same through it as without it."""

from __future__ import annotations

from pathlib import Path

import pygit2

from archiver.canonical import canonical_bytes
from archiver.history.blob_stream import NOT_PLANNED, BlobStream
from archiver.history.versions import EntityReader

ABSENT = "0123456789abcdef0123456789abcdef01234567"


def _blobs(tmp_path: Path, count: int) -> tuple[pygit2.Repository, list[str], list[bytes]]:
    """Return a bare repository holding `count` entity blobs, their ids and their bytes."""
    repo = pygit2.init_repository(str(tmp_path / "repo.git"), bare=True)
    datas = [canonical_bytes({"id": n, "pricing": {"prompt": f"0.00000{n}"}}) for n in range(count)]
    return repo, [str(repo.create_blob(data)) for data in datas], datas


def test_planned_blobs_come_in_any_order_and_the_rest_is_left_to_the_caller(
    tmp_path: Path,
) -> None:
    repo, ids, datas = _blobs(tmp_path, 3)
    with BlobStream(repo.path, [ids[0], ids[1], ABSENT, ids[2]]) as stream:
        assert stream.read(ids[1]) == datas[1]  # The first one is kept for later.
        assert stream.read(ids[0]) == datas[0]
        assert stream.read("f" * 40) is NOT_PLANNED
        assert stream.read(ABSENT) is None
        assert stream.read(ids[2]) == datas[2]
        assert stream.read(ids[0]) is NOT_PLANNED  # Given once: its reader keeps it.


def test_a_stream_closed_early_leaves_the_rest_to_the_caller(tmp_path: Path) -> None:
    repo, ids, datas = _blobs(tmp_path, 40)
    stream = BlobStream(repo.path, ids)
    assert stream.read(ids[0]) == datas[0]
    stream.close()
    assert stream.read(ids[1]) is NOT_PLANNED


def test_the_entity_reader_reads_the_same_through_a_plan(tmp_path: Path) -> None:
    repo, ids, datas = _blobs(tmp_path, 5)
    plain = EntityReader(repo)
    expected = [plain.blob_entity(blob, "x") for blob in ids]
    reader = EntityReader(repo, capacity=2)
    with reader.planned(reversed(ids)):
        found = [reader.blob_entity(blob, "x") for blob in ids]
        documents = [reader.document(blob) for blob in ids]
    assert found == expected
    assert [document.data if document else None for document in documents] == datas
