"""A given epoch is checked by the sync itself, under the repository's lock.

The command line checked `--epoch` before the sync took the lock: a run committing a newer
sync between the check and the lock let an older hour in after it, and callers of the sync
itself (`archiver.sync.sync`, `sync --push`'s `sync_and_push`) were not checked at all.
A real small archive, a real bare remote, the small captures served in-process or by the
replay server.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.archive.store import Store
from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.errors import ArchiverError
from archiver.publish import sync_and_push
from archiver.sync import SyncOptions, sync
from archiver.times import format_epoch
from tests.archive_helpers import head, remote_and_clone, status_clean
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]


def _older_than_latest(repo: Path) -> SyncOptions:
    """Return options that sync the second small capture an hour before the latest sync."""
    latest = Store(repo, create=False).latest_epoch()
    assert latest is not None
    return SyncOptions(epoch=latest - timedelta(hours=1))


def test_the_sync_itself_refuses_an_epoch_before_the_latest_sync(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    before = head(small_archive)
    replay = ReplayTransport(small_captures[1])
    options = _older_than_latest(small_archive)
    options.base_url, options.transport = replay.base_url, replay

    with pytest.raises(ArchiverError, match="latest sync") as refusal:
        sync(small_archive, options)

    assert format_epoch(options.epoch) in str(refusal.value)  # type: ignore[arg-type]
    assert replay.requests == []  # Refused before a single request.
    assert head(small_archive) == before and status_clean(small_archive)


def test_sync_push_refuses_an_epoch_before_the_latest_sync(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    remote, clone = remote_and_clone(small_archive, tmp_path)
    remote_head = head(remote)
    options = _older_than_latest(clone)

    with ReplayServer(small_captures[1]) as server:
        options.base_url = server.base_url
        with pytest.raises(ArchiverError, match="latest sync"):
            sync_and_push(clone, options)
        command = ["sync", "--push", "--repo", str(clone), "--base-url", server.base_url]
        epoch = format_epoch(options.epoch)  # type: ignore[arg-type]
        result = CliRunner().invoke(main, [*command, "--epoch", epoch])
        requested = list(server.requests)

    assert result.exit_code == 3, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "latest sync" in errors[0] and epoch in errors[0]
    assert requested == []
    assert head(remote) == remote_head and head(clone) == remote_head
