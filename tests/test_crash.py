"""A sync killed with SIGKILL at a random moment leaves the old commit or the new one.

A sync fetches first and writes only at the end (objects, journal, branch, work tree), so
kills spread evenly over its time would mostly land in the fetch, where nothing is on disk.
Each trial instead targets one phase: it waits until the phase shows on disk, then kills
at a random moment within the length that phase had in a reference sync.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from archiver.archive.lock import LOCK_FILE
from archiver.archive.store import JOURNAL
from archiver.capture.files import Capture, read_capture
from archiver.capture.replay import ReplayServer
from archiver.times import format_epoch
from tests.archive_helpers import commit_count, git, status_clean
from tests.small_captures import sync_small

POLL_S = 0.0005


def start_sync(repo: Path, base_url: str, capture: Capture) -> subprocess.Popen[bytes]:
    """Start `archiver sync` as its own process, the way cron or Actions would."""
    command = [sys.executable, "-m", "archiver", "sync", "--repo", str(repo)]
    command += ["--base-url", base_url, "--epoch", format_epoch(capture.time)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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


def wait_until(
    entered: Callable[[Path], bool], repo: Path, process: subprocess.Popen[bytes]
) -> bool:
    """Poll until the phase shows; False if the process ended first."""
    while not entered(repo):
        if process.poll() is not None:
            return False
        time.sleep(POLL_S)
    return True


def phase_lengths(repo: Path, process: subprocess.Popen[bytes]) -> list[float]:
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
    daily_paths: list[Path], tmp_path: Path
) -> None:
    # A fixed seed (CRASH_SEED overrides it): the kill moments still vary with the machine's
    # speed, but a failure names the seed, the phase and the moment to replay it.
    seed = int(os.environ.get("CRASH_SEED", "20260719"))
    chance = random.Random(seed)
    capture = read_capture(daily_paths[-1])
    with ReplayServer(capture) as server:
        reference = tmp_path / "reference"
        lengths = phase_lengths(reference, start_sync(reference, server.base_url, capture))
        expected_tree = tree(reference)
        for trial, (phase, length) in enumerate(zip(PHASES, lengths, strict=True)):
            repo = tmp_path / f"trial{trial}"
            process = start_sync(repo, server.base_url, capture)
            moment = chance.uniform(0, length)
            if wait_until(phase.entered, repo, process):
                time.sleep(moment)
            process.send_signal(signal.SIGKILL)
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
