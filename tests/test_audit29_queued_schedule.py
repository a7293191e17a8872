"""A run queued behind another fetches what is due since the branch's newest sync, as the
run before left it, not since the commit the queued run was queued at.

The workflow's sync job checks out GITHUB_SHA, the commit the branch held when the run was
queued; a run that waited behind another starts there, a sync or more behind the remote.
Its schedule (the daily buckets, the uptime windows due since the previous sync) was read
from that old commit, so it fetched again everything the run before had fetched: a burst
of requests each time runs queue, against the spread the schedule exists for.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.times import format_epoch, hour_epoch
from tests.archive_helpers import git
from tests.audit22_time_helpers import asked_url, moved
from tests.small_captures import small_daily, sync_small, with_first_endpoints_edited


def clone(bare: Path, target: Path) -> Path:
    """Clone the head alone, as the workflow's sync job does."""
    subprocess.run(["git", "clone", "--quiet", "--depth", "1", f"file://{bare}", str(target)])
    return target


def sync_and_push(repo: Path, capture: Capture) -> set[str]:
    """Run `archiver sync --push` of a capture at its hour; return the URLs it requested."""
    with ReplayServer(capture) as server:
        command = ["sync", "--base-url", server.base_url, "--epoch", format_epoch(capture.time)]
        done = CliRunner().invoke(main, [*command, "--repo", str(repo), "--push"])
        assert done.exit_code == 0, done.output
        return {asked_url(url) for url in server.requests}


def priced(capture: Capture, hours: int, prompt: str) -> Capture:
    """Return the capture taken `hours` later with its first endpoint's input price changed
    (so that the sync commits)."""
    later = moved(capture, hour_epoch(capture.time) + timedelta(hours=hours))
    edit = lambda endpoint: {**endpoint, "pricing": {**endpoint["pricing"], "prompt": prompt}}  # noqa: E731
    return with_first_endpoints_edited(later, [edit])[0]


def test_a_queued_run_fetches_what_is_due_since_the_run_before(tmp_path: Path) -> None:
    first = small_daily()[0]
    archive = tmp_path / "archive"
    sync_small(archive, first)
    bare = tmp_path / "upstream.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(archive), str(bare))
    queued = clone(bare, tmp_path / "queued")  # Queued while the run before was going.
    sync_and_push(clone(bare, tmp_path / "before"), priced(first, 1, "0.000007"))
    latest = clone(bare, tmp_path / "latest")  # A run that started after the run before.
    later = priced(first, 2, "0.000008")
    expected = sync_and_push(latest, later)
    git(bare, "update-ref", "refs/heads/main", git(latest, "rev-parse", "HEAD~1").strip())
    assert sync_and_push(queued, later) == expected
    assert git(queued, "rev-parse", "HEAD~1") == git(latest, "rev-parse", "HEAD~1")
