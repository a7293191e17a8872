"""The remote side of publishing: fetch the branch, line the local one up with it, push.

Only `git fetch` and `git push` run the git CLI: actions/checkout hands its token to git
through config that libgit2 does not read. Everything else reads and writes through pygit2:
the branch, the remote's name, the status, the commits the remote lacks, and the
fast-forward to the fetched head (its tree checked out safely, path by changed path, then
the branch moved, as `git merge --ff-only` does). Never a force push, never a merge commit.
Local commits the remote lacks are refused, except the archiver's own unpushed syncs (a
run killed between its commit and its push): those are pushed by the next run. A commit
counts as the archiver's own when the remote head is its ancestor, it is no merge, its
message carries a Sync-Epoch trailer and it touches nothing but data/ and .gitattributes,
which is all a sync ever writes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE

import pygit2
from pygit2.enums import CheckoutStrategy, SortMode

from archiver.archive.git_status import NO_FSMONITOR, OWNED, uncommitted
from archiver.archive.partial_clone import BlobReader
from archiver.archive.push_refusal import TRANSIENT_PUSH_ERRORS, explain_refusal
from archiver.archive.store import Store
from archiver.archive.synclog import SyncLog
from archiver.archive.trailers import EPOCH_TRAILER, trailers
from archiver.archive.trees import walk_files
from archiver.archive.worktree import reapply_sparse, sparse
from archiver.backoff import lost_connection, while_connection_lost
from archiver.errors import StoreError

_BRANCHES, _FETCH = "refs/heads/", ("fetch", "--quiet", "--no-tags")
# How long a fetch or push may go without finishing: far beyond an hourly push's seconds.
GIT_SECONDS = 600.0
# git's own error lines (its advice and hints follow them, naming no path).
_GIT_ERROR = re.compile(r"(?:fatal|error): .*")


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
    root, repo = store.root, store.repo
    recovered = store.recover()
    store.check_ready()
    head = repo.references.get("HEAD")
    if repo.head_is_detached or head is None or not isinstance(head.target, str):
        raise PublishError(
            f"HEAD of {root} is detached; check out a branch (git switch main) before syncing"
        )
    name = head.target.removeprefix(_BRANCHES)
    if branch is not None and branch != name:
        raise PublishError(
            f"{root} has branch {name} checked out, not {branch}; `git switch {branch}` first"
        )
    if remote not in repo.remotes.names():
        raise PublishError(f"{root} has no git remote named {remote!r}; see `git remote -v`")
    dirty = uncommitted(repo, root)
    if dirty:
        raise PublishError(
            f"{root} has uncommitted changes to tracked files ({dirty[0]}, ...); "
            "commit or stash them before publishing a sync"
        )
    return Target(root, remote, name), recovered


def fetch_branch(target: Target) -> str | None:
    """Fetch the remote branch; return its head, or None when the remote lacks the branch.
    One that lost its connection is tried again (on a runner, a failed fetch lost the hour)."""
    refspec = f"+refs/heads/{target.branch}:refs/remotes/{target.label}"

    def attempt() -> tuple[subprocess.CompletedProcess[str], str | None]:
        result = git(target.repo, *_FETCH, target.remote, refspec, check=False)
        return result, result.stderr if result.returncode else None

    result = while_connection_lost(attempt)
    if result.returncode != 0:
        if "couldn't find remote ref" in result.stderr:
            return None
        raise PublishError(f"git fetch {target.remote} failed: {last_line(result)}")
    return rev(target.repo, f"refs/remotes/{target.label}")


def align(target: Target, remote_head: str | None, ours: str | None) -> str | None:
    """Put the local branch at the remote head, dropping our own rejected commit, losing nothing.

    Return a note when the branch keeps earlier unpushed sync commits, to be pushed now.
    """
    repo = open_repository(target.repo)
    head = rev(target.repo, "HEAD")
    base = head
    if ours is not None:
        if head != ours:
            raise _moved(target)
        # Our commit was refused: it is derived again on top of the new remote head.
        parents = repo[ours].peel(pygit2.Commit).parent_ids
        base = str(parents[0]) if parents else None
        if remote_head is None:
            return None
    pending = _unpushed(repo, base, remote_head)
    if pending:
        if ours is None and _all_own_syncs(repo, base, remote_head, pending):
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
    _fast_forward(repo, target, head, remote_head)
    return None


def _unpushed(repo: pygit2.Repository, base: str | None, remote_head: str | None) -> list[str]:
    """Return the commits reachable from base that the remote head lacks, newest first."""
    if base is None:
        return []
    walker = repo.walk(pygit2.Oid(hex=base), SortMode.TOPOLOGICAL | SortMode.TIME)
    if remote_head is not None:
        walker.hide(pygit2.Oid(hex=remote_head))
    return [str(commit.id) for commit in walker]


def _all_own_syncs(
    repo: pygit2.Repository, base: str | None, remote_head: str | None, pending: list[str]
) -> bool:
    """Tell whether every pending commit is an archiver sync on top of the remote head."""
    if base is None:
        return False
    if remote_head is not None and not repo.descendant_of(
        pygit2.Oid(hex=base), pygit2.Oid(hex=remote_head)
    ):
        return False  # Diverged: the remote moved on since; not ours to rebase.
    commits = [repo[commit_id].peel(pygit2.Commit) for commit_id in pending]
    if any(len(commit.parent_ids) > 1 for commit in commits):
        return False
    if not all(_epoch_value(commit) for commit in commits):
        return False
    return all(_owned(path) for commit in commits for path in _touched(commit))


def _epoch_value(commit: pygit2.Commit) -> str:
    """Return a commit's Sync-Epoch trailer value ('' without one); keys match as git's do."""
    wanted = EPOCH_TRAILER.casefold()
    found = (value for key, value in trailers(commit).items() if key.casefold() == wanted)
    return next(found, "").strip()


def _touched(commit: pygit2.Commit) -> set[str]:
    """Return the paths a (non-merge) commit changes, from its tree diff with its parent."""
    if commit.parents:
        diff = commit.parents[0].tree.diff_to_tree(commit.tree)
    else:
        diff = commit.tree.diff_to_tree(swap=True)  # A root commit adds all it holds.
    return {path for delta in diff.deltas for path in (delta.old_file.path, delta.new_file.path)}


def _owned(path: str) -> bool:
    """Tell whether a sync writes this path: anything under data/, or .gitattributes."""
    return path == OWNED[1] or path.startswith(f"{OWNED[0]}/")


def _fast_forward(repo: pygit2.Repository, target: Target, head: str | None, new: str) -> None:
    """Bring the work tree, index and branch from head to new, never overwriting a change.

    As `git merge --ff-only` (or `git reset --keep` when our own refused commit is dropped):
    the files and index first, then the branch (only if it is still at head).
    """
    name = f"{_BRANCHES}{target.branch}"
    commit = repo[new].peel(pygit2.Commit)
    branch = repo.references.get(name)
    if (str(branch.target) if branch is not None else None) != head:
        raise _moved(target)
    try:
        # SAFE: only paths that differ from HEAD's tree are written, and a file that differs
        # from HEAD (none: prepare checked the tree clean) would stop the checkout, untouched.
        # libgit2 cannot fetch what a partial clone lacks: the files that change, in one go.
        deltas = _deltas(repo, head, commit)
        BlobReader(repo).prefetch(_changed_blobs(repo, commit, deltas))
        checkout = repo.checkout_tree
        paths = _in_work_tree(repo, target.repo, deltas)
        if paths is None:
            checkout(commit.tree, strategy=CheckoutStrategy.SAFE)  # type: ignore[no-untyped-call]
        elif paths:
            literal = CheckoutStrategy.SAFE | CheckoutStrategy.DISABLE_PATHSPEC_MATCH
            checkout(commit.tree, strategy=literal, paths=paths)  # type: ignore[no-untyped-call]
        index = repo.index
        index.read(force=True)
        # As the store does: the tree cache whole, so the next staged-changes check is a lookup.
        index.read_tree(commit.tree)
        index.write()
        reapply_sparse(repo, target.repo)
        if branch is None:
            repo.references.create(name, commit.id)
        else:
            # libgit2 refuses if the branch left head since it was read: nothing moves behind us.
            branch.set_target(commit.id, f"archiver: fast-forward to {target.label}")
    except (pygit2.GitError, OSError) as error:
        raise PublishError(
            f"could not bring {target.branch} in {target.repo} to {target.label} "
            f"({new[:12]}): {' '.join(str(error).split())}; check `git status`, then run "
            "`archiver sync --push` again"
        ) from error


def _moved(target: Target) -> PublishError:
    """Return the refusal for a branch that moved under the archiver's feet."""
    return PublishError(
        f"the branch {target.branch} in {target.repo} moved while the sync was "
        "publishing; check `git log` and run `archiver sync --push` again"
    )


