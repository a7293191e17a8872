"""Canonical bytes of an archived entity, and the git blob id of those bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, NamedTuple

import orjson

from archiver import jsonvalue

# Sorted keys: same data, same bytes, same blob, no commit.
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def canonical_bytes(entity: Any) -> bytes:
    """Return the entity as sorted-key, 2-space-indented UTF-8 JSON with a trailing newline.

    Numbers are written digit for digit (archiver.jsonvalue); a value nested deeper than
    JSON files can hold raises jsonvalue.NestingError naming the field.
    """
    return jsonvalue.dumps(entity, option=_OPTIONS) + b"\n"


def json_bytes(value: Any, option: int = 0) -> bytes:
    """Return orjson's encoding of a value (numbers exact), in a bytes object only as big as it.

    orjson's own result keeps the whole buffer it wrote into (32 KB for a 300-byte
    object): use this for encodings that are kept, by the thousand.
    """
    return bytes(memoryview(jsonvalue.dumps(value, option=option)))


def blob_id(data: bytes) -> str:
    """Return the hex object id git gives a blob holding exactly these bytes."""
    header = b"blob %d\x00" % len(data)
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


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
