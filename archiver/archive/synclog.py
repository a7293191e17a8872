"""The sync log: what one sync did, written as a commit message with git trailers."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from archiver.archive.plan import CategoryCounts
from archiver.archive.removal_window import TRAILER as PEAKS_TRAILER
from archiver.archive.trailers import EPOCH_TRAILER
from archiver.archive.unread_parts import TRAILER as UNREAD_TRAILER
from archiver.textsafe import one_line
from archiver.times import format_epoch
from archiver.upstream.fetch import Response
from archiver.upstream.sources import source_path

CATEGORY_LABELS = {"model": "models", "endpoint": "endpoints", "provider": "providers"}


@dataclass
class SyncLog:
    """Figures of one sync, for the commit message, the summary and the exit code."""

    epoch: datetime
    requests: int = 0
    requests_failed: int = 0
    requests_absent: int = 0
    bytes_fetched: int = 0
    bytes_written: int = 0
    telemetry_samples: int = 0
    telemetry_files: int = 0
    # Ledger files written (the ZDR ledger): not entities, not telemetry, still a change.
    ledger_files: int = 0
    # {URL path: requests} for every source this sync called.
    requests_by_source: dict[str, int] = field(default_factory=dict)
    files_written: int = 0
    counts: dict[str, CategoryCounts] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    commit_id: str | None = None
    started: float = field(default_factory=time.monotonic)
    # The removal guard's window after this sync (archiver.archive.removal_window), if planned.
    part_peaks: str | None = None
    # The listings failing now and since when (archiver.archive.unread_parts), if any.
    unread_since: str | None = None

    @property
    def changed(self) -> bool:
        """Tell whether the sync wrote or removed anything (entities or telemetry)."""
        entities = any(c.added or c.changed or c.removed for c in self.counts.values())
        return entities or self.telemetry_files > 0 or self.ledger_files > 0

    def count_requests(self, responses: Iterable[Response], optional: frozenset[str]) -> None:
        """Add request figures: every request, per source, and optional sources not offered."""
        absent: dict[str, int] = {}
        for response in responses:
            self.requests += 1
            self.bytes_fetched += response.size
            path = source_path(response.url)
            self.requests_by_source[path] = self.requests_by_source.get(path, 0) + 1
            if response.status == 404 and path in optional:
                absent[path] = absent.get(path, 0) + 1
            elif not response.ok:
                self.requests_failed += 1
            if response.note:
                self.notes.append(response.note)
        self.requests_absent = sum(absent.values())
        for path, count in sorted(absent.items()):
            times = f" x{count}" if count > 1 else ""
            self.notes.append(f"not offered (HTTP 404): {path}{times}")

    def summary(self) -> str:
        """Return the one-line summary: counts added/changed/removed per category."""
        parts = [
            f"{CATEGORY_LABELS[name]} +{c.added} ~{c.changed} -{c.removed}"
            for name, c in self.counts.items()
        ]
        parts.append(f"telemetry {self.telemetry_samples} samples")
        return f"Sync {format_epoch(self.epoch)}: " + ", ".join(parts)

    def trailers(self) -> list[tuple[str, str]]:
        """Return the sync log as (key, value) git trailers."""
        rows = [
            (EPOCH_TRAILER, format_epoch(self.epoch)),
            ("Sync-Requests", self.requests_text()),
            ("Sync-Requests-By-Source", self.sources_text()),
            ("Sync-Bytes-Fetched", str(self.bytes_fetched)),
        ]
        for name, c in self.counts.items():
            label = "Sync-" + CATEGORY_LABELS[name].capitalize()
            value = f"{c.entities} total, {c.added} added, {c.changed} changed, {c.removed} removed"
            rows.append((label, value))
        rows += [
            ("Sync-Telemetry", f"{self.telemetry_samples} samples in {self.telemetry_files} files"),
            ("Sync-Bytes-Written", f"{self.bytes_written} in {self.files_written} files"),
            ("Sync-Failures", str(len(self.failures))),
            ("Sync-Duration", f"{self.seconds:.1f}s"),
        ]
        if self.part_peaks:
            rows.append((PEAKS_TRAILER, self.part_peaks))
        if self.unread_since:
            rows.append((UNREAD_TRAILER, self.unread_since))
        return rows

    def requests_text(self) -> str:
        """Return the request count with its failed and not-offered shares."""
        absent = f", {self.requests_absent} not offered" if self.requests_absent else ""
        return f"{self.requests} ({self.requests_failed} failed{absent})"

    def sources_text(self) -> str:
        """Return the requests per source, largest first: `path N, path N`."""
        ranked = sorted(self.requests_by_source.items(), key=lambda item: (-item[1], item[0]))
        return ", ".join(f"{path} {count}" for path, count in ranked) or "none"

    def message(self) -> str:
        """Return the commit message: summary, details, then a paragraph of trailers only."""
        # Upstream text in a failure may hold line breaks: one line each, or the trailers break.
        # In text order: they are gathered as responses arrive and over sets of keys, whose
        # order changes from one run to the next; the same failures read the same each hour.
        lines = sorted(map(one_line, self.failures)) + sorted(map(one_line, self.notes))
        details = [f"- {line}" for line in lines]
        body = "\n".join(details)
        trailers = "\n".join(f"{key}: {value}" for key, value in self.trailers())
        paragraphs = [self.summary(), body, trailers] if body else [self.summary(), trailers]
        return "\n\n".join(paragraphs) + "\n"