def push(target: Target, head: str, remote_head: str | None, last: bool = False) -> bool:
    """Push HEAD without force; return False when the remote moved meanwhile or the
    connection failed (retry), unless this is the `last` round."""
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
    refused = explain_refusal(text, target.branch)
    if refused is not None:
        # Pushing again cannot help. The commit is data fetched again by the next run, so an
        # Actions runner may discard it with its workspace; a local clone pushes it next time.
        raise PublishError(
            f"GitHub refused the push to {target.label}: {refused}. The sync commit "
            f"{head[:12]} stays local only; the next run after the fix archives again"
        )
    if lost_connection(text) and not last:
        return False
    raise PublishError(
        f"git push to {target.label} failed: {_push_reason(result)}; the sync commit "
        f"{head[:12]} stays local only"
    )


def _push_reason(result: subprocess.CompletedProcess[str]) -> str:
    """Return why a push failed: the refused ref's status and what the remote said."""
    if cut := lost_connection(result.stderr):
        return f"the connection failed, in the last round too ({cut!r})"
    statuses = [line.split("\t")[-1] for line in result.stdout.splitlines() if line[:1] == "!"]
    remote_said = [line[7:].strip() for line in result.stderr.splitlines() if line[:7] == "remote:"]
    reasons = [*statuses, *(f"remote says {line!r}" for line in remote_said[:3] if line)]
    # Refused before anything was sent (a pre-push hook, from core.hooksPath too): git's own
    # last line says only "failed to push some refs"; the hook's words are above it.
    said = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    local = [line for line in said if not line.startswith(("error: failed to push", "To "))]
    if not reasons and local:
        return f"git or a pre-push hook said {' / '.join(local[-3:])!r}"
    return "; ".join(reasons) or last_line(result)


