"""The sync log as the site shows it: each sync commit's trailers, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pygit2

from archiver.archive.trailers import sync_epoch
from archiver.archive.trailers import trailers as commit_trailers
from archiver.history.commits import open_repository

__all__ = ["CategoryFigures", "SyncRecord", "read_syncs"]

_CATEGORY_TRAILERS = {"Sync-Models": "models", "Sync-Endpoints": "endpoints"}
_CATEGORY_TRAILERS["Sync-Providers"] = "providers"


@dataclass(frozen=True)
class CategoryFigures:
    """One category's line of a sync: total, added, changed, removed."""

    name: str
    total: int
    added: int
    changed: int
    removed: int


@dataclass(frozen=True)
class SyncRecord:
    """One sync commit as its message tells it."""

    epoch: datetime
    commit: str
    summary: str
    categories: tuple[CategoryFigures, ...]
    requests: str
    failures: int
    duration: str
    bytes_written: str
    notes: tuple[str, ...]


def read_syncs(
    repo_path: str | Path, at: datetime | None = None, after: str | None = None
) -> list[SyncRecord]:
    """Return the sync commits of HEAD's first-parent chain with epoch <= at, newest first.

    after: stop at this commit (the newest one read before), leaving it and older ones out.
    """
    repo = open_repository(repo_path)
    if repo.head_is_unborn:
        return []
    records: list[SyncRecord] = []
    commit: pygit2.Commit | None = repo.head.peel(pygit2.Commit)
    while commit is not None and str(commit.id) != after:
        record = _record(commit)
        if record is not None and (at is None or record.epoch <= at):
            records.append(record)
        commit = commit.parents[0] if commit.parents else None
    return records


def _record(commit: pygit2.Commit) -> SyncRecord | None:
    """Return the sync a commit records, or None when it carries no Sync-Epoch trailer."""
    epoch = sync_epoch(commit)
    if epoch is None:
        return None
    # Only now: the message of a person's commit in an encoding Python lacks raises.
    message = commit.message
    trailers = commit_trailers(commit)
    body = message.strip().split("\n\n")
    notes = tuple(
        line.removeprefix("- ").strip()
        for paragraph in body[1:-1]
        for line in paragraph.split("\n")
        if line.strip()
    )
    return SyncRecord(
        epoch=epoch,
        commit=str(commit.id),
        summary=body[0].split("\n")[0] if body else "",
        categories=tuple(
            _figures(label, trailers[key])
            for key, label in _CATEGORY_TRAILERS.items()
            if key in trailers
        ),
        requests=trailers.get("Sync-Requests", ""),
        failures=_int(trailers.get("Sync-Failures", "0").split()[0]),
        duration=trailers.get("Sync-Duration", ""),
        bytes_written=trailers.get("Sync-Bytes-Written", ""),
        notes=notes,
    )


def _figures(name: str, text: str) -> CategoryFigures:
    """Parse `801 total, 0 added, 14 changed, 6 removed` into figures."""
    numbers = {}
    for part in text.split(","):
        value, _, label = part.strip().partition(" ")
        numbers[label.strip()] = _int(value)
    return CategoryFigures(
        name,
        numbers.get("total", 0),
        numbers.get("added", 0),
        numbers.get("changed", 0),
        numbers.get("removed", 0),
    )


def _int(text: str) -> int:
    """Return text as an int, 0 when it is not one."""
    try:
        return int(text)
    except ValueError:
        return 0
