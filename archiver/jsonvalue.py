"""JSON bytes to values and back, numbers digit for digit: orjson, exact where orjson is not.

orjson reads integers beyond 64 bits and decimals beyond double precision by rounding them
silently (``123456789012345678901234567890`` becomes ``1.2345678901234568e+29``), refuses
``1e400`` and cannot write integers beyond 64 bits. Such literals are rare, so:

- ``loads`` reads compact text with orjson and writes it back: the same bytes mean every
  literal was read exactly (upstream's JSON.stringify and orjson spell numbers alike, but
  for 1e-6 <= |x| < 1e-5: `0.0000025` there, `2.5e-6` here; the same value). Otherwise
  it scans the bytes for a literal that might not fit (16 or more digits, or a
  three-digit exponent) and looks closer only there; only if one really does not fit is the
  document read by the standard library, which keeps big integers as ``int`` and such
  decimals as ``ExactNumber`` (a float that remembers its literal);
- ``dumps`` calls orjson, and only if orjson refuses walks the value, puts a placeholder
  string where each such number is, lets orjson write that and puts the digits back, so
  every other byte is exactly what orjson writes.

A value nested deeper than orjson writes (255 levels) raises ``NestingError`` naming
the field, so one hostile value costs its own entity, not the whole sync.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from archiver.errors import ArchiverError

__all__ = [
    "MAX_LEVELS",
    "DecodeError",
    "EncodeError",
    "ExactNumber",
    "NestingError",
    "dumps",
    "loads",
    "values_past",
]

# orjson writes 254 nested containers around a scalar: 255 levels.
MAX_LEVELS = 255
_MAX_CONTAINERS = MAX_LEVELS - 1
DecodeError = orjson.JSONDecodeError
_SHAPES = bytes(
    ord("0")
    if chr(c) in "0123456789."
    else ord("e")
    if chr(c) in "eE"
    else ord("s")
    if chr(c) in "+-"
    else ord(" ")
    for c in range(256)
)
# 15 digits or fewer fit a double's shortest form (DBL_DIG) and an int64; 16 (or 15 and a
# '.') may not. An exponent of two digits cannot leave the double range with so few digits.
_NEEDLES = (b"0" * 16, b"e000", b"es000")
_BEFORE = frozenset((b"", b" ", b"\t", b"\n", b"\r", b"[", b",", b":"))
_AFTER = frozenset((b"", b" ", b"\t", b"\n", b"\r", b"]", b",", b"}"))
_INT = re.compile(rb"-?[0-9]+")
_FLOAT = re.compile(rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# In a JSON body: an escaped backslash (so what follows is text), or a surrogate escape (a
# high one with its low one when it has it).
_ESCAPES = re.compile(
    rb"\\(?:\\|u[dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
    rb"|u[dD][c-fC-F][0-9a-fA-F]{2})"
)
_INT64 = range(-(2**63), 2**64)
_SPACES = frozenset((b" ", b"\t", b"\n", b"\r"))
# A file saved by an editor on Windows may start with one (RFC 8259 lets readers ignore it).
_BYTE_ORDER_MARK = b"\xef\xbb\xbf"
_UNREAD = object()


class ExactNumber(float):
    """A JSON number a double cannot carry: its float value for arithmetic, its literal for JSON.

    Equality and hashing use the exact decimal value, so two spellings of one number are
    equal and a rounded float is not.
    """

    __slots__ = ("literal",)
    literal: str

    def __new__(cls, literal: str) -> ExactNumber:
        """Return the number a JSON literal spells."""
        number = super().__new__(cls, literal)
        number.literal = literal
        return number

    def exact(self) -> Decimal | None:
        """Return the exact value (None: an exponent past what Decimal holds, about 10**18)."""
        return _decimal(self.literal)

    def __eq__(self, other: object) -> bool:
        mine = self.exact()
        if isinstance(other, ExactNumber):
            theirs = other.exact()
            if mine is None or theirs is None:
                return self.literal == other.literal
            return mine == theirs
        if isinstance(other, int | float):
            return mine is not None and mine == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        # Decimal hashes equal ints and floats alike, as __eq__ needs.
        exact = self.exact()
        return hash(self.literal) if exact is None else hash(exact)

    def __repr__(self) -> str:
        return self.literal

    __str__ = __repr__

    def __reduce__(self) -> tuple[type[ExactNumber], tuple[str]]:
        return (ExactNumber, (self.literal,))

    def __copy__(self) -> ExactNumber:
        return self

    def __deepcopy__(self, memo: object) -> ExactNumber:
        return self


class EncodeError(ArchiverError):
    """A value that cannot be written as JSON."""


class NestingError(EncodeError):
    """A value nested deeper than MAX_LEVELS; `path` is where (object keys, list indexes)."""

    def __init__(self, path: list[str | int] | None = None) -> None:
        self.path: list[str | int] = path or []
        super().__init__()

    def __str__(self) -> str:
        return f"value nested deeper than {MAX_LEVELS} levels at {field_path(self.path)}"


def field_path(path: list[str | int]) -> str:
    """Return a field path as slash-joined segments, its middle cut when it is very deep."""
    parts = [str(part) for part in path]
    if len(parts) > 8:
        parts = [*parts[:5], f"...({len(parts) - 6} more)...", parts[-1]]
    return "/".join(parts) or "(top)"


# --- reading ------------------------------------------------------------------------------


def values_past(data: bytes, most: int) -> int | None:
    """Return how many values JSON text holds (its commas and opening brackets, counted at
    memchr speed, strings' too) when that is more than most, else None: parsed, `{},{},...`
    takes some 25 times its size, so a reader bounds this before it parses. Text no longer
    than most is not counted: it cannot hold more."""
    if len(data) <= most:
        return None
    values = data.count(b",") + data.count(b"{") + data.count(b"[")
    return values if values > most else None


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Return the value of a JSON document, every number exactly as written.

    Raises DecodeError (orjson's, a ValueError) for anything that is not JSON.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    raw = raw.removeprefix(_BYTE_ORDER_MARK)
    value: Any = _UNREAD
    if raw[1:2] not in _SPACES:
        # Compact text (the archiver's own telemetry, upstream's listings): if orjson writes
        # back the same bytes, every literal is a double's shortest form or a 64-bit integer,
        # so nothing was rounded. Writing back costs about a third of the read, less than
        # scanning for suspect literals (a listing holds thousands of 16-digit latencies),
        # which stays the fallback.
        try:
            value = orjson.loads(raw)
            if orjson.dumps(value) == raw:
                return value
        except (orjson.JSONDecodeError, TypeError):
            # 1e400, or nested deeper than orjson writes (a plain TypeError, not its
            # JSONEncodeError): look closer.
            value = _UNREAD
    if not _needs_exact_parse(raw):
        return orjson.loads(raw) if value is _UNREAD else value
    return _exact_loads(raw)


def _needs_exact_parse(raw: bytes) -> bool:
    """Tell whether a literal in the bytes may not fit orjson's int64/uint64/double."""
    tokens = _suspect_tokens(raw)
    if not tokens:
        return False
    # Usually every suspect is a double's shortest form (186.61000000000013): check in bulk.
    try:
        if orjson.dumps(orjson.loads(b"[" + b",".join(tokens) + b"]"))[1:-1].split(b",") == tokens:
            return False
    except orjson.JSONDecodeError:
        pass  # A token that is no JSON number (it was inside a string): look at each.
    return any(map(_token_inexact, tokens))


def _suspect_tokens(raw: bytes) -> list[bytes]:
    """Return each run of number characters holding 16 digits or a three-digit exponent."""
    # One pass in C maps digits and '.' to '0', e/E to 'e', signs to 's', the rest to ' ':
    # the runs are then found by bytes.find, much faster than a regular expression.
    shape = raw.translate(_SHAPES)
    tokens: list[bytes] = []
    for needle in _NEEDLES:
        found = shape.find(needle)
        while found >= 0:
            start = shape.rfind(b" ", 0, found) + 1
            end = shape.find(b" ", found)
            end = len(shape) if end < 0 else end
            # A number stands between structural characters; a run touching a letter or a
            # quote is inside a string (a UUID's "15e994f2"), and is left alone.
            if raw[start - 1 : start] in _BEFORE and raw[end : end + 1] in _AFTER:
                tokens.append(raw[start:end])
            found = shape.find(needle, end)
    return tokens


def _token_inexact(token: bytes) -> bool:
    """Tell whether a JSON number token is one orjson would read inexactly (not a number: no)."""
    if _INT.fullmatch(token):
        # Past 20 digits no int64/uint64 holds it, and int() refuses past 4300 (ValueError).
        return len(token.lstrip(b"-")) > 20 or int(token) not in _INT64
    return bool(_FLOAT.fullmatch(token)) and _inexact(token.decode())


def _decimal(literal: str) -> Decimal | None:
    """Return a literal's exact value, or None when its exponent is past what Decimal holds
    (`0e1000000000000000000` is JSON, and Decimal raises InvalidOperation on it)."""
    try:
        return Decimal(literal)
    except InvalidOperation:
        return None


def _inexact(literal: str) -> bool:
    """Tell whether a double written back (shortest round trip) would change a decimal literal."""
    value = float(literal)
    return not math.isfinite(value) or Decimal(repr(value)) != _decimal(literal)


def _number(literal: str) -> float:
    """Return a JSON decimal literal as a float, or as an ExactNumber if a double changes it."""
    value = float(literal)
    if len(literal) < 16 and "e" not in literal and "E" not in literal:
        return value  # 15 digits or fewer, no exponent: a double's shortest form keeps them.
    if math.isfinite(value) and Decimal(repr(value)) == _decimal(literal):
        return value
    return ExactNumber(literal)


def _integer(literal: str) -> int | float:
    """Return a JSON integer literal as an int (beyond Python's int() digit limit: exact)."""
    try:
        return int(literal)
    except ValueError:
        return ExactNumber(literal)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _exact_loads(raw: bytes) -> Any:
    """Return the value of a document holding a literal orjson would round, exactly."""
    try:
        text = raw.decode("utf-8")
        value = json.loads(
            text, parse_float=_number, parse_int=_integer, parse_constant=_no_constant
        )
    except json.JSONDecodeError as error:
        raise DecodeError(error.msg, error.doc, error.pos) from None
    except (ValueError, RecursionError) as error:
        raise DecodeError(f"not valid JSON ({error})", "", 0) from None
    if _SURROGATE_ESCAPE.search(raw) and not _valid_text(value):
        # orjson refuses a lone surrogate; the standard library would let it through.
        raise DecodeError("a string holds a lone surrogate escape", "", 0)
    return value


def _valid_text(value: Any) -> bool:
    """Tell whether every string in a value is valid Unicode (no lone surrogates)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


# --- writing ------------------------------------------------------------------------------


def dumps(value: Any, option: int = 0) -> bytes:
    """Return orjson's encoding of a value, exact numbers and big integers digit for digit.

    Raises NestingError for a value nested deeper than MAX_LEVELS, EncodeError for any
    other value JSON cannot hold.
    """
    try:
        return orjson.dumps(value, option=option)
    except orjson.JSONEncodeError as error:
        return _exact_dumps(value, option, error)


def _exact_dumps(value: Any, option: int, refused: Exception) -> bytes:
    """Return the encoding of a value orjson refused, with placeholders for exact numbers."""
    for _ in range(3):
        mark = f"\x00exact-{secrets.token_hex(8)}-"
        digits: list[bytes] = []
        swapped = _swapped(value, 0, mark, digits)
        if not digits:
            break  # Nothing of ours: orjson's own reason stands.
        try:
            text = orjson.dumps(swapped, option=option)
        except orjson.JSONEncodeError as error:
            raise EncodeError(f"value cannot be written as JSON ({error})") from None
        quoted = re.escape(orjson.dumps(mark)[:-1])
        placeholder = re.compile(quoted + rb'([0-9]+)"')
        # A string that happens to hold the mark would be replaced too: try another mark.
        if len(placeholder.findall(text)) == len(digits):
            return placeholder.sub(_literal_of(digits), text)
    raise EncodeError(f"value cannot be written as JSON ({refused})")


def _literal_of(digits: list[bytes]) -> Callable[[re.Match[bytes]], bytes]:
    """Return a substitution putting back the digits a placeholder stands for."""
    return lambda found: digits[int(found.group(1))]


def _swapped(value: Any, depth: int, mark: str, digits: list[bytes]) -> Any:
    """Return a copy of value with placeholders where orjson cannot write a number."""
    kind = type(value)
    mapping = isinstance(value, dict)
    if mapping or isinstance(value, list | tuple):
        if depth >= _MAX_CONTAINERS:
            raise NestingError()
        items = value.items() if mapping else enumerate(value)
        out: dict[Any, Any] = {}
        for key, item in items:
            try:
                out[key] = _swapped(item, depth + 1, mark, digits)
            except NestingError as error:
                error.path.insert(0, key)
                raise
        return out if mapping else list(out.values())
    if kind is ExactNumber:
        digits.append(value.literal.encode())
        return f"{mark}{len(digits) - 1}"
    if kind is int and value not in _INT64:
        digits.append(str(value).encode())
        return f"{mark}{len(digits) - 1}"
    return value


def without_lone_surrogates(body: bytes) -> tuple[bytes, int]:
    """Return the body with each lone surrogate escape as \\ufffd, and how many there were.

    A JS string cut in the middle of an emoji sends half a pair (`"\\ud83d"`): valid JSON
    text, but no character UTF-8 (or the archive's files) can hold. Without this, one cut
    description would fail its whole listing, every hour, for as long as upstream sends it.
    """
    count = 0

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal count
        escape = match.group()
        if escape == b"\\\\" or len(escape) == 12:  # An escaped backslash; a whole pair.
            return escape
        count += 1
        return b"\\ufffd"

    return _ESCAPES.sub(replace, body), count
