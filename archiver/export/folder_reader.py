"""Telemetry folders read side by side, their rows handed back in folder order.

Reading a folder is CPU work (splitting, checking and joining its cells), about 0.4 s for a
day of endpoints. A few folders go to threads (Arrow's kernels let go of the GIL, most of
the rest does not); a run of many (a full export: a year is some 1,500 folders) goes to
reader processes, one a core, each opening the archive once. Either way the rows come back
in the order the folders were asked for, whichever finished first, and never more than a
few folders ahead of the writing: memory holds a few folders, not a month.

The readers are Pythons running `folder_reader.main`, fed folders (pickled) on stdin
and answering with their rows (pickled Arrow tables, buffers apart) on stdout, in order. Not
multiprocessing: its spawn runs the caller's main script again in every process (a script
calling `export_parquet` without a `__main__` guard would export once per process), and
its fork copies the export's libgit2, Arrow and thread state.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import traceback
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from archiver.closing import ClosedOnExit
from archiver.errors import ArchiverError
from archiver.export import series
from archiver.export.telemetry_files import TelemetryFiles

__all__ = ["FolderReader", "Unreadable"]

# Fewer folders than this, or fewer bytes of files, are read on threads: starting the
# processes (each imports Arrow) costs about half a second, more than an hourly rerun's two
# or three folders take, or a young archive's few small ones (4 s where threads took 0.6).
PROCESSES_FROM = 4
PROCESSES_FROM_BYTES = 4 << 20


@dataclass(frozen=True)
class Unreadable:
    """A folder left out: why (a file that is not telemetry)."""

    message: str


@dataclass(frozen=True)
class _Crashed:
    """A reader process's unexpected error, with its traceback."""

    trace: str


class FolderReader(ClosedOnExit):
    """Reads a kind's folders as Arrow tables, in parallel, in order (use as a context)."""

    def __init__(self, files: TelemetryFiles) -> None:
        self.files = files
        self.cores = os.cpu_count() or 1
        self._threads: ThreadPoolExecutor | None = None
        self._processes: list[subprocess.Popen[bytes]] = []

    def close(self) -> None:
        """End the reader threads and processes."""
        if self._threads is not None:
            self._threads.shutdown(wait=True, cancel_futures=True)
        for process in self._processes:
            _end(process)

    def read(
        self, kind: str, units: list[series.Unit]
    ) -> Iterator[tuple[series.Unit, Any | Unreadable | None]]:
        """Yield (folder, its rows sorted by key then time, or None, or Unreadable) in order."""
        # Once started, the processes read every kind's folders, few or many.
        if self.cores > 1 and (self._processes or self._worth_processes(kind, units)):
            yield from self._read_in_processes(kind, units)
        else:
            yield from self._read_on_threads(kind, units)

    def _worth_processes(self, kind: str, units: list[series.Unit]) -> bool:
        """Tell whether these folders are enough work to start the reader processes for."""
        if len(units) < PROCESSES_FROM:
            return False
        total = 0
        for unit in units:
            try:
                with os.scandir(self.files.folder(kind, unit.start)) as entries:
                    total += sum(entry.stat().st_size for entry in entries if entry.is_file())
            except OSError:
                return True  # Not in the work tree (a sparse clone's): its size is unknown.
            if total >= PROCESSES_FROM_BYTES:
                return True
        return False

    def _read_on_threads(
        self, kind: str, units: list[series.Unit]
    ) -> Iterator[tuple[series.Unit, Any]]:
        """Yield what read yields, the folders read on a few threads."""
        workers = min(4, self.cores)
        if self._threads is None:
            self._threads = ThreadPoolExecutor(max_workers=workers)
        ahead: deque[tuple[series.Unit, Future[Any]]] = deque()
        for unit in units:
            ahead.append((unit, self._threads.submit(read_unit, self.files, kind, unit)))
            if len(ahead) > workers:
                done, future = ahead.popleft()
                yield done, future.result()
        while ahead:
            done, future = ahead.popleft()
            yield done, future.result()

    def _read_in_processes(
        self, kind: str, units: list[series.Unit]
    ) -> Iterator[tuple[series.Unit, Any]]:
        """Yield what read yields, the folders read by reader processes, one a core."""
        if not self._processes:
            self._processes = [_start(self.files) for _ in range(self.cores)]
        ahead: deque[tuple[series.Unit, subprocess.Popen[bytes]]] = deque()
        for at, unit in enumerate(units):
            process = self._processes[at % len(self._processes)]
            _send(process, (kind, unit))
            ahead.append((unit, process))
            # Two a process: one being read, one waiting, so none is ever idle.
            if len(ahead) >= 2 * len(self._processes):
                done, answering = ahead.popleft()
                yield done, _answer(answering, done)
        while ahead:
            done, answering = ahead.popleft()
            yield done, _answer(answering, done)


