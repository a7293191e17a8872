"""A run queued behind another posts its own syncs alone, not the other run's again.

GitHub runs the hourly workflow one run at a time: a run that starts while another is still
going waits, and its GITHUB_SHA is the commit the branch held when it was queued. Its sync
fast-forwards onto what the run before pushed and commits on top; `notify --after
"$GITHUB_SHA"` then posted the run before's syncs a second time. `sync --push` now gives
the remote head it applied the sync on as the step output `base`, and the workflow's notify
step posts the syncs after it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.times import format_epoch, hour_epoch
from tests.archive_helpers import git
from tests.small_captures import small_daily, sync_small
from tests.test_workflows import SYNC, load


def sync_and_push(clone: Path, capture: Capture, output: Path) -> None:
    """Run `archiver sync --push` as the workflow's step does, with its GITHUB_OUTPUT."""
    with ReplayServer(capture) as server:
        command = ["sync", "--base-url", server.base_url, "--epoch", format_epoch(capture.time)]
        done = CliRunner().invoke(
            main, [*command, "--repo", str(clone), "--push"], env={"GITHUB_OUTPUT": str(output)}
        )
    assert done.exit_code == 0, done.output


def posted(clone: Path, after: str) -> str:
    """Return what `archiver notify --after` would post (--dry-run)."""
    done = CliRunner().invoke(
        main, ["notify", "--repo", str(clone), "--after", after, "--site-url", "", "--dry-run"]
    )
    assert done.exit_code == 0, done.output
    return done.output


def step_output(path: Path) -> dict[str, str]:
    """Return the name=value lines a step wrote to its GITHUB_OUTPUT file."""
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_a_queued_run_posts_its_own_sync_alone(tmp_path: Path) -> None:
    first, second, third = small_daily()
    archive = tmp_path / "archive"
    sync_small(archive, first)
    bare = tmp_path / "upstream.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(archive), str(bare))
    queued_at = git(bare, "rev-parse", "main").strip()  # The queued run's GITHUB_SHA.
    clones = []
    for name in ("before", "queued"):
        clone = tmp_path / name
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", f"file://{bare}", str(clone)])
        clones.append(clone)
    before, queued = clones
    # The run ahead in the queue syncs and pushes (and posts its sync), then the queued one.
    sync_and_push(before, second, tmp_path / "before-output")
    output = tmp_path / "queued-output"
    sync_and_push(queued, third, output)
    base = step_output(output)["base"]
    assert base == git(before, "rev-parse", "HEAD").strip()
    mine, theirs = (format_epoch(hour_epoch(c.time)) for c in (third, second))
    text = posted(queued, base)
    assert f"sync of {mine}" in text and f"sync of {theirs}" not in text
    # What GITHUB_SHA gave: the run before's sync, posted a second time.
    assert f"sync of {theirs}" in posted(queued, queued_at)


def test_the_workflow_posts_the_syncs_after_the_syncs_base() -> None:
    steps = load(SYNC)["jobs"]["sync"]["steps"]
    sync_step = next(step for step in steps if "archiver sync" in step.get("run", ""))
    notify_step = next(step for step in steps if "archiver notify" in step.get("run", ""))
    assert sync_step["id"] == "sync"
    assert notify_step["env"]["AFTER"] == "${{ steps.sync.outputs.base || github.sha }}"
    assert '--after "$AFTER"' in notify_step["run"]
