"""A sync killed with SIGKILL at a random moment leaves the old commit or the new one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archiver.capture.replay import ReplayServer
from tests.archive_helpers import commit_count, git, status_clean

TRIALS = 6


def start_sync(repo: Path, base_url: str) -> subprocess.Popen[bytes]:
    """Start `archiver sync` as its own process, the way cron or Actions would."""
    command = [sys.executable, "-m", "archiver", "sync", "--repo", str(repo)]
    command += ["--base-url", base_url, "--epoch", "2026-07-19T15:00:00Z"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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


def test_sigkill_at_random_moments_never_leaves_a_half_sync(
    daily_paths: list[Path], tmp_path: Path
) -> None:
    # A fixed seed (CRASH_SEED overrides it): the kill moments still vary with the machine's
    # speed, but a failure names the seed and the moment to replay it.
    seed = int(os.environ.get("CRASH_SEED", "20260719"))
    chance = random.Random(seed)
    with ReplayServer(daily_paths[-1]) as server:
        reference = tmp_path / "reference"
        started = time.monotonic()
        assert start_sync(reference, server.base_url).wait() == 0
        duration = time.monotonic() - started
        expected_tree = tree(reference)
        for trial in range(TRIALS):
            repo = tmp_path / f"trial{trial}"
            process = start_sync(repo, server.base_url)
            moment = chance.uniform(0.3, duration)
            time.sleep(moment)
            process.send_signal(signal.SIGKILL)
            process.wait()
            where = f"seed {seed}, trial {trial}, killed at {moment:.2f}s of {duration:.2f}s"
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
            assert start_sync(repo, server.base_url).wait() == 0, where
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
