"""Backfill: import past captures as dated syncs, through the same path as a live sync."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from archiver.archive.epoch_order import FUTURE_SLACK
from archiver.archive.store import Store
from archiver.archive.synclog import SyncLog
from archiver.capture.files import Capture, check_capture, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.errors import ArchiverError
from archiver.sync import EVERY_SOURCE, SyncOptions, sync
from archiver.times import format_epoch, hour_epoch
from archiver.upstream import sources
from archiver.upstream.fetch import Response


def import_captures(
    repo: str | Path,
    paths: Iterable[str | Path] | str | Path,
    options: SyncOptions | None = None,
    on_response: Callable[[Response], None] | None = None,
    on_log: Callable[[Capture, SyncLog], None] | None = None,
) -> list[SyncLog]:
    """Import captures (paths, or one path) oldest first, each as one sync at its capture
    time's epoch.

    Each capture is served to the sync's HTTP client in-process (``ReplayTransport``: the
    replay server's replies without a socket) and synced exactly like a live sync; sources
    it did not record count as not offered, so they stay untouched. The whole import holds
    the repository's lock; a capture dated after now + 1 hour is refused.

    Every capture is read and checked before the first sync (a bad file refuses the whole
    import, nothing written), then read again just before its own sync: one capture's
    responses are held at a time, so a year of captures takes the memory of one.
    """
    if isinstance(paths, str | os.PathLike):
        # One capture given as itself: text was read a character at a time ("/: not a
        # regular file"), and a Path raised TypeError.
        paths = [paths]
    checked = sorted((check_capture(path) for path in paths), key=_import_order)
    _refuse_future(checked, datetime.now(UTC))
    _refuse_foreign_urls(checked)
    base = options or SyncOptions()
    logs: list[SyncLog] = []
    with Store(repo).lock("import"):
        _refuse_older_than_archive(repo, checked)
        for header in checked:
            capture = read_capture(_path(header))
            replay = ReplayTransport(capture)
            run = dataclasses.replace(
                base,
                base_url=replay.base_url,
                transport=replay,
                epoch=capture.time,
                optional_sources=EVERY_SOURCE,
            )
            log = sync(repo, run, on_response)
            logs.append(log)
            if on_log is not None:
                on_log(capture, log)
    return logs


def _import_order(capture: Capture) -> tuple[datetime, str, str]:
    """Return a capture's place in the import: by time, then by file, never by argument order.

    Two captures of one time (two recorders, a copy edited) are both synced at that hour and
    the later one's data stands: the command line's order must not pick it.
    """
    path = _path(capture)
    return capture.time, path.name, str(path.resolve())


def _refuse_future(captures: list[Capture], now: datetime) -> None:
    """Raise if a capture is dated beyond now + FUTURE_SLACK: its epoch would block later syncs."""
    future = [c for c in captures if c.time > now + FUTURE_SLACK]
    if future:
        raise ArchiverError(
            f"refusing to import {_name(future[0])}: it is dated in the future (now is "
            f"{format_epoch(now)}); fix the capture's time in its header line, then import again"
        )


def _refuse_foreign_urls(captures: list[Capture]) -> None:
    """Raise if a capture answers no URL a sync asks for: its sync would fetch nothing.

    A capture recorded under another base URL (`/proxy/api/v1/models`), or with URLs lacking
    their leading `/`, imported as a sync that said "fetched nothing" and exited 0.
    """
    for capture in captures:
        if not any(sources.source_path(path) in EVERY_SOURCE for path in capture.paths):
            example = min(capture.paths, default=None)
            recorded = f"its URLs are like {example!r}" if example else "it records no GET"
            raise ArchiverError(
                f"refusing to import {_name(capture)}: it answers no URL the archiver asks "
                f"for (such as {sources.V1_MODELS}), {recorded}; was it recorded against "
                "another base URL? A capture's URLs are paths from OpenRouter's root"
            )


def _refuse_older_than_archive(repo: str | Path, captures: list[Capture]) -> None:
    """Raise if any capture predates the archive's latest sync epoch."""
    latest = _latest_sync(repo)
    if not captures or latest is None:
        return
    older = [c for c in captures if hour_epoch(c.time) < latest]
    if older:
        names = ", ".join(_name(c) for c in older[:3]) + (" ..." if len(older) > 3 else "")
        # Sorted by time, the rest follow the older ones: what an import cut short (Ctrl-C, a
        # killed job) still has to do when it is run again with the same captures.
        rest = captures[len(older) :]
        resume = (
            f"to go on with an import cut short, give only the {len(rest)} from "
            f"{_name(rest[0])} on; "
            if rest
            else ""
        )
        raise ArchiverError(
            f"refusing to import {len(older)} capture(s) older than the archive's latest sync "
            f"({format_epoch(latest)}): {names}; history is written in time order: {resume}"
            "import older captures into a new archive first"
        )


def _latest_sync(repo: str | Path) -> datetime | None:
    """Return the archive's latest sync epoch (None: no archive or no sync yet)."""
    if not Path(repo, ".git").exists():
        return None
    return Store(repo, create=False).latest_epoch()


def _path(capture: Capture) -> Path:
    """Return the file a checked capture was read from."""
    assert capture.path is not None  # check_capture always sets it
    return capture.path


def _name(capture: Capture) -> str:
    """Return how a capture is named in messages."""
    label = capture.path.name if capture.path else "capture"
    return f"{label} ({format_epoch(capture.time)})"
