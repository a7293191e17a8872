"""Repositories laid out or configured as git allows, which the archiver misread.

- A linked worktree (`git worktree add`: `.git` is a file): `sync` and `import` said
  "failed to make directory .git: directory exists", since only a `.git` folder counted as
  the repository of --repo.
- `core.splitIndex`: git writes a split index, which the archiver's git library cannot
  read: every sync failed with "git cannot read the repository ... repair it (or clone it
  afresh)" though nothing was damaged. The index is now joined again by git itself.
- A sparse checkout: a sync wrote the index from HEAD's tree whole, dropping git's
  skip-worktree marks, so every file outside the sparse cone read as deleted and every later
  sync refused ("unstaged edits"). The store now gives git its marks back after writing the
  index (the hourly jobs check out recent telemetry alone: tests/test_sparse_jobs.py).
  `site` and `export` read telemetry from the work tree: in a sparse checkout without it
  they showed and exported none, exit 0. The site refuses a checkout without the days it
  charts; the export reads the files the checkout left out from git.
- A repository owned by another user (an Actions container, a clone made by another
  account): "not owned by current user; ... check it with git fsck and repair it". Now one
  line that names safe.directory; and git's own answer counts, so a safe.directory that git
  reads (GIT_CONFIG_GLOBAL, which the git library does not read) lets it run.
- GIT_DIR, GIT_OBJECT_DIRECTORY, GIT_COMMON_DIR... set by a hook or a wrapper: the history
  readers' git commands followed them to another repository ("bad object"), while --repo
  named this one. --repo wins now, as for `git -C` in a submodule.
- A commit that is not a sync on top (a code change, a submodule added): the next sync
  took it for the first sync ever and fetched its telemetry as a first sync would.
- No git identity (no user.name or email, no HOME: a bare container): `update-code` failed
  at its first throwaway commit, while a sync commits as the archiver; it now does the same.
- `commit.gpgsign` (gpg missing): a sync commits unsigned all the same (libgit2), so a rule
  requiring signed commits refuses its push, which was reported as an ordinary ruleset with
  the advice to untick 'Restrict updates' or use another token, neither of which helps. The
  signature rule is named now.
- A pre-push hook that refuses (core.hooksPath): "failed to push some refs", the hook's own
  words dropped. They are quoted now; the commit stays local and the next run pushes it.

Real small archives, the git CLI, the command line in a child process where the
environment matters.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from archiver.archive.store import DEFAULT_EMAIL, DEFAULT_NAME, JOURNAL
from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.sync import SyncOptions, sync
from tests.archive_helpers import commit_count, git, head, remote_and_clone, status_clean
from tests.fork_helpers import refuse_pushes
from tests.small_captures import (
    SMALL_DAILY,
    copy_archive,
    small_archive,
    small_base,
    small_captures,
    sync_small,
)

__all__ = ["small_archive", "small_base", "small_captures"]

NEXT_CAPTURE = str(SMALL_DAILY[1])


def run(*args: str) -> Result:
    """Run the archiver's command line in this process."""
    return CliRunner().invoke(main, list(args))


