"""Each change's card parts kept between builds, so that a build describes only new changes.

Describing a change (its price lines, field lines, figures and kinds: :func:`card_parts`)
is most of what a build spends on history, and history only grows. Yet a card's parts are
a function of the change, which its commit, category, key, kinds and patch identify (a
commit fixes all of its history), and of the code (the file is tagged with the build
digest: other code, no entries), except for the model names ``describe`` takes from the
current projection for the summary's subject. So each entry records every name it looked
up and what it was, and an entry whose names read otherwise now is described again: a
renamed model never shows its old name. An entry is kept only if it reads back equal to
what it was made from.

The file is derived data in the site cache folder: one header line (format, build, and a
digest of the lines after it: a flipped digit in a restored cache would still parse, and
show a wrong price), then a line per change, ``<[commit, category, key, kinds, patch
digest] as JSON>\\t<parts as JSON>`` (JSON text holds no raw tab or newline). Entries stay
bytes until a build asks for them; a build writes back those of the changes it showed, so
entries of a rewritten history do not pile up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from archiver.history.kinds import Described, Detail, Kind
from archiver.history.versions import Change, SyncChanges
from archiver.site.cache_file import replace_file
from archiver.site.cards import CardParts, Figure, PriceLine, card_parts

__all__ = ["CARDS_FILE", "CardStore"]

CARDS_FILE = "card-parts.jsonl"
# 2: the header holds a digest of the entries.
FORMAT = 2


class CardStore:
    """Card parts by change: read from the cache file, described where missing or stale."""

    def __init__(self, build: str, entries: dict[bytes, bytes] | None = None) -> None:
        self.build = build
        self._entries = entries or {}
        self.reused = 0
        self.described = 0

    @classmethod
    def read(cls, folder: Path, build: str) -> CardStore:
        """Return the store kept in folder; empty when missing, damaged or of other code."""
        try:
            data = (folder / CARDS_FILE).read_bytes()
        except OSError:
            return cls(build)
        header, _, body = data.partition(b"\n")
        expected = {"format": FORMAT, "build": build, "digest": _digest(body)}
        try:
            if orjson.loads(header) != expected:
                return cls(build)  # Other code, or cut short or altered since written.
        except orjson.JSONDecodeError:
            return cls(build)
        entries = {}
        for line in body.splitlines():
            change, tab, parts = line.partition(b"\t")
            if tab:
                entries[change] = parts
        return cls(build, entries)

    def parts(self, change: Change, model_names: Mapping[str, str]) -> CardParts:
        """Return a change's card parts: the kept ones if every name they read is unchanged."""
        identity = _identity(change)
        kept = self._entries.get(identity) if identity is not None else None
        if kept is not None:
            found = _decoded(kept, change, model_names)
            if found is not None:
                self.reused += 1
                return found
        recording = _RecordingNames(model_names)
        parts = card_parts(change, recording)
        self.described += 1
        if identity is None:
            return parts
        self._entries.pop(identity, None)
        if recording.complete:
            encoded = orjson.dumps(_encoded(parts, recording.used, recording.any_asked))
            # Only what reads back equal is kept (a NaN, say, would come back as null).
            if _decoded(encoded, change, model_names) == parts:
                self._entries[identity] = encoded
        return parts

    def write(self, folder: Path, groups: Sequence[SyncChanges]) -> None:
        """Write the entries of the changes in groups into folder, atomically."""
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for group in groups:
            for change in group.changes:
                identity = _identity(change)
                parts = self._entries.get(identity) if identity is not None else None
                if identity is not None and parts is not None:
                    lines.append(identity + b"\t" + parts)
        body = b"".join(line + b"\n" for line in lines)
        header = orjson.dumps({"format": FORMAT, "build": self.build, "digest": _digest(body)})
        replace_file(folder / CARDS_FILE, [header + b"\n" + body])


class _RecordingNames(Mapping[str, str]):
    """Model names that remember which were looked up (and whether all were read)."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = names
        self.used: dict[str, str | None] = {}
        # False once something read every name (iterated): then no entry can be checked.
        self.complete = True
        # Whether something asked if there are any names (`names or {}`), and the answer.
        self.any_asked: bool | None = None

    def __bool__(self) -> bool:
        self.any_asked = bool(self._names)
        return self.any_asked

    def __getitem__(self, key: str) -> str:
        self.used[key] = self._names.get(key)
        return self._names[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.used[key] = self._names.get(key)
        return self._names.get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.used[key] = self._names.get(key)
        return key in self._names

    def __iter__(self) -> Iterator[str]:
        self.complete = False
        return iter(self._names)

    def __len__(self) -> int:
        self.complete = False
        return len(self._names)


def _digest(body: bytes) -> str:
    """Return the digest the header keeps of the entry lines."""
    return hashlib.blake2b(body, digest_size=32).hexdigest()


def _identity(change: Change) -> bytes | None:
    """Return what identifies a change (None: nothing safe, never kept).

    A commit fixes all history before it, so commit, category and key fix an entity file's
    change; the ZDR ledger may tell a second change of the same endpoint in the same
    commit, so its kinds and a digest of its patch tell the two apart.
    """
    try:
        patch = hashlib.blake2b(orjson.dumps(change.patch), digest_size=12).hexdigest()
    except orjson.JSONEncodeError:
        return None  # A patch orjson cannot write (nested too deep): described every time.
    return orjson.dumps([change.commit, change.category, change.key, change.kinds, patch])


def _encoded(parts: CardParts, names: dict[str, str | None], any_names: bool | None) -> list[Any]:
    """Return card parts and the names they read as JSON-ready data."""
    described = parts.described
    return [
        [[p.label, p.old, p.new, p.percent, p.up, p.unit] for p in parts.prices],
        list(parts.lines),
        parts.hidden_lines,
        [[figure.label, figure.value] for figure in parts.figures],
        described.subject,
        [kind.value for kind in described.kinds],
        [
            [d.kind.value, d.text, d.cheaper, None if d.percent is None else str(d.percent)]
            for d in described.details
        ],
        names,
        any_names,
    ]


def _decoded(data: bytes, change: Change, names: Mapping[str, str]) -> CardParts | None:
    """Return the card parts an entry holds, or None if it is unreadable or a name changed."""
    try:
        prices, lines, hidden, figures, subject, kinds, details, used, any_names = orjson.loads(
            data
        )
        if any_names is not None and any_names != bool(names):
            return None
        if any(names.get(key) != value for key, value in used.items()):
            return None
        return CardParts(
            prices=tuple(PriceLine(*price) for price in prices),
            lines=tuple(lines),
            hidden_lines=hidden,
            figures=tuple(Figure(*figure) for figure in figures),
            described=Described(
                change.category,
                change.key,
                subject,
                tuple(Kind(kind) for kind in kinds),
                tuple(_detail(*detail) for detail in details),
            ),
        )
    except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
        return None  # Derived data: unreadable means described again.


def _detail(kind: str, text: str, cheaper: bool | None, percent: str | None) -> Detail:
    return Detail(Kind(kind), text, cheaper, None if percent is None else Decimal(percent))