def open_repository(path: Path) -> pygit2.Repository:
    """Open the repository afresh: refs, objects and index as the git CLI last left them."""
    return pygit2.Repository(str(path))


def head_commit(path: Path) -> pygit2.Commit | None:
    """Return the commit HEAD points at, or None on an unborn branch."""
    repo = open_repository(path)
    return None if repo.head_is_unborn else repo.head.peel(pygit2.Commit)


def rev(path: Path, name: str) -> str | None:
    """Return the commit id a name points at, or None (unborn branch, no such name)."""
    try:
        return str(open_repository(path).revparse_single(name).peel(pygit2.Commit).id)
    except (KeyError, ValueError, pygit2.GitError):
        return None


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in repo (fetch, push); raise PublishError with git's words when check is set.

    A remote that stops answering (a hung server, a hook that never returns) is given up
    after GIT_SECONDS: the hourly job would otherwise hang, holding the repository's lock,
    until Actions cancels it. git and what it started (the transport, the hooks of a local
    remote) run in their own process group, ended together.
    """
    # C locale: some answers are recognised by their text. No prompt: fail, never hang.
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    result = timed_git(["git", *NO_FSMONITOR, "-C", str(repo), *args], env, GIT_SECONDS)
    if result is None:
        raise PublishError(
            f"git {args[0]} in {repo} got no answer from the remote in {GIT_SECONDS:g} s "
            "and was stopped; nothing local is lost: check the remote (its status, its "
            "hooks) and run `archiver sync --push` again, which pushes any sync left local"
        )
    if check and result.returncode != 0:
        raise PublishError(f"git {args[0]} failed in {repo}: {last_line(result)}")
    return result


def timed_git(
    command: list[str], env: dict[str, str], seconds: float, input_text: str | None = None
) -> subprocess.CompletedProcess[str] | None:
    """Run a git command; return None when it did not finish within seconds.

    git and what it started (the transport, the hooks of a local remote) run in their own
    process group, ended together: killing git alone left a hung transport holding the pipes.
    """
    with subprocess.Popen(
        command, stdin=PIPE, stdout=PIPE, stderr=PIPE, text=True, env=env, start_new_session=True
    ) as process:
        try:
            stdout, stderr = process.communicate(input_text, timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    """Return the most telling line git printed: its last error line.

    git's advice after a lock file it found ("remove the file manually to continue.") names
    no file: its `fatal:` or `error:` line does. Else the last line it printed.
    """
    lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    errors = [found.group() for line in lines if (found := _GIT_ERROR.search(line))]
    return (errors or lines or [f"exit status {result.returncode}"])[-1].strip()


def _deltas(
    repo: pygit2.Repository, head: str | None, commit: pygit2.Commit
) -> list[pygit2.DiffDelta] | None:
    """Return the files that differ from head in commit (None: no head, all of them)."""
    if head is None:
        return None
    return list(repo[head].peel(pygit2.Commit).tree.diff_to_tree(commit.tree).deltas)


def _in_work_tree(
    repo: pygit2.Repository, root: Path, deltas: list[pygit2.DiffDelta] | None
) -> list[str] | None:
    """In a sparse checkout, return the paths that differ from head in commit, but for the
    files the checkout left out (None: not sparse, check out the whole tree).

    libgit2 does not read git's skip-worktree marks: a file left out that the commit changes
    reads to it as deleted by hand, and the checkout stopped on a conflict (1 conflict
    prevents checkout). prepare found nothing uncommitted, so a tracked file missing from
    the work tree is one left out; reapply_sparse marks it so again after the index is written.
    """
    if deltas is None or not sparse(repo):
        return None
    return [
        delta.new_file.path
        for delta in deltas
        if delta.status_char() == "A" or os.path.lexists(root / delta.old_file.path)
    ]


def _changed_blobs(
    repo: pygit2.Repository, commit: pygit2.Commit, deltas: list[pygit2.DiffDelta] | None
) -> list[str]:
    """Return the blob ids of the files that differ from head in commit."""
    if deltas is None:
        return [blob for _, blob in walk_files(repo, commit.tree, "")]
    return [str(delta.new_file.id) for delta in deltas if delta.status_char() != "D"]
