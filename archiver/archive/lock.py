"""One archiver run at a time per repository: an advisory lock on a file inside .git.

The lock is `flock` on `.git/archiver.archive.lock`: the kernel releases it when the holding process
exits, however it dies, so there is never a stale lock to clean up. The file itself stays;
it names the last holder (pid, what it ran, since when) for the message a waiter prints.
A second run waits a few seconds, then refuses: it never writes, so nothing is lost.

An output folder (a site's --out, an export's folder) is guarded the same way by
`output_lock`, on a lock file beside it: two runs writing one folder would mix their files.
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
        _acquire(descriptor, path, str(root), WAIT_SECONDS if wait is None else wait)
        _record_holder(descriptor, purpose)
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
    finally:
        # Closing the descriptor releases the flock.
        os.close(descriptor)


@contextlib.contextmanager
def output_lock(out: Path, purpose: str, wait: float | None = None) -> Iterator[None]:
    """Hold the lock of an output folder for the block; raise StoreError if another run has it.

    The lock file sits beside the folder (`.<name>.lock`: a site build replaces the folder
    itself, and an export refuses files in it that it did not write) and only while a run
    holds it: the holder removes it before letting go, so nothing is left beside the folder.
    """
    path = out.with_name(f".{out.name}.lock")
    key = (path, threading.get_ident())
    if key in _held:  # A run holding it calls a step that takes it too (export, publish).
        yield
        return
    descriptor = _take_output_lock(path, out, WAIT_SECONDS if wait is None else wait)
    try:
        _record_holder(descriptor, purpose)
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
            # Removed while still held: a waiter that opened this file finds it gone, retries.
            path.unlink(missing_ok=True)
    finally:
        os.close(descriptor)


def _take_output_lock(path: Path, out: Path, wait: float) -> int:
    """Return a descriptor holding the flock on the lock file that is at path now."""
    deadline = time.monotonic() + wait
    while True:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        except OSError as error:
            raise StoreError(
                f"cannot write {path} ({error.strerror}); pick an output folder whose parent "
                "can be written, then run again"
            ) from error
        try:
            _acquire(descriptor, path, str(out), max(0.0, deadline - time.monotonic()), wait)
            if _is_file_at(descriptor, path):
                return descriptor
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)  # Its holder removed it on letting go: take the one there now.


def _is_file_at(descriptor: int, path: Path) -> bool:
    """Tell whether an open descriptor is the file path names now."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (held.st_dev, held.st_ino) == (found.st_dev, found.st_ino)


def _open(path: Path, root: str | Path) -> int:
    """Open (creating) the lock file; raise StoreError when .git cannot be written."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        raise StoreError(
            f"cannot write inside {path.parent} ({error.strerror}); the archive in {root} "
            "needs a writable .git (check its owner, permissions and free space), then sync again"
        ) from error


def _acquire(
    descriptor: int, path: Path, subject: str, wait: float, waited: float | None = None
) -> None:
    """Take the flock, polling for up to `wait` seconds; raise StoreError if still held,
    saying the whole wait (`waited`, else `wait`) as a person would: 5 s, not 4.99996 s,
    the time an output lock had left."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
    said = round(wait if waited is None else waited, 1)
    raise StoreError(
        f"{subject} is in use by another archiver run ({_holder(path)}); waited {said:g} s. "
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
    return text.splitlines()[0][:200] if text else f"a process holds {path.name}"
