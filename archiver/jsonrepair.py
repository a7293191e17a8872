"""Bodies that are JSON text no reader takes as sent, read with the least repair.

Two things make a body JSON text that orjson still refuses, and each would fail its whole
listing, every hour, for as long as upstream sends it; one hostile item would stop every
other item of the listing from being archived (`/api/v1/models` is one listing):

- a lone surrogate escape (`"\\ud83d"`, a JS string cut inside an emoji): no Unicode
  character, so it is read as U+FFFD (`jsonvalue.without_lone_surrogates`);
- a value nested deeper than a JSON reader goes (orjson stops at 1,024 levels, the standard
  library at Python's recursion limit): each container that opens CUT_LEVEL levels deep is
  read as `null`. What is left above the cut is still nested far deeper than an archive
  file holds (jsonvalue.MAX_LEVELS), so the entity holding it is refused, naming the field,
  and keeps its file exactly as every value nested too deep does: the cut never reaches
  the archive.

Each repair adds one note to the sync's log, naming the response and how many places. A
capture's lines are read the same way (`archiver import` takes what a live sync takes).
`deep_json_bytes` writes such a value back (a capture replayed, a capture written), where
orjson refuses anything nested past MAX_LEVELS.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from archiver import jsonvalue
from archiver.canonical import json_bytes
from archiver.jsonvalue import MAX_LEVELS, loads, without_lone_surrogates

# Twice what a file holds, and well inside what every reader reads (the standard library,
# which reads a document holding a number no double carries, recurses once a level).
CUT_LEVEL = 2 * MAX_LEVELS
# A string (its escapes skipped whole, so an escaped quote or bracket is text) or a bracket.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPENERS = frozenset(b"[{")
_QUOTE = ord('"')


def parse_body(body: bytes, full: str) -> tuple[Any, str | None]:
    """Return a body's value and a note for the sync log when it needed a repair (or None).

    Raises the first error (orjson.JSONDecodeError) when the body is no JSON a repair reads.
    """
    try:
        return loads(body), None
    except orjson.JSONDecodeError as error:
        first: orjson.JSONDecodeError = error
    notes: list[str] = []
    made: set[str] = set()  # Each repair at most once: a body may need both.
    repaired, latest = body, first
    while True:
        message = str(latest)
        if "surrogate" in message and "surrogate" not in made:
            made.add("surrogate")
            repaired, count = without_lone_surrogates(repaired)
            note = f"{count} lone surrogate escape(s) in {full}, no Unicode character, "
            note += "archived as U+FFFD"
        elif _too_deep(message) and "nested" not in made:
            made.add("nested")
            repaired, count = without_deep_values(repaired)
            note = (
                f"{count} value(s) in {full} nested deeper than JSON readers go, read cut to "
                f"null {CUT_LEVEL} levels down: the entity holding each is refused as nested "
                "too deep"
            )
        else:
            raise first
        if not count:
            raise first
        notes.append(note)
        try:
            return loads(repaired), "; ".join(notes)
        except orjson.JSONDecodeError as error:
            latest = error


def _too_deep(message: str) -> bool:
    """Tell whether a reader's error is about nesting (orjson's or the standard library's)."""
    return "depth limit" in message or "recursion" in message


def without_deep_values(body: bytes) -> tuple[bytes, int]:
    """Return the body with each container opening CUT_LEVEL levels deep as `null`, and how
    many there were.

    Brackets inside strings are text. A body that is no JSON around its deep values stays no
    JSON: the reader's own error is what the sync reports then.
    """
    pieces: list[bytes] = []
    depth = count = kept_from = 0
    cut_from = -1
    for token in _TOKENS.finditer(body):
        first = body[token.start()]
        if first == _QUOTE:
            continue
        if first in _OPENERS:
            depth += 1
            if depth == CUT_LEVEL:
                cut_from = token.start()
            continue
        if depth == CUT_LEVEL and cut_from >= 0:
            pieces += [body[kept_from:cut_from], b"null"]
            kept_from, cut_from = token.end(), -1
            count += 1
        depth -= 1
    if not count:
        return body, 0
    return b"".join([*pieces, body[kept_from:]]), count


def deep_json_bytes(value: Any) -> bytes:
    """Return a JSON value as compact text however deeply it nests (orjson's own text when
    it can write it): containers are written here without recursion, the rest by
    jsonvalue.dumps (numbers digit for digit)."""
    try:
        return json_bytes(value)
    except jsonvalue.NestingError:
        pass
    out: list[bytes] = []
    # What is left to write, last first: values, and bytes to write as they are.
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if type(item) is bytes:
            out.append(item)
        elif isinstance(item, dict):
            pending.append(b"}")
            for index, (key, member) in reversed(list(enumerate(item.items()))):
                pending += [member, (b"," if index else b"") + jsonvalue.dumps(key) + b":"]
            pending.append(b"{")
        elif isinstance(item, list):
            pending.append(b"]")
            for index, member in reversed(list(enumerate(item))):
                pending += [member, b"," if index else b""]
            pending.append(b"[")
        else:
            out.append(jsonvalue.dumps(item))
    return b"".join(out)
