"""The reversible mapping between an entity key and its file in the archive.

A key such as ``openai/gpt-4.1`` lives at ``data/model/openai/gpt-4.1.json``:
each ``/`` makes a folder and every ``/``-separated segment is encoded on its own:

- ``a-z 0-9 . _ -`` stay as they are;
- ``:`` becomes ``~`` (``:`` breaks a checkout on Windows);
- an uppercase letter becomes ``!`` and its lowercase (case-insensitive file systems);
- every other byte of the UTF-8 form becomes ``%XX`` (uppercase hex);
- a leading or trailing ``.``, the first letter of a Windows device name
  (``con``, ``nul.txt``, ``com1``...) or of ``git~1`` (git's NTFS alias of
  ``.git``), and the last ``.`` of a folder named ``*.json`` are escaped as ``%XX``.

The result is ASCII, the same on every OS, and decodes back to exactly the key:
:func:`path_to_key` accepts only paths that :func:`key_to_path` writes. Keys
that cannot be stored safely (``..``, ``.git``, control characters, too long)
raise :class:`~archiver.errors.UnsafeKeyError` and are never written.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any, Literal, cast
from urllib.parse import unquote

from archiver.errors import UnsafeKeyError

__all__ = [
    "CATEGORIES",
    "Category",
    "category_dir",
    "holds_archive_files",
    "key_to_path",
    "path_to_key",
]

# The three kinds of entity the archive keeps, one folder each under data/.
Category = Literal["model", "endpoint", "provider"]
CATEGORIES: tuple[Category, ...] = ("model", "endpoint", "provider")

ROOT = "data"
SUFFIX = ".json"
MAX_SEGMENT = 200
MAX_PATH = 240

_SHOWN = 80
_KEPT = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{d}{n}" for d in ("com", "lpt") for n in range(10)]
)
_RESERVED_RE = "(?:con|prn|aux|nul|com[0-9]|lpt[0-9])"
# A segment that encodes to itself: kept characters only, no dot at either end,
# not a device name. Folders may not end in ".json". Covers nearly every real key.
_PLAIN_SEGMENT = rf"(?!{_RESERVED_RE}(?:\.|/|\Z))[a-z0-9_-](?:[a-z0-9._-]*[a-z0-9_-])?"
_PLAIN_KEY = re.compile(rf"(?:{_PLAIN_SEGMENT}(?<!\.json)/)*{_PLAIN_SEGMENT}")
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")
_CANONICAL_SEGMENT = re.compile(r"(?:[a-z0-9._~-]|![a-z]|%[0-9A-F]{2})+")
_UPPER_ESCAPE = re.compile(r"!([a-z])")
_PATH = re.compile(rf"{ROOT}/({'|'.join(CATEGORIES)})/(.+)\{SUFFIX}", re.DOTALL)


def _byte_code(byte: int) -> str:
    """Return how one byte of a segment's UTF-8 form is written in a path."""
    char = chr(byte)
    if char in _KEPT:
        return char
    if char == ":":
        return "~"
    if char in _UPPER:
        return "!" + char.lower()
    return f"%{byte:02X}"


_BYTE_CODES = tuple(_byte_code(byte) for byte in range(256))


def _show(value: object) -> str:
    """Return repr(value), cut to about 80 characters for an error message."""
    shown = repr(value)
    return shown if len(shown) <= _SHOWN else shown[: _SHOWN - 3] + "..."


def _refusal(category: str, key: object, why: str) -> UnsafeKeyError:
    """Return the error for a key that will not be written, naming it and why."""
    return UnsafeKeyError(
        f"refusing {category} key {_show(key)}: {why}; nothing was written for it", why
    )


def _unknown(category: object) -> str:
    """Return the reason a category is refused."""
    return f"unknown category {_show(category)} (expected one of {', '.join(CATEGORIES)})"


def holds_archive_files(tree: Any) -> bool:
    """Tell whether a commit's tree (None: an unborn HEAD) holds an archive: its layout,
    data/README.md (every sync writes it; a fresh fork of the project carries it), or its
    telemetry. A folder inside a person's own repository is refused by what lacks both."""
    return tree is not None and ("data/README.md" in tree or "data/telemetry" in tree)


def category_dir(category: Category) -> str:
    """Return the folder of a category, relative to the repository root."""
    if category not in CATEGORIES:
        raise UnsafeKeyError(f"{_unknown(category)}; check the caller")
    return f"{ROOT}/{category}"


def _segment_problem(segment: str) -> str | None:
    """Return why a raw segment cannot become a folder or file name, or None."""
    if not segment:
        return "it has an empty segment (a leading, trailing or doubled '/')"
    if segment == "..":
        return "segment '..' would escape data/"
    if segment == ".":
        return "segment '.' is not a name (it would fold into its parent folder)"
    if segment.lower() == ".git":
        return f"segment {_show(segment)} would write inside git's own folder"
    return None


def _escape_first(encoded: str) -> str:
    """Return encoded with its first (plain ASCII) character written as %XX."""
    return f"%{ord(encoded[0]):02X}{encoded[1:]}"


