"""What each telemetry field should hold, and the report of what did not.

Owns the expected schema of each kind (which columns hold objects, numbers, text or anything),
the check of one leaf against it, and `Problems`: odd telemetry counted by kind and message and
reported once a sync, either as a problem (not written) or as a note (written as sent, but
unexpected: a new field, a wrong type, a field no longer sent); and which of a sync's keys may
have a line at all (`usable_keys`). It writes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from archiver.errors import UnsafeKeyError
from archiver.jsonvalue import ExactNumber
from archiver.paths import key_to_path
from archiver.telemetry.codec import dump, reads_as_time
from archiver.textsafe import key_text

_ENDPOINT_STATS = r"(?:stats|statsByTier/[^/]+)"
_ENDPOINT_SCHEMA = {
    "object": re.compile(
        r"stats|statsByTier(?:/[^/]+)?|status_heuristics\w*|routing_heuristics_by_tier(?:/[^/]+)?"
    ),
    "number": re.compile(
        rf"status|{_ENDPOINT_STATS}/(?:p(?:50|75|90|95|99)_(?:latency|throughput)"
        r"|request_count|window_minutes)"
        r"|status_heuristics\w*/[A-Za-z]+|routing_heuristics_by_tier/[^/]+/\w+"
    ),
    "text": re.compile(rf"{_ENDPOINT_STATS}/endpoint_id"),
}
SCHEMAS: dict[str, dict[str, re.Pattern[str]]] = {
    "endpoint": _ENDPOINT_SCHEMA,
    "model": {"any": re.compile(r"benchmarks\.design_arena")},
    "model_variant": {"any": re.compile(r"(?:effective_pricing|model_activity)(?:/.*)?", re.S)},
    # The documented endpoint listing's figures (archiver.upstream.documented).
    "endpoint_documented": {
        "number": re.compile(r"uptime_last_\w+|(?:latency|throughput)_last_\w+/p\d\d"),
        "any": re.compile(r"status|(?:latency|throughput)_last_\w+"),
    },
}
# {key cell: (key, figures or their JSON bytes)}: one kind's keys a sync observed.
Observed = dict[str, tuple[str, Any]]
# Leaf types written by one call to the encoder, and the types a number may arrive as.
SCALARS = frozenset({int, float, bool, type(None)})
NUMBERS = (int, float, ExactNumber)


class Expectations:
    """What each column of each kind should hold, learnt from SCHEMAS as columns are met."""

    def __init__(self) -> None:
        self._known: dict[str, dict[str, str]] = {}

    def of(self, kind: str, column: str) -> str:
        """Return what a column should hold: 'object', 'number', 'text', 'any' or 'new'."""
        known = self._known.setdefault(kind, {})
        expectation = known.get(column)
        if expectation is None:
            matches = (e for e, p in SCHEMAS.get(kind, {}).items() if p.fullmatch(column))
            expectation = known[column] = next(matches, "new")
        return expectation


def leaf_problem(expected: str, column: str, value: Any) -> str | None:
    """Return what is wrong with a leaf value, or None."""
    if expected == "any" or value is None:
        return None
    if expected == "new":
        return f"field {column} is new to the archiver, kept"
    if expected == "number" and type(value) not in NUMBERS:
        return f"{column} is a {type(value).__name__}, expected a number; kept as sent"
    if expected == "object" and value != {}:
        return f"{column} is a {type(value).__name__}, expected an object; kept as sent"
    if expected == "text" and not isinstance(value, str):
        return f"{column} is a {type(value).__name__}, expected a string; kept as sent"
    return None


class Problems:
    """Odd telemetry, counted by kind and message, reported once a sync.

    A problem is telemetry that was not written; a note is telemetry written as sent that
    looks unexpected (a new field, a wrong type, a field no longer sent).
    """

    def __init__(self) -> None:
        self.counts: Counter[tuple[bool, str, str]] = Counter()
        self.examples: dict[tuple[bool, str, str], str] = {}

    def add(self, kind: str, message: str, key: str, *, written: bool = True) -> None:
        """Count one occurrence of a message for one key."""
        entry = (written, kind, message)
        self.counts[entry] += 1
        self.examples.setdefault(entry, key)

    def total(self) -> int:
        """Return how many occurrences were counted."""
        return sum(self.counts.values())

    def lines(self, *, written: bool) -> list[str]:
        """Return one readable line per message of one severity."""
        return [
            f"{kind} telemetry: {message} ({count} key{'s' * (count > 1)}, "
            f"e.g. {key_text(self.examples[entry])!r})"
            for entry, count in sorted(self.counts.items())
            if entry[0] == written
            for _, kind, message in [entry]
        ]


def unstorable_key(kind: str, key: object) -> str | None:
    """Return why a sync's key of one kind gets no line (None: it may have one)."""
    if not isinstance(key, str) or not key or reads_as_time(key):  # (as codec.key_of)
        return "a key that is empty, not text, or spelt as a time was skipped"
    try:
        # SPEC: a key that would escape data/ (`..`, NUL, over-long) is never written; its
        # entity (an endpoint's, else a model's) is refused, so its figures go with it.
        key_to_path("endpoint" if kind.startswith("endpoint") else "model", key)
    except UnsafeKeyError:
        return "a key no entity can be archived under was skipped"
    return None


def usable_keys(kind: str, figures_by_key: Any, problems: Problems) -> Observed:
    """Return {key cell: (key, figures)} for the keys of one kind that may be usable.

    Figures are an object, its JSON bytes as orjson wrote them (orjson reads them back
    exactly), or leaves the sync packed as they arrived with the endpoint kind's checks
    (`LeafEncoder.packed`: how a sync holds most endpoint figures);
    they are flattened shard by shard, so only one shard's leaves are alive at a time.
    """
    if not isinstance(figures_by_key, Mapping):
        got = type(figures_by_key).__name__
        problems.add(kind, f"expected an object of keys, got a {got}; skipped", "", written=False)
        return {}
    usable: Observed = {}
    for key, figures in figures_by_key.items():
        problem = unstorable_key(kind, key)
        if problem:
            problems.add(kind, problem, repr(key), written=False)
        else:
            usable[dump(key)] = (key, figures)
    return usable
