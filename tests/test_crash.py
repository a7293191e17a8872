"""A sync killed with SIGKILL at a random moment leaves the old commit or the new one.

A sync fetches first and writes only at the end (objects, journal, branch, work tree), so
kills spread evenly over its time would mostly land in the fetch, where nothing is on disk.
Each trial instead targets one phase: it waits until the phase shows on disk, then kills
at a random moment within the length that phase had in a reference sync.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from archiver.archive.lock import LOCK_FILE
from archiver.archive.store import JOURNAL
from archiver.capture.files import Capture, read_capture, write_capture
from archiver.times import format_epoch
from tests.archive_helpers import commit_count, git, status_clean
from tests.small_captures import QUARTER_STEP, some_models, sync_small, with_models_only

POLL_S = 0.0005


# A process that has imported the archiver once and forks a child for each sync: the child
# runs `archiver sync` as its own process (its own pid, killed alone, nothing shared on disk),
# without the second of interpreter start and imports that a fresh `python -m archiver` spent
# before its first step; the trials kill syncs, not interpreters. Single-threaded until it
# forks, so the child is a clean copy. Lines in: `run ARGS-JSON` (answers the child's pid) or
# `wait PID` (reaps it, answers its exit status).
FORK_SERVER = """
import json, os, sys
from archiver.cli import main
for line in sys.stdin:
    verb, _, rest = line.partition(" ")
    if verb == "run":
        pid = os.fork()
        if pid == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            try:
                main(json.loads(rest), prog_name="archiver")
                code = 0
            except SystemExit as exit:
                code = 0 if exit.code is None else exit.code if isinstance(exit.code, int) else 1
            except BaseException:
                code = 1
            os._exit(code)
        answer = pid
    else:
        answer = os.waitstatus_to_exitcode(os.waitpid(int(rest), 0)[1])
    print(answer, flush=True)
"""


class SyncProcess:
    """A sync the fork server started: its pid, and whether it has ended."""

    def __init__(self, server: subprocess.Popen[str], pid: int) -> None:
        self.server, self.pid = server, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """Return the exit status once the sync has ended (a zombie: ended, not yet reaped)."""
        if self.returncode is None:
            try:
                state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except FileNotFoundError:
                state = "Z"
            if state in ("Z", "X"):
                self.wait()
        return self.returncode

    def kill(self) -> None:
        """Send SIGKILL (the child is not reaped before wait, so its pid is not reused)."""
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> int:
        """Reap the sync and return its exit status."""
        if self.returncode is None:
            self.returncode = int(ask(self.server, f"wait {self.pid}"))
        return self.returncode


def ask(server: subprocess.Popen[str], line: str) -> str:
    """Send the fork server a line and return its answer."""
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(line + "\n")
    server.stdin.flush()
    return server.stdout.readline().strip()


@pytest.fixture
def fork_server() -> Iterator[subprocess.Popen[str]]:
    """Start the fork server (it has imported the archiver when its first answer comes)."""
    command = [sys.executable, "-c", FORK_SERVER]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as s:
        yield s
        assert s.stdin is not None
        s.stdin.close()


@contextmanager
def replay_process(capture: Path) -> Iterator[str]:
    """Serve a capture from its own process (`archiver replay`); yield its base URL.

    Not a ReplayServer thread in this process: the tight polling below held this process's
    GIL so often that the server answered slowly, and the sync under test took nearly twice
    its time (4.6 s instead of 2.6 s for the reference sync here) in every trial.
    """
    command = [sys.executable, "-m", "archiver", "replay", str(capture)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        assert base_url.startswith("http://"), base_url
        try:
            yield base_url
        finally:
            server.terminate()


def start_sync(
    server: subprocess.Popen[str], repo: Path, base_url: str, capture: Capture
) -> SyncProcess:
    """Start `archiver sync` as its own process, the way cron or Actions would."""
    args = ["sync", "--repo", str(repo), "--base-url", base_url]
    args += ["--epoch", format_epoch(capture.time)]
    return SyncProcess(server, int(ask(server, f"run {json.dumps(args)}")))


def locked(repo: Path) -> bool:
    """The sync holds the repository (its lock file exists): it is fetching or later."""
    return (repo / ".git" / LOCK_FILE).exists()


def objects_written(repo: Path) -> bool:
    """The commit has begun: a loose object's fan-out folder exists."""
    folder = repo / ".git" / "objects"
    return folder.is_dir() and any(len(name) == 2 for name in os.listdir(folder))


def journaled(repo: Path) -> bool:
    """The journal naming the new commit is written (the branch may have moved)."""
    return (repo / ".git" / JOURNAL).exists()


def branch_moved(repo: Path) -> bool:
    """The branch points at the new commit (the work tree may not be written yet)."""
    return (repo / ".git" / "refs" / "heads" / "main").exists()


def finishing(repo: Path) -> bool:
    """The commit is whole and its journal removed: only the exit is left."""
    return branch_moved(repo) and not journaled(repo)


@dataclass(frozen=True)
class Phase:
    """A stretch of a sync, entered when `entered` turns true on disk."""

    name: str
    entered: Callable[[Path], bool]


