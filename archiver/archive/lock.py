"""One archiver run at a time per repository: an advisory lock on a file inside .git.

The lock is `flock` on `.git/archiver.archive.lock`: the kernel releases it when the holding process
exits, however it dies, so there is never a stale lock to clean up. The file itself stays;
it names the last holder (pid, what it ran, since when) for the message a waiter prints.
A second run waits a few seconds, then refuses: it never writes, so nothing is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from archiver.errors import StoreError
from archiver.times import format_epoch

LOCK_FILE = "archiver.archive.lock"
# Long enough to ride out a run that is just finishing, short enough not to stall a job.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.1
# Locks this process holds, by (lock file, thread): a run that calls another (import runs
# syncs) takes the lock once. flock on a second descriptor of the same file would block.
_held: dict[tuple[Path, int], int] = {}


@contextlib.contextmanager
def repository_lock(
    git_dir: str | Path, root: str | Path, purpose: str, wait: float | None = None
) -> Iterator[None]:
    """Hold the repository's archiver lock for the block; raise StoreError if another run has it."""
    path = Path(git_dir) / LOCK_FILE
    key = (path, threading.get_ident())
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    descriptor = _open(path, root)
    try:
        _acquire(descriptor, path, root, WAIT_SECONDS if wait is None else wait)
        _record_holder(descriptor, purpose)
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
    finally:
        # Closing the descriptor releases the flock.
        os.close(descriptor)


def _open(path: Path, root: str | Path) -> int:
    """Open (creating) the lock file; raise StoreError when .git cannot be written."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        raise StoreError(
            f"cannot write inside {path.parent} ({error.strerror}); the archive in {root} "
            "needs a writable .git (check its owner, permissions and free space), then sync again"
        ) from error


def _acquire(descriptor: int, path: Path, root: str | Path, wait: float) -> None:
    """Take the flock, polling for up to `wait` seconds; raise StoreError if still held."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
    raise StoreError(
        f"{root} is in use by another archiver run ({_holder(path)}); waited {wait:g} s. "
        "Run again when it has finished (its lock ends with its process)"
    )


def _record_holder(descriptor: int, purpose: str) -> None:
    """Write who holds the lock into the lock file, for the message of a run that waits."""
    since = format_epoch(datetime.now(UTC))
    text = f"pid {os.getpid()}: archiver {purpose}, since {since}\n".encode()
    # A lock that cannot say who holds it still locks.
    with contextlib.suppress(OSError):
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, text, 0)


def _holder(path: Path) -> str:
    """Return the holder the lock file names, or a plain description when it names none."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text.splitlines()[0][:200] if text else "a process holds .git/archiver.archive.lock"
