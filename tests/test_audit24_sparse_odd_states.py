"""A sparse, blob-less clone in odd states: a push that finds a left-out file changed, and
a sync killed once its sparse checkout had removed the files outside its patterns.

libgit2 does not read git's skip-worktree marks: a file a sparse checkout left out reads
to it as deleted by hand. The fast-forward after a refused push stopped on a conflict when
the commit it brought changed such a file, and the recovery of a sync killed after
`git sparse-checkout reapply` took the files it had removed for a person's deletions and
refused every later sync. (Found by a helper attacking the sparse-checkout code paths.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.times import format_epoch
from tests.archive_helpers import git
from tests.small_captures import small_captures
from tests.test_sparse_jobs import (
    UPLOAD_PACK,
    Upstream,
    copy_of,
    sparse_clone,
    sync_and_push,
    upstream,
    whole_clone,
)

__all__ = ["small_captures", "upstream"]

# Runs git, then kills the sync that ran it (its parent) once the sparse checkout is reapplied.
KILLING_GIT = """#!/bin/sh
for arg; do [ "$arg" = reapply ] && reapply=1; done
git_path="$(PATH="$REAL_PATH" command -v git)"
"$git_path" "$@"; status=$?
[ -n "$reapply" ] && kill -9 "$PPID"
exit $status
"""


def test_a_push_that_finds_a_left_out_file_changed_brings_the_sparse_clone_forward(
    upstream: Upstream, small_captures: list[Capture], tmp_path: Path
) -> None:
    bare = copy_of(upstream, tmp_path)
    clone = sparse_clone(bare, tmp_path / "sparse", days=2)
    # A person rewrites a June telemetry file, which the sparse clone left out.
    person = whole_clone(bare, tmp_path / "person")
    june = person / upstream.june[0]
    june.write_bytes(june.read_bytes() + b"\n")
    git(person, "-c", "user.name=p", "-c", "user.email=p@example.com", "commit", "-qam", "Fix")
    git(person, "push", "-q", "origin", "main")
    done = sync_and_push(clone, small_captures[2])
    assert done.exit_code == 0, done.output
    assert git(bare, "rev-parse", "main~1") == git(person, "rev-parse", "HEAD")
    assert git(clone, "status", "--porcelain") == ""
    assert not any((clone / path).exists() for path in upstream.june)


def test_a_sync_killed_after_the_sparse_checkout_was_reapplied_is_recovered(
    upstream: Upstream, small_captures: list[Capture], tmp_path: Path
) -> None:
    # A person's sparse clone without data/model/: the sync changes models it leaves out.
    bare = copy_of(upstream, tmp_path)
    clone = tmp_path / "sparse"
    options = ["--quiet", "--filter=blob:none", "--no-checkout", "-u", UPLOAD_PACK]
    subprocess.run(["git", "clone", *options, f"file://{bare}", str(clone)], check=True)
    git(clone, "config", "remote.origin.uploadpack", UPLOAD_PACK)
    git(clone, "sparse-checkout", "set", "--no-cone", "/*", "!/data/model/")
    git(clone, "checkout", "--quiet", "main")
    before = git(clone, "rev-parse", "HEAD")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "git").write_text(KILLING_GIT)
    (tools / "git").chmod(0o755)
    env = {**os.environ, "REAL_PATH": os.environ["PATH"]}
    env["PATH"] = f"{tools}{os.pathsep}{os.environ['PATH']}"
    capture = small_captures[2]
    with ReplayServer(capture) as server:
        command = ["sync", "--base-url", server.base_url, "--epoch", format_epoch(capture.time)]
        killed = subprocess.run(
            [sys.executable, "-m", "archiver", *command, "--repo", str(clone)],
            env=env,
            capture_output=True,
        )
        assert killed.returncode == -9, killed.stderr
        changed = git(clone, "diff", "--name-only", before.strip(), "HEAD", "--", "data/model")
        assert changed and (clone / ".git/archiver-sync.json").exists()
        done = CliRunner().invoke(main, [*command, "--repo", str(clone)])
    assert done.exit_code == 0, done.output
    assert "finished checking out interrupted sync commit" in done.output
    assert git(clone, "status", "--porcelain") == ""
    assert not (clone / "data/model").exists()
