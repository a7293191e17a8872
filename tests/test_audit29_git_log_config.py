"""History commands on an archive whose git config changes what `git log` prints.

- `log.showSignature = true`, which people who sign their commits often set: git prints
  each signed commit's verification ("No signature", gpg's own lines) before its formatted
  header. The history index took that text for part of the commit printed above it, or,
  when the signed commit was the newest, for a commit of its own: a signed hand edit or
  `git revert` under data/ made `log`, `show`, `changes`, `price`, `site` and `export` end
  in a ValueError traceback until a sync landed on top. The archiver's own commits are
  never signed (libgit2 signs nothing); a person's may be.
- `trailer.separators` without `:` (`#`, for `Bug #42` trailers): git found no Sync-Epoch
  trailer in any commit, so every sync read as a person's commit and the history was
  empty: `changes` printed nothing, exit 0. The sync reads its trailers with `:` whatever
  that says (libgit2), and the history now does too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archiver.capture.files import Capture
from archiver.cli import main
from tests.archive_helpers import git
from tests.small_captures import copy_archive, small_captures, sync_small

__all__ = ["small_captures"]

# An SSH signature: git reports one without calling any program when no allowed-signers
# file is configured, so the test needs neither gpg nor ssh-keygen.
SIGNED_COMMIT = """tree {tree}
parent {parent}
author Ann <ann@example.org> 1784500000 +0000
committer Ann <ann@example.org> 1784500000 +0000
gpgsig -----BEGIN SSH SIGNATURE-----
 U1NIU0lHAAAAAQ==
 -----END SSH SIGNATURE-----

A signed hand edit
"""


@pytest.fixture(autouse=True)
def _no_global_git_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the machine's own git settings (an allowed-signers file...) out of the test."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _with_signed_hand_edit(repo: Path) -> None:
    """Commit a signed edit of one model file on top of HEAD, as a person signing does."""
    path = git(repo, "ls-files", "data/model").splitlines()[0]
    text = (repo / path).read_text()
    (repo / path).write_text(text.replace('"key"', '"hand": 1,\n  "key"', 1))
    git(repo, "add", path)
    commit = SIGNED_COMMIT.format(
        tree=git(repo, "write-tree").strip(), parent=git(repo, "rev-parse", "HEAD").strip()
    )
    (repo.parent / "commit.txt").write_text(commit)
    made = git(repo, "hash-object", "-t", "commit", "-w", str(repo.parent / "commit.txt")).strip()
    git(repo, "update-ref", "refs/heads/main", made)
    # What git prints for it under the setting: the verification first, then the format.
    shown = git(repo, "-c", "log.showSignature=true", "log", "-1", "--format=%H")
    assert shown != f"{made}\n" and shown.endswith(f"{made}\n"), shown


def test_history_commands_read_past_a_signed_commit_under_log_show_signature(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    plain = tmp_path / "plain" / "archive"
    sync_small(plain, small_captures[0])
    sync_small(plain, small_captures[1])
    # Newest: git prints its verification before any commit, where no commit's records
    # could swallow it.
    _with_signed_hand_edit(plain)
    signer = copy_archive(plain, tmp_path / "signer" / "archive")
    git(signer, "config", "log.showSignature", "true")
    for args in (
        ("changes",),
        ("log", "model", "openai/gpt-4.1"),
        ("show", "model", "openai/gpt-4.1", "--at", "2026-07-17T18:00:00Z"),
    ):
        expected = _run(*args, "--repo", str(plain))
        assert expected.exit_code == 0, expected.output
        found = _run(*args, "--repo", str(signer))
        assert found.exception is None or isinstance(found.exception, SystemExit), found.output
        assert (found.exit_code, found.output) == (0, expected.output), args


def test_trailer_separators_without_a_colon_still_find_every_sync(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    plain = tmp_path / "plain" / "archive"
    for capture in small_captures[:2]:
        sync_small(plain, capture)
    other = copy_archive(plain, tmp_path / "other" / "archive")
    git(other, "config", "trailer.separators", "#")
    expected = _run("changes", "--repo", str(plain))
    assert expected.exit_code == 0 and "2026-07-18T15:00:00Z" in expected.output
    found = _run("changes", "--repo", str(other))
    assert (found.exit_code, found.output) == (0, expected.output)
