"""Blobs read in a known order by one ``git cat-file --batch``, a step ahead of their reader.

libgit2 (pygit2) rebuilds every blob of a deep delta chain from the chain's base: an entity
file of a year of hourly commits sits 50 deltas deep, and each read costs about half a
millisecond. git keeps the bases it has rebuilt (``core.deltaBaseCacheLimit``), so reading
the versions of one file one after another costs it a few times less, and it runs in its
own process, on another core when there is one, while Python works on the blob before.

A reader that knows which blobs it will read, in which order (the export's walk over each
file's versions), plans them here; a blob asked out of that order is answered from what
was read ahead, and one never planned is not this stream's (the caller reads it itself).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
from collections.abc import Iterable
from typing import IO

from archiver.closing import ClosedOnExit

__all__ = ["NOT_PLANNED", "BlobStream"]

# What `read` answers for a blob the plan does not hold (or held and already gave).
NOT_PLANNED = object()


class BlobStream(ClosedOnExit):
    """The planned blobs of one repository, streamed in order by git cat-file."""

    def __init__(self, git_dir: str, blob_ids: Iterable[str]) -> None:
        self._plan = list(dict.fromkeys(blob_ids))
        self._pending = set(self._plan)
        self._ahead: dict[str, bytes | None] = {}
        self._process: subprocess.Popen[bytes] | None = None
        git = shutil.which("git")
        if git is None or not self._plan:
            self._pending.clear()  # No git: every read is the caller's own.
            return
        self._process = subprocess.Popen(
            [git, f"--git-dir={git_dir}", "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self._process.stdin is not None
        # The ids go in from a thread: git answers while they are still being written, and
        # neither side waits on a full pipe.
        self._writer = threading.Thread(target=_feed, args=(self._process.stdin, self._plan))
        self._writer.start()

    def read(self, blob_id: str) -> bytes | object | None:
        """Return a planned blob's bytes (None: the repository lacks it), or NOT_PLANNED."""
        if blob_id in self._ahead:
            return self._ahead.pop(blob_id)
        if blob_id not in self._pending:
            return NOT_PLANNED
        while True:
            try:
                found, data = self._next()
            except OSError:
                self.close()  # git went away: the caller reads the rest itself.
                return NOT_PLANNED
            self._pending.discard(found)
            if found == blob_id:
                return data
            self._ahead[found] = data  # Planned earlier but asked later (or never).

    def close(self) -> None:
        """Stop git (what it has not sent yet is not needed) and wait for it."""
        if self._process is None:
            return
        self._process.kill()
        self._writer.join()
        self._process.wait()
        assert self._process.stdout is not None
        self._process.stdout.close()
        self._process = None
        self._pending.clear()

    def _next(self) -> tuple[str, bytes | None]:
        """Return (id, bytes or None when missing) of git's next answer."""
        assert self._process is not None and self._process.stdout is not None
        out = self._process.stdout
        header = out.readline().split()
        if len(header) == 3:
            data = out.read(int(header[2]) + 1)[:-1]  # Each blob ends with a newline.
            return header[0].decode(), data
        if len(header) == 2 and header[1] in (b"missing", b"ambiguous"):
            return header[0].decode(), None
        raise OSError(f"git cat-file stopped answering (it said {b' '.join(header)!r})")


def _feed(stdin: IO[bytes], blob_ids: list[str]) -> None:
    """Write the blob ids git is to answer, then close its input."""
    # git stopped before it needed them all: the rest is not wanted.
    with contextlib.suppress(ValueError, OSError), stdin:
        for start in range(0, len(blob_ids), 512):
            stdin.write("".join(f"{b}\n" for b in blob_ids[start : start + 512]).encode())