def _fix_special(encoded: str, is_folder: bool) -> str:
    """Return encoded with the names that some OS or git treats specially escaped."""
    if encoded.startswith("."):
        encoded = _escape_first(encoded)
    if encoded.endswith("."):
        encoded = encoded[:-1] + "%2E"
    if encoded.partition(".")[0] in _RESERVED or encoded == "git~1":
        encoded = _escape_first(encoded)
    if is_folder and encoded.endswith(SUFFIX):
        # Else folder "b.json" of key "a/b.json/c" would be file "b.json" of key "a/b".
        encoded = encoded[: -len(SUFFIX)] + "%2E" + SUFFIX[1:]
    return encoded


def _encode_segment(category: str, key: str, segment: str, is_folder: bool) -> str:
    """Return the encoded form of one '/'-segment of key, or raise UnsafeKeyError."""
    problem = _segment_problem(segment)
    if problem:
        raise _refusal(category, key, problem)
    try:
        raw = segment.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _refusal(category, key, "it is not valid Unicode (a lone surrogate)") from exc
    encoded = _fix_special("".join([_BYTE_CODES[byte] for byte in raw]), is_folder)
    if len(encoded) > MAX_SEGMENT:
        why = f"segment {_show(segment)} encodes to {len(encoded)} characters (limit {MAX_SEGMENT})"
        raise _refusal(category, key, why)
    return encoded


def _check_text(category: str, key: object) -> str:
    """Return key if it is a non-empty str free of control characters, else raise."""
    if not isinstance(key, str):
        raise _refusal(category, key, f"the key is of type {type(key).__name__}, not str")
    if not key:
        raise _refusal(category, key, "the key is empty")
    bad = _FORBIDDEN.search(key)
    if bad:
        char = bad.group()
        what = "a backslash" if char == "\\" else f"control character U+{ord(char):04X}"
        raise _refusal(category, key, f"it contains {what}")
    if len(key) > MAX_PATH:
        raise _refusal(category, key, f"it is {len(key)} characters long (limit {MAX_PATH})")
    return key


def key_to_path(category: Category, key: str) -> str:
    """Return the POSIX path, relative to the repository root, where key is archived."""
    if category not in CATEGORIES:
        raise UnsafeKeyError(
            f"refusing key {_show(key)}: {_unknown(category)}; nothing was written"
        )
    if isinstance(key, str) and len(key) <= MAX_SEGMENT and _PLAIN_KEY.fullmatch(key):
        # Fast path: such a key encodes to itself (tests check it against _encoded_path).
        return f"{ROOT}/{category}/{key}{SUFFIX}"
    return _encoded_path(category, key)


def _encoded_path(category: str, key: object) -> str:
    """Return the path of key in a known category, encoding segment by segment."""
    text = _check_text(category, key)
    segments = text.split("/")
    last = len(segments) - 1
    encoded = "/".join(
        _encode_segment(category, text, segment, index < last)
        for index, segment in enumerate(segments)
    )
    path = f"{ROOT}/{category}/{encoded}{SUFFIX}"
    if len(path) > MAX_PATH:
        raise _refusal(
            category, key, f"its path would be {len(path)} characters (limit {MAX_PATH})"
        )
    return path


def _bad_path(path: object, why: str) -> UnsafeKeyError:
    """Return the error for a path that is not one key_to_path writes."""
    return UnsafeKeyError(
        f"refusing path {_show(path)}: {why}; "
        f"archive paths look like data/<category>/<encoded key>.json"
    )


def _decode_segment(path: str, segment: str) -> str:
    """Return the raw text of one encoded segment, or raise UnsafeKeyError."""
    if not _CANONICAL_SEGMENT.fullmatch(segment):
        raise _bad_path(
            path,
            f"segment {_show(segment)} is not canonically encoded (a-z 0-9 . _ - ~ !x %XX only)",
        )
    text = _UPPER_ESCAPE.sub(lambda match: match.group(1).upper(), segment.replace("~", ":"))
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError as exc:
        raise _bad_path(path, f"segment {_show(segment)} is not UTF-8 once decoded") from exc


def path_to_key(path: str | PurePath) -> tuple[Category, str]:
    """Return (category, key) for a path written by key_to_path, the exact inverse: as text,
    or as a relative pathlib path (`file.relative_to(repo)` while walking the archive)."""
    if isinstance(path, PurePath):
        path = path.as_posix()  # Not refused as "not under a known category": it is one.
    match = _PATH.fullmatch(path) if isinstance(path, str) else None
    if match is None:
        raise _bad_path(path, "it is not under a known category or does not end in .json")
    category = cast(Category, match.group(1))
    body = match.group(2)
    if len(body) <= MAX_SEGMENT and _PLAIN_KEY.fullmatch(body):
        # Fast path: key_to_path writes such a key as itself (its own fast path).
        return category, body
    key = "/".join(_decode_segment(path, segment) for segment in body.split("/"))
    try:
        canonical = key_to_path(category, key)
    except UnsafeKeyError as exc:
        raise _bad_path(path, f"its key {_show(key)} cannot be archived") from exc
    if canonical != path:
        raise _bad_path(path, f"it is not canonical: key {_show(key)} is at {_show(canonical)}")
    return category, key
