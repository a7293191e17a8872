"""`archiver update-code` against a remote that stops answering gives up in one line.

Its git ran without a time limit (a sync's fetch and push have had one since audit 20): a
fork whose remote hangs (a stuck server, a pre-receive hook that never returns) held the
update until Actions cancelled the job, saying nothing, with the repository's lock held.
Now each git call is stopped after `fork.GIT_SECONDS` (made short here), with its transport
and the remote's hook; nothing is pushed, and the run after that, once the remote answers,
pushes the update.

Real bare repositories on disk as GitHub's upstream and fork (tests.test_fork's world),
archives synced from the small real captures, a real pre-receive hook that sleeps.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.archive import fork as fork_side
from archiver.cli import main
from tests.archive_helpers import git
from tests.test_audit20_state_remote import _ends
from tests.test_fork import World, captures, workflow_clone, world, world_template

__all__ = ["captures", "world", "world_template"]

HOOK_S = 30


def test_a_fork_remote_that_hangs_is_given_up_and_nothing_is_pushed(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = git(world.fork, "rev-parse", "main").strip()
    hook = world.fork / "hooks" / "pre-receive"
    # Long enough to tell a stopped git from one that waited (without a limit this test
    # waits it out, then meets the hook's refusal), short enough not to stall the suite.
    hook.write_text(f"#!/bin/sh\necho $$ > {tmp_path / 'hook.pid'}\nsleep {HOOK_S}\nexit 1\n")
    hook.chmod(0o755)
    monkeypatch.setattr(fork_side, "GIT_SECONDS", 3.0)
    mine = workflow_clone(world, tmp_path / "mine")
    args = ["update-code", "--repo", str(mine), "--upstream", world.upstream_url]

    result = CliRunner().invoke(main, args)

    assert result.exit_code == 3, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "got no answer in 3 s" in result.output and "nothing was pushed" in result.output
    assert git(world.fork, "rev-parse", "main").strip() == before
    assert _ends(int((tmp_path / "hook.pid").read_text()))

    os.unlink(hook)  # The remote answers again: the next run pushes the update.
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert git(world.fork, "rev-parse", "main^").strip() == before