def read_unit(files: TelemetryFiles, kind: str, unit: series.Unit) -> Any:
    """Return a folder's rows sorted by key then time (None: none), or why it was left out."""
    try:
        return series.unit_table(files, kind, unit)
    except ArchiverError as error:
        return Unreadable(str(error))


def _start(files: TelemetryFiles) -> subprocess.Popen[bytes]:
    """Start a reader process on the archive's telemetry (it imports what this one does)."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    # -P: `-c` would put the current folder first on the path, and from a folder holding
    # another `archiver` (a checkout of another version) the readers would run that code.
    process = subprocess.Popen(
        [sys.executable, "-P", "-c", "from archiver.export.folder_reader import main; main()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=environment,
    )
    _send(process, files.place())
    return process


def _send(process: subprocess.Popen[bytes], message: object) -> None:
    """Send a reader process one message."""
    assert process.stdin is not None
    try:
        pickle.dump(message, process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        process.stdin.flush()
    except BrokenPipeError:
        raise _ended(process) from None


def _answer(process: subprocess.Popen[bytes], unit: series.Unit) -> Any:
    """Return a reader process's answer for a folder."""
    assert process.stdout is not None
    try:
        found = _receive(process.stdout)
    except (EOFError, pickle.UnpicklingError):
        raise _ended(process) from None
    if isinstance(found, _Crashed):
        raise RuntimeError(f"reading telemetry from {unit.start} failed:\n{found.trace}")
    return found


def _ended(process: subprocess.Popen[bytes]) -> ArchiverError:
    """Return the error of a reader process that ended before answering."""
    code = process.wait()
    return ArchiverError(
        f"a telemetry reader process ended unexpectedly (exit {code}; out of memory?); "
        "nothing was lost: run the export again"
    )


def _end(process: subprocess.Popen[bytes]) -> None:
    """End a reader process: its input closed, it exits; killed if it does not."""
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Answer folders with their rows until the input ends (a reader process's loop)."""
    root, commit = pickle.load(requests)
    files = TelemetryFiles.at(Path(root), commit)
    while True:
        try:
            kind, unit = pickle.load(requests)
        except EOFError:
            return
        try:
            found: Any = read_unit(files, kind, unit)
        except Exception:
            found = _Crashed(traceback.format_exc())
        try:
            _answer_with(answers, found)
        except BrokenPipeError:
            return  # The export stopped (failed, or was interrupted): so does its reader.


def _answer_with(answers: IO[bytes], found: object) -> None:
    """Send an answer: pickled with its Arrow buffers out of band, each then written as it is
    (pickled in band, a day's 15 MB of rows were first copied into the pickle, a week of
    variants' 60 MB too; the rows are the same either way)."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL, buffer_callback=buffers.append)
    views = [buffer.raw() for buffer in buffers]
    pickle.dump((head, [view.nbytes for view in views]), answers, pickle.HIGHEST_PROTOCOL)
    for view in views:
        answers.write(view)
    answers.flush()


def _receive(answers: IO[bytes]) -> Any:
    """Return an answer `_answer_with` sent."""
    head, sizes = pickle.load(answers)
    buffers = []
    for size in sizes:
        buffer = bytearray(size)
        with memoryview(buffer) as view:
            got = 0
            while got < size:
                read = answers.readinto(view[got:])  # type: ignore[attr-defined]
                if not read:
                    raise EOFError("a reader process's answer was cut short")
                got += read
        buffers.append(buffer)
    return pickle.loads(head, buffers=buffers)


def main() -> None:
    """Run as a reader process: answers on the real stdout, anything printed to stderr."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the export, which ends this.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, answers)