PHASES = [
    Phase("starting", lambda repo: True),
    Phase("fetching", locked),
    Phase("writing objects", objects_written),
    Phase("journal written", journaled),
    Phase("writing the work tree", branch_moved),
    Phase("finishing", finishing),
]


def wait_until(entered: Callable[[Path], bool], repo: Path, process: SyncProcess) -> bool:
    """Poll until the phase shows; False if the process ended first."""
    while not entered(repo):
        if process.poll() is not None:
            return False
        time.sleep(POLL_S)
    return True


def phase_lengths(repo: Path, process: SyncProcess) -> list[float]:
    """Follow a sync to its end; return how long each phase lasted (0 where unseen)."""
    started = time.monotonic()
    entries: list[float | None] = [None] * len(PHASES)
    while process.poll() is None:
        now = time.monotonic() - started
        for index, phase in enumerate(PHASES):
            if entries[index] is None and phase.entered(repo):
                entries[index] = now
        time.sleep(POLL_S)
    ended = time.monotonic() - started
    lengths = []
    for index, entry in enumerate(entries):
        later = [e for e in entries[index + 1 :] if e is not None]
        lengths.append(0.0 if entry is None else (min(later) if later else ended) - entry)
    return lengths


def tree(repo: Path) -> str:
    """Return HEAD's tree id."""
    return git(repo, "rev-parse", "HEAD^{tree}").strip()


def unborn(repo: Path) -> bool:
    """Tell whether the repository has no commit yet."""
    if not (repo / ".git").exists():
        return True
    return (
        subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--verify", "-q", "HEAD"], capture_output=True
        ).returncode
        != 0
    )


def on_disk(repo: Path) -> str:
    """Say what the killed sync had left on disk, for a failure message."""
    seen = [phase.name for phase in PHASES[1:] if phase.entered(repo)]
    return f"last phase seen on disk: {seen[-1] if seen else 'none'}"


def test_sigkill_at_random_moments_never_leaves_a_half_sync(
    daily_paths: list[Path], tmp_path: Path, fork_server: subprocess.Popen[str]
) -> None:
    # A fixed seed (CRASH_SEED overrides it): the kill moments still vary with the machine's
    # speed, but a failure names the seed, the phase and the moment to replay it.
    seed = int(os.environ.get("CRASH_SEED", "20260719"))
    chance = random.Random(seed)
    # A quarter of the models: every phase a sync goes through, in a third of its time.
    whole = read_capture(daily_paths[-1])
    capture = with_models_only(whole, some_models(whole, QUARTER_STEP, featured=2))
    served = tmp_path / "quarter.jsonl.gz"
    write_capture(served, capture.time, capture.source, capture.note, capture.responses)
    with replay_process(served) as base_url:
        reference = tmp_path / "reference"
        reference_sync = start_sync(fork_server, reference, base_url, capture)
        lengths = phase_lengths(reference, reference_sync)
        assert reference_sync.wait() == 0
        expected_tree = tree(reference)
        for trial, (phase, length) in enumerate(zip(PHASES, lengths, strict=True)):
            repo = tmp_path / f"trial{trial}"
            process = start_sync(fork_server, repo, base_url, capture)
            moment = chance.uniform(0, length)
            if wait_until(phase.entered, repo, process):
                time.sleep(moment)
            process.kill()
            process.wait()
            where = (
                f"seed {seed}, trial {trial}: killed {moment:.3f}s into {phase.name} "
                f"(it lasted {length:.3f}s in the reference sync); {on_disk(repo)}"
            )
            # The branch is unborn (the old state) or holds the complete new tree.
            assert unborn(repo) or tree(repo) == expected_tree, where
            if not unborn(repo):
                fsck = subprocess.run(
                    ["git", "-C", str(repo), "fsck", "--no-dangling"],
                    capture_output=True,
                    text=True,
                )
                assert fsck.returncode == 0, f"{where}: {fsck.stderr}"
            # The next sync finishes or discards the interrupted one: one commit, clean tree.
            # In process: what it must recover is on disk, whoever runs it.
            log = sync_small(repo, capture)
            assert not log.failures, (where, log.failures)
            assert tree(repo) == expected_tree, where
            assert commit_count(repo) == 1, where
            assert status_clean(repo), where


def test_a_commit_interrupted_after_the_branch_moved_is_finished(
    daily_paths: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst moment: the branch moved, the work tree not yet written."""
    from archiver.archive.store import Store

    repo = tmp_path / "archive"
    store = Store(repo)
    store.commit({"data/model/a.json": b"{}\n"}, [], "first")

    class Killed(Exception):
        pass

    def die(*_: object) -> None:
        raise Killed

    monkeypatch.setattr(store, "_update_work_tree", die)
    with pytest.raises(Killed):
        store.commit({"data/model/b.json": b"[]\n"}, ["data/model/a.json"], "second")
    assert not status_clean(repo)
    assert Store(repo).recover() is not None
    assert status_clean(repo)
    assert sorted(p.name for p in (repo / "data" / "model").iterdir()) == ["b.json"]
