"""The remote side of publishing: fetch the branch, line the local one up with it, push.

All through the git CLI: actions/checkout hands its token to git through config that libgit2
does not read. Never a force push, never a merge commit. Local commits the remote lacks are
refused, except the archiver's own unpushed syncs (a run killed between its commit and its
push): those are pushed by the next run. A commit counts as the archiver's own when the
remote head is its ancestor, it is no merge, its message carries a Sync-Epoch trailer and it
touches nothing but data/ and .gitattributes, which is all a sync ever writes.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from archiver.archive.store import Store
from archiver.archive.synclog import EPOCH_TRAILER, SyncLog
from archiver.archive.worktree import OWNED
from archiver.errors import StoreError

# A refused push that names one of these lost a race for the ref lock: worth another round.
TRANSIENT_PUSH_ERRORS = ("cannot lock ref", "failed to update ref", "incorrect old value")


class PublishError(StoreError):
    """The sync could not be published; `log` is the sync as far as it got, if it ran."""

    def __init__(self, message: str, log: SyncLog | None = None) -> None:
        super().__init__(message)
        self.log = log


@dataclass(frozen=True)
class Target:
    """Where to publish: a repository, its remote and the branch on both sides."""

    repo: Path
    remote: str
    branch: str

    @property
    def label(self) -> str:
        """Return the remote branch as git names it: origin/main."""
        return f"{self.remote}/{self.branch}"


def prepare(store: Store, remote: str, branch: str | None) -> tuple[Target, str | None]:
    """Finish an interrupted commit, check the repository can publish; return the target."""
    repo = store.root
    recovered = store.recover()
    store.check_ready()
    current = git(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if current.returncode != 0:
        raise PublishError(
            f"HEAD of {repo} is detached; check out a branch (git switch main) before syncing"
        )
    name = current.stdout.strip()
    if branch is not None and branch != name:
        raise PublishError(
            f"{repo} has branch {name} checked out, not {branch}; `git switch {branch}` first"
        )
    if git(repo, "remote", "get-url", remote, check=False).returncode != 0:
        raise PublishError(f"{repo} has no git remote named {remote!r}; see `git remote -v`")
    dirty = git(repo, "status", "--porcelain", "--untracked-files=no").stdout
    if dirty.strip():
        first = dirty.splitlines()[0][3:]
        raise PublishError(
            f"{repo} has uncommitted changes to tracked files ({first}, ...); "
            "commit or stash them before publishing a sync"
        )
    return Target(repo, remote, name), recovered


def fetch_branch(target: Target) -> str | None:
    """Fetch the remote branch; return its head, or None when the remote lacks the branch."""
    refspec = f"+refs/heads/{target.branch}:refs/remotes/{target.label}"
    result = git(target.repo, "fetch", "--quiet", "--no-tags", target.remote, refspec, check=False)
    if result.returncode != 0:
        if "couldn't find remote ref" in result.stderr:
            return None
        raise PublishError(f"git fetch {target.remote} failed: {last_line(result)}")
    return rev(target.repo, f"refs/remotes/{target.label}")


def align(target: Target, remote_head: str | None, ours: str | None) -> str | None:
    """Put the local branch at the remote head, dropping our own rejected commit, losing nothing.

    Return a note when the branch keeps earlier unpushed sync commits, to be pushed now.
    """
    head = rev(target.repo, "HEAD")
    base = head
    if ours is not None:
        if head != ours:
            raise PublishError(
                f"the branch {target.branch} in {target.repo} moved while the sync was "
                "publishing; check `git log` and run `archiver sync --push` again"
            )
        # Our commit was refused: it is derived again on top of the new remote head.
        base = rev(target.repo, f"{ours}^")
        if remote_head is None:
            return None
    pending = _unpushed(target, base, remote_head)
    if pending:
        if ours is None and _all_own_syncs(target, base, remote_head, pending):
            return (
                f"pushing {len(pending)} earlier sync commit(s) an interrupted run left "
                f"unpushed (newest {pending[0][:12]})"
            )
        raise PublishError(
            f"the branch {target.branch} in {target.repo} has {len(pending)} commit(s) "
            f"{target.label} lacks (newest {pending[0][:12]}); push or drop them first "
            "(`git pull --rebase && git push`): a published sync only adds its own commit"
        )
    if remote_head is None or head == remote_head:
        return None
    if base != head:
        git(target.repo, "reset", "--quiet", "--keep", remote_head)
    else:
        git(target.repo, "merge", "--quiet", "--ff-only", remote_head)
    return None


def _unpushed(target: Target, base: str | None, remote_head: str | None) -> list[str]:
    """Return the commits reachable from base that the remote head lacks, newest first."""
    if base is None:
        return []
    exclude = ["--not", remote_head] if remote_head else []
    return git(target.repo, "rev-list", base, *exclude).stdout.split()


def _all_own_syncs(
    target: Target, base: str | None, remote_head: str | None, pending: list[str]
) -> bool:
    """Tell whether every pending commit is an archiver sync on top of the remote head."""
    repo = target.repo
    if base is None:
        return False
    if remote_head is not None:
        ancestor = git(repo, "merge-base", "--is-ancestor", remote_head, base, check=False)
        if ancestor.returncode != 0:
            return False  # Diverged: the remote moved on since; not ours to rebase.
    span = [base, "--not", remote_head] if remote_head else [base]
    if git(repo, "rev-list", "--min-parents=2", *span).stdout.strip():
        return False
    epochs = git(repo, "log", f"--format=%(trailers:key={EPOCH_TRAILER},valueonly)%x00", *span)
    if sum(1 for value in epochs.stdout.split("\0") if value.strip()) != len(pending):
        return False
    touched = git(repo, "log", "--format=", "--name-only", "--no-renames", "-z", *span).stdout
    paths = {path.strip("\n") for path in touched.split("\0")} - {""}
    return all(path == OWNED[1] or path.startswith(f"{OWNED[0]}/") for path in paths)


def push(target: Target, head: str, remote_head: str | None) -> bool:
    """Push HEAD without force; return False when the remote moved meanwhile (retry)."""
    refspec = f"{head}:refs/heads/{target.branch}"
    result = git(target.repo, "push", "--porcelain", target.remote, refspec, check=False)
    if result.returncode == 0:
        return True
    now = fetch_branch(target)
    if now == head:
        return True  # The push landed; only its report was lost.
    text = result.stdout + result.stderr
    if now != remote_head or any(marker in text for marker in TRANSIENT_PUSH_ERRORS):
        return False
    raise PublishError(
        f"git push to {target.label} failed: {_push_reason(result)}; the sync commit "
        f"{head[:12]} stays local only"
    )


def _push_reason(result: subprocess.CompletedProcess[str]) -> str:
    """Return why a push failed: the refused ref's status and what the remote said."""
    statuses = [line.split("\t")[-1] for line in result.stdout.splitlines() if line[:1] == "!"]
    remote_said = [line[7:].strip() for line in result.stderr.splitlines() if line[:7] == "remote:"]
    reasons = [*statuses, *(f"remote says {line!r}" for line in remote_said[:3] if line)]
    return "; ".join(reasons) or last_line(result)


def rev(repo: Path, name: str) -> str | None:
    """Return the commit id a name points at, or None (unborn branch, no parent)."""
    result = git(repo, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", check=False)
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def git(
    repo: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run git in repo; raise PublishError with git's own words when it fails and check is set."""
    # C locale: some answers are recognised by their text. No prompt: fail, never hang.
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if check and result.returncode != 0:
        raise PublishError(f"git {args[0]} failed in {repo}: {last_line(result)}")
    return result


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    """Return the most telling line git printed: its last error line."""
    lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"exit status {result.returncode}"
