"""Ctrl-C and SIGTERM: one line and the shell's status, never a traceback or click's exit 1.

click turned Ctrl-C into "Aborted!" and exit 1, the status the README gives a sync that
finished with some data not archived, and a Ctrl-C while the command modules were still being
imported (the first second or so) printed a traceback. SIGTERM (`timeout`, `kill`, a stopped
service) ended the process at once, without a word and without the cleanup a Ctrl-C runs (a
site's half-built folder removed, locks let go). Now both stop the command through that same
cleanup, say which signal in one line, and exit with 128 plus its number (130, 143), as a shell
reports a process a signal ended. What a stopped sync or import left is finished or discarded
by the next run, as after a kill.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, NoReturn


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt, so that the same cleanup runs."""


_terminated = False  # Set by SIGTERM, whose KeyboardInterrupt may be raised by Ctrl-C's handler.


@contextmanager
def interrupted_in_one_line() -> Iterator[None]:
    """Exit 130 or 143 in one line if Ctrl-C or SIGTERM stops the block."""
    try:
        yield
    except KeyboardInterrupt as error:
        exit_interrupted(error)


@contextmanager
def stopped_cleanly() -> Iterator[None]:
    """Run a command that SIGTERM stops as Ctrl-C does, and exit 130 or 143 in one line."""
    previous: Callable[[int, FrameType | None], Any] | int | None = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        with interrupted_in_one_line():
            yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_terminated(number: int, frame: FrameType | None) -> None:
    global _terminated
    _terminated = True
    on_interrupt = signal.getsignal(signal.SIGINT)
    if callable(on_interrupt):
        # What Ctrl-C does here: asyncio's handler cancels the running fetch, which then
        # ends as a Ctrl-C does (raised inside its tasks, the exception was never retrieved
        # and asyncio printed a traceback for it).
        on_interrupt(signal.SIGINT, frame)
    else:
        raise Terminated


def exit_interrupted(error: KeyboardInterrupt) -> NoReturn:
    """Say which signal stopped the command, in one line, and exit with the shell's status."""
    number = signal.SIGTERM if _terminated or isinstance(error, Terminated) else signal.SIGINT
    # A SIGTERM raised inside the fetch's tasks when Ctrl-C is ignored (a job started in the
    # background) leaves them holding it, and asyncio logs each as a traceback at exit.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    stream = sys.stderr
    if stream is not None:
        try:
            # On a terminal, after the ^C it echoed, not on the same line.
            start = "\n" if stream.isatty() else ""
            stream.write(f"{start}Error: stopped by {number.name}\n")
            stream.flush()
        except (OSError, ValueError):
            pass  # Nowhere to say it: the status still does.
    raise SystemExit(128 + number)
