"""A person's `core.fsmonitor` hook that never returns (audit): the archiver's git ignores it.

git runs the hook on every `git status`, and the archiver runs `git status` before each sync
(uncommitted edits under data/), `git sparse-checkout` in `checkout-recent`, and git in
`update-code` and `sync --push`. A hook that hangs (a file watcher that stopped answering)
hung every sync for good, holding the repository's lock; one that missed a change would hide
a person's edit from the check. The archiver's git now looks at the files itself.

A real small archive cut to a few models; the hook is a real script that waits for a file
the test creates only if the archiver is still running after a minute (it then fails).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from tests.archive_helpers import git, head
from tests.small_captures import (
    copy_archive,
    small_captures,
    sync_small,
)
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]

# Not a bound on the archiver's speed (it takes about a second): how long a hung hook is
# waited for before the test releases it and fails.
HUNG_AFTER_SECONDS = 60.0


@pytest.fixture
def watched(base: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Return (a copy of the archive whose fsmonitor hook hangs, the file that releases it)."""
    repo = copy_archive(base, tmp_path / "archive")
    release, called = tmp_path / "release", tmp_path / "called"
    hook = tmp_path / "fsmonitor-hook"
    hook.write_text(
        f"#!/bin/sh\ntouch '{called}'\nwhile [ ! -e '{release}' ]; do sleep 0.05; done\nexit 1\n"
    )
    hook.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(hook))
    yield repo, called
    release.touch()  # Whatever happened, no hook outlives the test.


def finishes(work: Callable[[], object], release: Path) -> object:
    """Run work in a thread; return its result, or fail (releasing the hook) if it hangs."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(HUNG_AFTER_SECONDS)
    if thread.is_alive():
        release.touch()
        thread.join()
        pytest.fail("the archiver waited for the fsmonitor hook, which never returns")
    return result[0]


def test_a_hanging_fsmonitor_hook_neither_hangs_the_sync_nor_checkout_recent(
    watched: tuple[Path, Path], cut: list[Capture], tmp_path: Path
) -> None:
    repo, called = watched
    release = tmp_path / "release"
    before = head(repo)

    log = finishes(lambda: sync_small(repo, cut[1]), release)

    assert getattr(log, "commit_id", None) and head(repo) != before
    clean = git(repo, "-c", "core.fsmonitor=false", "status", "--porcelain")
    assert clean == ""

    result = finishes(
        lambda: CliRunner().invoke(main, ["checkout-recent", "--repo", str(repo), "--days", "2"]),
        release,
    )
    assert getattr(result, "exit_code", None) == 0, getattr(result, "output", result)
    assert git(repo, "config", "core.sparseCheckout").strip() == "true"
    assert not called.exists(), "the archiver's git ran the fsmonitor hook"
