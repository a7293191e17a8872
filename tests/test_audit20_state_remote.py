"""`sync --push` to a remote that stops answering gives up in one line and loses nothing.

git fetch and git push ran without a time limit: a remote that hangs (a stuck server, a
pre-receive hook that never returns) held the hourly job, and the repository's lock, until
Actions cancelled the job hours later, with no word on why. Now git is stopped after
`remote.GIT_SECONDS` (made short here), with its transport and the remote's hook; the sync
commit stays local, and the next run, once the remote answers, pushes it.

A real bare repository on disk as the remote, with a real pre-receive hook that sleeps; real
small captures fetched in-process.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from archiver.archive import remote as remote_side
from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.publish import PublishError, publish
from archiver.sync import SyncOptions, Upstream, fetch_upstream
from tests.archive_helpers import git, head, remote_and_clone
from tests.small_captures import small_base, small_captures

__all__ = ["small_base", "small_captures"]


def _fetched(capture: Capture) -> Upstream:
    replay = ReplayTransport(capture)
    options = SyncOptions(
        base_url=replay.base_url, transport=replay, epoch=capture.time, telemetry=False
    )
    return fetch_upstream(options)


def test_a_remote_that_hangs_is_given_up_and_the_next_run_pushes_the_sync(
    small_base: Path, small_captures: list[Capture], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare, archive = remote_and_clone(small_base, tmp_path)
    published = head(archive)
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\necho $$ > {tmp_path / 'hook.pid'}\nexec sleep 3600\n")
    hook.chmod(0o755)
    monkeypatch.setattr(remote_side, "GIT_SECONDS", 3.0)

    with pytest.raises(PublishError, match="no answer from the remote") as caught:
        publish(archive, _fetched(small_captures[1]), backoff=0.01)

    assert len(str(caught.value).splitlines()) == 1
    local = caught.value.log.commit_id if caught.value.log else None
    assert local and head(archive) == local  # The sync commit is kept.
    assert git(bare, "rev-parse", "HEAD").strip() == published
    hook_pid = int((tmp_path / "hook.pid").read_text())
    assert _ends(hook_pid)

    hook.unlink()  # The remote answers again: the next run pushes the kept commit too.
    result = publish(archive, _fetched(small_captures[2]), backoff=0.01)

    assert result.commit_id == git(bare, "rev-parse", "HEAD").strip()
    assert git(bare, "merge-base", "--is-ancestor", local, "HEAD") == ""


# Not a speed bound: SIGKILL reaches the hook's process a moment after killpg returns (on a
# busy machine, after the check once ran); only a hook never killed waits this long.
KILLED_WITHIN_S = 60.0


def _ends(pid: int) -> bool:
    """Tell whether a process is gone or has ended unreaped, waiting a while for the kill."""
    deadline = time.monotonic() + KILLED_WITHIN_S
    while Path(f"/proc/{pid}").exists() and not _zombie(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _zombie(pid: int) -> bool:
    """Tell whether a process has ended but not been reaped (it holds nothing)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except OSError:
        return True
