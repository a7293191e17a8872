"""Canonical bytes of an archived entity, and the git blob id of those bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, NamedTuple

import orjson

from archiver import jsonvalue
from archiver.indented_size import indented_size

# Sorted keys: same data, same bytes, same blob, no commit.
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
# GitHub refuses a push holding a file over 100 MiB and warns over 50 MiB. An archived file
# past that would fail every hourly push from then on, so no file may pass the warning:
# indentation makes a deep, wide value hundreds of times larger than upstream sent it.
MAX_FILE_BYTES = 50 * 2**20
# Indented, a byte sent grows to at most this many: a value of two bytes (`0,`) on a line of
# its own, behind two spaces for each of up to MAX_LEVELS levels.
_MOST_GROWTH = jsonvalue.MAX_LEVELS + 2


class FileTooLargeError(jsonvalue.EncodeError):
    """Bytes for a file over MAX_FILE_BYTES."""

    def __init__(self, size: int, *, counted_whole: bool = True) -> None:
        self.size, self.counted_whole = size, counted_whole
        super().__init__()

    def __str__(self) -> str:
        size = f"{self.size / 2**20:,.0f} MiB, more than" if self.counted_whole else "over"
        return (
            f"its file would be {size} the {MAX_FILE_BYTES // 2**20} MiB a file of the archive "
            "may hold (GitHub refuses a push holding a file over 100 MiB)"
        )


def checked_size(data: bytes) -> bytes:
    """Return the bytes of a file to write, or raise FileTooLargeError past MAX_FILE_BYTES."""
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLargeError(len(data))
    return data


def canonical_bytes(entity: Any) -> bytes:
    """Return the entity as sorted-key, 2-space-indented UTF-8 JSON with a trailing newline.

    Numbers are written digit for digit (archiver.jsonvalue); a value nested deeper than
    JSON files can hold raises jsonvalue.NestingError naming the field, and bytes past
    MAX_FILE_BYTES FileTooLargeError (both jsonvalue.EncodeError).
    """
    # Counted before it is written when indenting it could take gigabytes: a 4 MB value sent
    # 250 levels deep is a 1 GB file.
    if len(jsonvalue.dumps(entity)) * _MOST_GROWTH > MAX_FILE_BYTES:
        size = indented_size(entity, MAX_FILE_BYTES) + 1
        if size > MAX_FILE_BYTES:
            raise FileTooLargeError(size, counted_whole=False)
    return checked_size(order_bytes(entity))


def order_bytes(entity: Any) -> bytes:
    """Return what copies of one entity sort by: its canonical bytes, whatever their size."""
    return jsonvalue.dumps(entity, option=_OPTIONS) + b"\n"


def json_bytes(value: Any, option: int = 0) -> bytes:
    """Return orjson's encoding of a value (numbers exact), in a bytes object only as big as it.

    orjson's own result keeps the whole buffer it wrote into (32 KB for a 300-byte
    object): use this for encodings that are kept, by the thousand.
    """
    return bytes(memoryview(jsonvalue.dumps(value, option=option)))


def blob_id(data: bytes) -> str:
    """Return the hex object id git gives a blob holding exactly these bytes."""
    # Hashed in two parts: joined, every file's bytes were copied once more (50,000 a sync).
    digest = hashlib.sha1(b"blob %d\x00" % len(data), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()


class StagedBlob(NamedTuple):
    """Bytes already written to the object store, before the commit that names them."""

    blob: str
    size: int


# Writes bytes into the object store now and says where: a writer that makes many big files
# hands each over as soon as it is made instead of holding them all until the commit.
StageBlob = Callable[[bytes], StagedBlob]


def is_canonical(data: bytes) -> bool:
    """Tell whether bytes are exactly the canonical form of the JSON they hold."""
    try:
        return canonical_bytes(jsonvalue.loads(data)) == data
    except (jsonvalue.DecodeError, jsonvalue.EncodeError):
        return False
