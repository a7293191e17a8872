"""A sync whose push GitHub refuses posts nothing to the chat (audit).

The workflow's notify step posts the syncs after the sync step's output `base`, or after
GITHUB_SHA when there is none. A sync whose push was refused (a branch protection rule, a
ruleset) exited with its error before writing `base`: notify then posted the refused commit's
changes, which the archive never recorded and the runner throws away. While the rule
stood, every hourly run posted the same changes again (each run syncs anew on top of the
same remote head). Now a failed `sync --push` gives its local HEAD as `base`: nothing after
it was published, so nothing is posted.

A real bare repository refusing pushes with GitHub's words, real small captures served
over loopback, the command line in-process as the workflow runs it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.times import format_epoch
from tests.archive_helpers import git
from tests.fork_helpers import GH006, refuse_pushes
from tests.small_captures import small_daily, some_models, sync_small, with_models_only
from tests.test_audit29_queued_notify import posted, step_output


def refused_run(clone: Path, capture: Capture, output: Path) -> str:
    """Run the workflow's sync step against a remote that refuses; return its output."""
    from click.testing import CliRunner

    with ReplayServer(capture) as server:
        command = ["sync", "--base-url", server.base_url, "--epoch", format_epoch(capture.time)]
        done = CliRunner().invoke(
            main, [*command, "--repo", str(clone), "--push"], env={"GITHUB_OUTPUT": str(output)}
        )
    assert done.exit_code == 3 and "GH006" in done.output, done.output
    return done.output


def test_a_refused_push_gives_a_base_after_which_nothing_is_posted(tmp_path: Path) -> None:
    daily = small_daily()
    keys = some_models(daily[0], 12)
    first, second = (with_models_only(capture, keys) for capture in daily[:2])
    archive = tmp_path / "archive"
    sync_small(archive, first)
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(archive), str(bare))
    refuse_pushes(bare, GH006)
    started_at = git(bare, "rev-parse", "main").strip()  # The run's GITHUB_SHA.
    clone = tmp_path / "runner"
    subprocess.run(["git", "clone", "--quiet", "--depth", "1", f"file://{bare}", str(clone)])
    output = tmp_path / "output"

    refused_run(clone, second, output)

    # The sync committed locally (it would have posted that commit's changes) ...
    assert git(clone, "rev-parse", "HEAD").strip() != started_at
    assert "sync of" in posted(clone, started_at)
    # ... but its `base` is the local HEAD: the notify step posts nothing.
    base = step_output(output)["base"]
    assert base == git(clone, "rev-parse", "HEAD").strip()
    assert "0 message(s) not posted" in posted(clone, base)
    assert git(bare, "rev-parse", "main").strip() == started_at
