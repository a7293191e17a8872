"""A git lock file a killed git left, met by the archiver's own git commands (audit): named.

git refuses to work past a lock file another git holds or a killed one left, and prints
its error line (naming the file), then a paragraph of advice ending "remove the file
manually to continue.". The archiver quoted git's last line: `archiver checkout-recent`
with a leftover `.git/index.lock` said "git sparse-checkout set failed in .: remove the file
manually to continue.", and `archiver sync --push` with a leftover lock on the remote-tracking
branch said "git fetch origin failed: remove the file manually to continue.", naming no
file. They now quote git's error line, which names it.

Real small archives cut to a few models, a real bare remote, the command line in-process.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from tests.archive_helpers import as_person, git, head, remote_and_clone
from tests.small_captures import (
    copy_archive,
    small_captures,
)
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


def refused_line(result: Result) -> str:
    """Assert exit 3 with one error line and no traceback; return that line."""
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_checkout_recent_names_the_index_lock_git_found(base: Path, tmp_path: Path) -> None:
    repo = copy_archive(base, tmp_path / "archive")
    lock = repo / ".git" / "index.lock"
    lock.write_text("")

    result = CliRunner().invoke(main, ["checkout-recent", "--repo", str(repo), "--days", "1"])

    line = refused_line(result)
    assert str(lock) in line, line
    assert lock.exists() and git(repo, "ls-files", "-t").startswith("H ")


def test_sync_push_names_the_remote_tracking_lock_git_found(
    base: Path, cut: list[Capture], tmp_path: Path
) -> None:
    remote, clone = remote_and_clone(base, tmp_path)
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    (other / "NOTES.md").write_text("a person's notes\n")
    git(other, "add", "NOTES.md")
    as_person(other, "commit", "-qm", "Notes")
    git(other, "push", "-q")
    lock = clone / ".git" / "refs" / "remotes" / "origin" / "main.lock"
    lock.write_text("")
    before = head(clone)

    with ReplayServer(cut[1]) as server:
        args = ["sync", "--push", "--repo", str(clone), "--base-url", server.base_url]
        result = CliRunner().invoke(main, [*args, "--epoch", cut[1].time.isoformat()])

    line = refused_line(result)
    assert str(lock) in line, line
    assert head(clone) == before