def run_child(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the archiver in a child process with exactly this environment."""
    command = [sys.executable, "-m", "archiver", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env)


def one_error_line(result: subprocess.CompletedProcess[str] | Result) -> str:
    """Assert exit 3 with one `Error:` line and no traceback; return the line."""
    if isinstance(result, Result):
        code, stderr = result.exit_code, result.stderr
    else:
        code, stderr = result.returncode, result.stderr
    assert code == 3, stderr
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def data_tree(repo: Path, rev: str = "HEAD") -> str:
    """Return the tree id of data/ at a revision."""
    return git(repo, "rev-parse", f"{rev}:data").strip()


@pytest.fixture(scope="session")
def imported_reference(small_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the small archive with the next capture imported, untouched by any layout or
    setting, once per worker: its first commit is this worker's `small_base` (commits carry
    the time they were made), which the tests' `changes` output is compared with."""
    copy = copy_archive(small_base, tmp_path_factory.mktemp("reference") / "archive")
    result = run("import", "--repo", str(copy), NEXT_CAPTURE)
    assert result.exit_code == 0, result.output
    return copy


@pytest.fixture
def reference(imported_reference: Path, tmp_path: Path) -> Path:
    """Return a private copy of the reference: what every other layout must end with."""
    return copy_archive(imported_reference, tmp_path / "reference")


def test_a_linked_worktree_syncs_on_its_own_branch(
    small_archive: Path, reference: Path, tmp_path: Path
) -> None:
    linked = tmp_path / "linked"
    git(small_archive, "worktree", "add", "-q", "-b", "archive-2", str(linked))
    assert (linked / ".git").is_file()
    main_head = head(small_archive)
    result = run("import", "--repo", str(linked), NEXT_CAPTURE)
    assert result.exit_code == 0, result.output
    assert data_tree(linked) == data_tree(reference)
    assert head(small_archive) == main_head, "the main checkout's branch must not move"
    assert git(small_archive, "rev-parse", "archive-2").strip() == head(linked)
    assert status_clean(linked) and status_clean(small_archive)
    # Readers open it too, and see the linked branch's history.
    assert run("changes", "--repo", str(linked)).output == run(
        "changes", "--repo", str(reference)
    ).output.replace(head(reference)[:12], head(linked)[:12])


def test_a_sync_killed_in_a_linked_worktree_is_recovered_by_the_next(
    small_archive: Path, reference: Path, tmp_path: Path
) -> None:
    # Killed between its journal and the branch's move, a sync leaves the journal in the
    # worktree's git folder and libgit2's lock on the branch in the shared one, where git
    # keeps branches. Recovery looked for that lock beside the journal: every later sync
    # failed to lock the branch.
    linked = tmp_path / "linked"
    git(small_archive, "worktree", "add", "-q", "-b", "archive-2", str(linked))
    git_dir = Path(git(linked, "rev-parse", "--absolute-git-dir").strip())
    old = head(linked)
    journal = {"old": old, "new": "0" * 40, "paths": []}
    (git_dir / JOURNAL).write_bytes(orjson.dumps(journal))
    (small_archive / ".git" / "refs" / "heads" / "archive-2.lock").write_text(old + "\n")
    result = run("import", "--repo", str(linked), NEXT_CAPTURE)
    assert result.exit_code == 0, result.output
    assert data_tree(linked) == data_tree(reference)
    assert not (small_archive / ".git" / "refs" / "heads" / "archive-2.lock").exists()
    assert status_clean(linked)


def test_a_split_index_is_joined_and_the_sync_lands(small_archive: Path, reference: Path) -> None:
    git(small_archive, "config", "core.splitIndex", "true")
    git(small_archive, "update-index", "--split-index")
    assert list((small_archive / ".git").glob("sharedindex.*")), "git wrote no split index"
    result = run("import", "--repo", str(small_archive), NEXT_CAPTURE)
    assert result.exit_code == 0, result.output
    assert data_tree(small_archive) == data_tree(reference)
    assert status_clean(small_archive)
    # git's next write splits the index again; the next sync still reads it.
    git(small_archive, "update-index", "--split-index")
    capture = SMALL_DAILY[2]
    again = run("import", "--repo", str(small_archive), str(capture))
    assert again.exit_code == 0, again.output
    assert status_clean(small_archive)


def test_a_sparse_checkout_commits_what_a_full_one_does_and_stays_sparse(
    small_archive: Path, reference: Path
) -> None:
    # (git leaves a file it cannot tell unchanged, its stat data being a copy's.)
    git(small_archive, "update-index", "-q", "--refresh")
    git(small_archive, "sparse-checkout", "set", "--cone", "data/model")
    left_out = git(small_archive, "ls-files", "-t", "--", "data/endpoint").splitlines()
    assert left_out and all(line.startswith("S ") for line in left_out)
    result = run("import", "--repo", str(small_archive), NEXT_CAPTURE)
    assert result.exit_code == 0, result.output
    assert data_tree(small_archive) == data_tree(reference)
    # git's skip-worktree marks are back after the store wrote the index: nothing reads as
    # deleted, and the files the commit wrote outside the cone are left out too.
    assert status_clean(small_archive), "the sparse checkout must be left as git had it"
    assert not (small_archive / "data" / "endpoint").exists()
    listed = git(small_archive, "ls-files", "-t", "--", "data/endpoint").splitlines()
    assert listed and all(line.startswith("S ") for line in listed)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """Return this process's environment with an empty HOME and no system git config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "XDG_CONFIG"))}
    home.mkdir(exist_ok=True)
    return {**env, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", **extra}


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_repository_of_another_user_names_safe_directory_and_git_trust_counts(
    small_archive: Path, reference: Path, tmp_path: Path
) -> None:
    expected = run("changes", "--repo", str(small_archive), "--json").output
    subprocess.run(["chown", "-R", "12345:12345", str(small_archive)], check=True)
    env = clean_env(tmp_path / "home")
    commands = [["changes"], ["import", NEXT_CAPTURE]]
    for args in ([command[0], "--repo", str(small_archive), *command[1:]] for command in commands):
        line = one_error_line(run_child(args, env))
        assert "another user" in line and "safe.directory" in line, line
        assert "fsck" not in line and "can be created" not in line
    trusted = tmp_path / "trusted.gitconfig"
    trusted.write_text(f"[safe]\n\tdirectory = {small_archive}\n")
    env["GIT_CONFIG_GLOBAL"] = str(trusted)
    listed = run_child(["changes", "--repo", str(small_archive), "--json"], env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == expected
    imported = run_child(["import", "--repo", str(small_archive), NEXT_CAPTURE], env)
    assert imported.returncode == 0, imported.stderr
    trusting = {**os.environ, "GIT_CONFIG_GLOBAL": str(trusted)}
    tree = subprocess.run(
        ["git", "-C", str(small_archive), "rev-parse", "HEAD:data"],
        capture_output=True, text=True, env=trusting, check=True,
    ).stdout.strip()  # fmt: skip
    assert tree == data_tree(reference)


REPOSITORY_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY")


def test_git_variables_naming_another_repository_do_not_redirect_the_commands(
    small_archive: Path, reference: Path, tmp_path: Path
) -> None:
    other = copy_archive(small_archive, tmp_path / "other")
    subprocess.run(["git", "-C", str(other), "gc", "-q", "--prune=now"], check=True)
    other_objects = sorted((other / ".git").rglob("*"))
    base = clean_env(tmp_path / "home")
    misled = {
        **base,
        "GIT_DIR": str(other / ".git"),
        "GIT_WORK_TREE": str(other),
        "GIT_INDEX_FILE": str(other / ".git" / "index"),
        "GIT_OBJECT_DIRECTORY": str(other / ".git" / "objects"),
        "GIT_COMMON_DIR": str(other / ".git"),
    }
    imported = run_child(["import", "--repo", str(small_archive), NEXT_CAPTURE], misled)
    assert imported.returncode == 0, imported.stderr
    assert data_tree(small_archive) == data_tree(reference)
    # The readers run git log and cat-file: with a fresh history index, they read git.
    shutil.rmtree(small_archive / ".git" / "archiver", ignore_errors=True)
    listed = run_child(["changes", "--repo", str(small_archive), "--json"], misled)
    assert listed.returncode == 0, listed.stderr
    plain = run_child(["changes", "--repo", str(reference), "--json"], base)
    assert listed.stdout == plain.stdout.replace(head(reference), head(small_archive))
    assert sorted((other / ".git").rglob("*")) == other_objects, "the other repository changed"
    assert status_clean(other) and commit_count(other) == 1


def requested(repo: Path, capture: Capture) -> list[str]:
    """Sync a capture in-process; return the URLs the sync asked for."""
    replay = ReplayTransport(capture)
    sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time))
    # Without the cache-busting parameter, which holds the time of the request.
    return sorted(re.sub(r"[?&]_=\d+$", "", url) for url in replay.requests)


def test_a_commit_that_is_no_sync_on_top_keeps_the_fetch_schedule(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    plain = copy_archive(small_archive, tmp_path / "plain")
    (small_archive / "NOTES.md").write_text("the fork's own notes\n")
    git(small_archive, "add", "NOTES.md")
    git(small_archive, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "Notes")
    expected = requested(plain, small_captures[1])
    assert requested(small_archive, small_captures[1]) == expected
    assert data_tree(small_archive) == data_tree(plain)


def test_update_code_without_a_git_identity_commits_as_the_archiver(
    tmp_path: Path, small_captures: list[Capture]
) -> None:
    person = ("-c", "user.name=A Person", "-c", "user.email=person@example.com")
    upstream = tmp_path / "upstream"
    git(tmp_path, "init", "-q", "-b", "main", str(upstream))
    (upstream / "code.py").write_text("rate = 1\n")
    git(upstream, "add", "code.py")
    git(upstream, *person, "commit", "-qm", "The code")
    fork = tmp_path / "fork.git"
    git(tmp_path, "clone", "-q", "--bare", str(upstream), str(fork))
    mine = tmp_path / "mine"
    git(tmp_path, "clone", "-q", str(fork), str(mine))
    sync_small(mine, small_captures[0])
    git(mine, "push", "-q", "origin", "main")
    (upstream / "code.py").write_text("rate = 2\n")
    git(upstream, *person, "commit", "-qam", "New code")
    # No identity anywhere, whatever the machine's host name: git may not guess one.
    env = clean_env(tmp_path / "home", GIT_CONFIG_COUNT="1")
    env |= {"GIT_CONFIG_KEY_0": "user.useConfigOnly", "GIT_CONFIG_VALUE_0": "true"}
    updated = run_child(["update-code", "--repo", str(mine), "--upstream", str(upstream)], env)
    assert updated.returncode == 0, updated.stderr
    assert git(fork, "show", "main:code.py") == "rate = 2\n"
    author = git(fork, "log", "-1", "--format=%an <%ae>", "main").strip()
    assert author == f"{DEFAULT_NAME} <{DEFAULT_EMAIL}>"


def test_a_refusing_pre_push_hook_is_quoted_and_the_next_run_pushes(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    remote, clone = remote_and_clone(small_archive, tmp_path)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    # Commit hooks never run for a sync (its commit is libgit2's); pre-push runs on its push.
    for name in ("pre-commit", "commit-msg", "post-commit", "pre-push"):
        (hooks / name).write_text(f"#!/bin/sh\necho 'policy: {name} refuses' >&2\nexit 1\n")
        (hooks / name).chmod(0o755)
    git(clone, "config", "core.hooksPath", str(hooks))
    capture = small_captures[1]
    args = ["sync", "--repo", str(clone), "--epoch", capture.time.isoformat(), "--push"]
    with ReplayServer(capture) as server:
        refused = run(*args, "--base-url", server.base_url, "--retries", "0")
    line = one_error_line(refused)
    assert "policy: pre-push refuses" in line and "stays local" in line, line
    assert commit_count(clone) == 2 and head(remote) == head(small_archive)
    assert status_clean(clone)
    (hooks / "pre-push").unlink()
    with ReplayServer(capture) as server:
        pushed = run(*args, "--base-url", server.base_url, "--retries", "0")
    assert pushed.exit_code == 0, pushed.output
    assert head(remote) == head(clone)


def test_the_site_refuses_a_sparse_checkout_without_its_telemetry_and_the_export_reads_git(
    small_archive: Path, tmp_path: Path
) -> None:
    full = tmp_path / "full-export"
    assert run("export", "--repo", str(small_archive), str(full)).exit_code == 0
    git(small_archive, "update-index", "-q", "--refresh")
    git(small_archive, "sparse-checkout", "set", "--cone", "data/model", "data/endpoint")
    assert not (small_archive / "data" / "telemetry").exists()
    site, export = tmp_path / "site", tmp_path / "export"
    line = one_error_line(run("site", "--out", str(site), "--repo", str(small_archive)))
    assert "sparse checkout without the telemetry of" in line and "checkout-recent" in line
    assert not site.exists()
    # The export reads the commit's files from git: the same tables as from the full tree.
    exported = run("export", "--repo", str(small_archive), str(export))
    assert exported.exit_code == 0, exported.output
    tables = sorted(export.glob("telemetry_endpoint/*/*.parquet"))
    assert tables, "telemetry exported"
    for table in tables:
        assert table.read_bytes() == (full / table.relative_to(export)).read_bytes()


SIGNATURES_REQUIRED = [
    "error: GH013: Repository rule violations found for refs/heads/main.",
    "",
    "- Commits must have verified signatures.",
    "  Found 1 violation:",
]


def test_commit_gpgsign_syncs_unsigned_and_a_signature_rule_is_named(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    remote, clone = remote_and_clone(small_archive, tmp_path)
    # The user's git signs its commits with a program this machine lacks.
    git(clone, "config", "commit.gpgsign", "true")
    git(clone, "config", "gpg.program", str(tmp_path / "no-such-gpg"))
    refuse_pushes(remote, SIGNATURES_REQUIRED)
    capture = small_captures[1]
    with ReplayServer(capture) as server:
        args = ["sync", "--repo", str(clone), "--base-url", server.base_url, "--push"]
        refused = run(*args, "--epoch", capture.time.isoformat(), "--retries", "0")
    line = one_error_line(refused)
    # The sync commit is made (libgit2 signs nothing); the rule that wants it signed is named.
    assert commit_count(clone) == 2 and status_clean(clone)
    assert "signed commits" in line and "GH006" not in line, line
