"""Bring upstream's code into a fork whose data/ moves every hour, keeping the fork's data.

A fork and its upstream both commit a sync to data/ every hour, to the same files: GitHub's
*Sync fork* then conflicts on nearly every data file (and offers to discard the fork's
commits, which is its archive). Here instead: one ordinary commit on top of the fork's
branch whose tree is the three-way merge of the code with the fork's own data/ and
.gitattributes (and its CNAME and notify.toml, if any: `FORK_OWNED`), byte for byte, as
they were. Upstream's data commits never enter
the fork's history: it stays the linear chain of the fork's own syncs, read along the
first parent by the history index, and the sync's push rules (archiver.archive.remote)
keep working.

The merge base is the upstream commit whose code the fork took last, named by the
`Upstream-Code` trailer of the newest update commit; the first time, the fork point
(`git merge-base`). Code the fork changed itself is kept; a fork change that conflicts with
upstream's is refused, listing the files, and nothing is pushed.

Only the git CLI runs here: the workflow clones commits only (`--filter=tree:0`), a partial
clone libgit2 cannot open, and git fetches the few code objects the merge reads on demand.
git 2.38's `merge-tree --write-tree` merges two commits at their own merge base, so three
throwaway commits give it the base chosen above: the base's tree and two children of it,
the fork's tree and upstream's tree, all three holding the fork's data: only code can
conflict. The result is pushed without force; a sync that pushes meanwhile makes the next
round redo the merge on top of it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from archiver.archive.git_status import NO_FSMONITOR, OWNED
from archiver.archive.push_refusal import explain_refusal
from archiver.archive.remote import GIT_SECONDS, last_line, timed_git
from archiver.archive.store import DEFAULT_EMAIL, DEFAULT_NAME
from archiver.errors import StoreError

UPSTREAM_TRAILER = "Upstream-Code"
# What stays the fork's own: what a sync writes, and the fork's settings at the root (its
# custom domain, its notification watch list), which upstream's would silently replace.
FORK_OWNED = (*OWNED, "CNAME", "notify.toml")
UPSTREAM_REMOTE = "upstream"
DEFAULT_ATTEMPTS = 3


class CodeUpdateError(StoreError):
    """Upstream's code could not be brought into the fork; nothing was pushed."""


@dataclass(frozen=True)
class CodeUpdate:
    """What an update did: the commit pushed (None: already up to date) and its inputs."""

    commit: str | None
    upstream_head: str
    base: str
    changed: tuple[str, ...]
    branch: str


def update_code(
    repo: Path,
    upstream: str,
    *,
    upstream_branch: str = "main",
    remote: str = "origin",
    attempts: int = DEFAULT_ATTEMPTS,
) -> CodeUpdate:
    """Commit upstream's code on top of remote's branch, the fork's data kept, and push it."""
    branch = _checked_out_branch(repo)
    upstream_head = _fetch_upstream(repo, upstream, upstream_branch)
    for _ in range(attempts):
        head = _fetch_own(repo, remote, branch)
        base = _merge_base(repo, head, upstream_head)
        tree, changed = _merged_tree(repo, head, base, upstream_head)
        if not changed:
            return CodeUpdate(None, upstream_head, base, (), branch)
        commit = _commit(repo, tree, head, upstream, upstream_head, changed)
        if _push(repo, remote, branch, commit, head):
            # The local branch follows when it can (a work tree left as the remote has it).
            git(repo, "merge", "--ff-only", "--quiet", commit, check=False)
            return CodeUpdate(commit, upstream_head, base, changed, branch)
    raise CodeUpdateError(
        f"{remote}/{branch} moved during each of {attempts} attempts to push the code "
        "update (the hourly sync pushing); run the update again"
    )


def parent_repository(repository: str, api_url: str, token: str | None = None) -> str:
    """Return the clone URL of the repository a GitHub fork (owner/name) was forked from."""
    request = urllib.request.Request(f"{api_url.rstrip('/')}/repos/{repository}")
    request.add_header("Accept", "application/vnd.github+json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            reply = json.load(response)
    except (OSError, ValueError) as error:
        raise CodeUpdateError(
            f"could not ask {api_url} which repository {repository} was forked from ({error}); "
            "name it with --upstream OWNER/NAME"
        ) from error
    parent = reply.get("parent") if isinstance(reply, dict) else None
    url = parent.get("clone_url") if isinstance(parent, dict) else None
    if not isinstance(url, str):
        raise CodeUpdateError(
            f"{repository} is not a fork on GitHub; name its upstream with --upstream OWNER/NAME"
        )
    return url


def upstream_url(name: str) -> str:
    """Return a git URL for OWNER/NAME (a GitHub repository), a local folder (absolute), or
    any other URL as it is."""
    if Path(name).exists():
        # Named from where the command runs, but git runs in --repo, where a relative path
        # names another folder (no repository: "and the repository exists.", or the wrong one).
        return str(Path(name).resolve())
    if re.fullmatch(r"[A-Za-z0-9][\w.-]*/[\w.-]+", name):
        return f"https://github.com/{name.removesuffix('.git')}.git"
    return name


def shown_url(url: str) -> str:
    """Return a git URL as it may be shown or committed: without its user and password.

    A private upstream is often named with a token in its URL (https://x:TOKEN@host/o/n);
    the update commit's message, pushed to a fork that may be public, kept it for good.
    """
    parts = urllib.parse.urlsplit(url) if "://" in url else None
    if parts is None or "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _checked_out_branch(repo: Path) -> str:
    """Return the branch checked out in repo; refuse a detached HEAD or changed files."""
    name = git(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if name.returncode != 0:
        raise CodeUpdateError(f"HEAD of {repo} is detached; `git switch main` first")
    changed = git(repo, "status", "--porcelain", "--untracked-files=no").stdout
    if changed.strip():
        raise CodeUpdateError(
            f"{repo} has uncommitted changes ({changed.splitlines()[0][3:]}, ...); "
            "commit or stash them before updating the code"
        )
    return name.stdout.strip()


def _fetch_upstream(repo: Path, url: str, branch: str) -> str:
    """Fetch upstream's branch into refs/remotes/upstream/; return its head."""
    known = git(repo, "remote", "get-url", UPSTREAM_REMOTE, check=False)
    verb = "set-url" if known.returncode == 0 else "add"
    git(repo, "remote", verb, UPSTREAM_REMOTE, url)
    ref = f"refs/remotes/{UPSTREAM_REMOTE}/{branch}"
    fetch = _fetch_command(repo)
    result = git(repo, *fetch, UPSTREAM_REMOTE, f"+refs/heads/{branch}:{ref}", check=False)
    if result.returncode != 0:
        raise CodeUpdateError(
            f"could not fetch {branch} from {shown_url(url)}: {last_line(result)}"
        )
    return _rev(repo, ref)


def _fetch_command(repo: Path) -> list[str]:
    """Return the git fetch command for upstream's commits."""
    # A partial clone fetches upstream's commits alone too (its hourly data is never read);
    # git fails to fetch a whole pack into one. A full clone stays full: libgit2, which the
    # sync uses, cannot open a partial one.
    promisors = git(repo, "config", "--get-regexp", r"^remote\..*\.promisor$", check=False)
    partial = "true" in promisors.stdout.split()
    return ["fetch", "--quiet", "--no-tags", *(["--filter=tree:0"] if partial else [])]


def _fetch_own(repo: Path, remote: str, branch: str) -> str:
    """Fetch the fork's own branch; return its head, which local commits must not be ahead of."""
    ref = f"refs/remotes/{remote}/{branch}"
    git(repo, "fetch", "--quiet", "--no-tags", remote, f"+refs/heads/{branch}:{ref}")
    head, local = _rev(repo, ref), _rev(repo, "HEAD")
    if not _is_ancestor(repo, local, head):
        raise CodeUpdateError(
            f"{branch} in {repo} has commits {remote}/{branch} lacks; push or drop them first: "
            "the update commits on top of the fork as GitHub has it"
        )
    return head


def _merge_base(repo: Path, head: str, upstream_head: str) -> str:
    """Return the upstream commit whose code the fork holds (last update's, or fork point)."""
    # Each commit's trailer, newest first, not `--grep` for its line: grep.patternType=fixed
    # matched no `^` pattern, and a person's line in a body is no trailer. Either way the
    # base fell back to the fork point, and upstream's code taken before read as the fork's.
    recorded = git(
        repo,
        "log",
        "--first-parent",
        # log.showSignature printed a signed commit's verification among the values.
        "--no-show-signature",
        f"--format=%(trailers:key={UPSTREAM_TRAILER},valueonly,separator=%x20)",
        head,
    ).stdout.split()
    shared = git(repo, "merge-base", head, upstream_head, check=False).stdout.strip()
    last = recorded[0] if recorded else None
    if last and not _is_ancestor(repo, last, upstream_head):
        last = _rewritten_base(repo, last, upstream_head, shared)
    # A merge made by hand since the last update is newer than what its trailer names.
    if last and not (shared and _is_ancestor(repo, last, shared)):
        return last
    if not shared:
        raise CodeUpdateError(
            f"the fork in {repo} shares no history with upstream {upstream_head[:12]}; "
            "is the upstream URL the repository this one was forked from?"
        )
    return shared


def _rewritten_base(repo: Path, last: str, upstream_head: str, shared: str) -> str | None:
    """Return the last update's upstream commit when upstream's branch was rewritten since
    (a force push: a release rolled back, commits amended), or None to start at the fork point.

    Its code is still what the fork holds: from the fork point instead, the code upstream
    took back (a file it added, then withdrew) read as the fork's own edit and stayed, while
    the update said the code was upstream's. GitHub serves a commit no branch holds any
    more by its id; a clone of the fork lacks it, so it is fetched, as upstream's commits are.
    """
    # A commit id alone: the trailer is text, and git would take "--upload-pack=..." for
    # an option.
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", last):
        return None
    git(repo, *_fetch_command(repo), UPSTREAM_REMOTE, last, check=False)
    common = git(repo, "merge-base", last, upstream_head, check=False).stdout.strip()
    # Unrelated to upstream's branch, or older than a merge of it made by hand since.
    if not common or (shared and not _is_ancestor(repo, shared, last)):
        return None
    return last


def _merged_tree(repo: Path, head: str, base: str, upstream: str) -> tuple[str, tuple[str, ...]]:
    """Return the merged tree (the fork's data, the code merged) and the code paths it changes."""
    base_commit = _scratch_commit(repo, _with_data_of(repo, base, head), [])
    ours = _scratch_commit(repo, f"{head}^{{tree}}", [base_commit])
    theirs = _scratch_commit(repo, _with_data_of(repo, upstream, head), [base_commit])
    return _merge_result(repo, head, ours, theirs)


def _merge_result(repo: Path, head: str, ours: str, theirs: str) -> tuple[str, tuple[str, ...]]:
    """Run merge-tree; return (tree, changed paths) or refuse the conflicting files."""
    command = ("merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs)
    result = git(repo, *command, check=False)
    lines = result.stdout.splitlines()
    if result.returncode == 1:
        conflicts = sorted(set(lines[1:]))
        raise CodeUpdateError(
            f"the fork's own code changes conflict with upstream's in {', '.join(conflicts)}; "
            "undo the fork's edits to them and run the update again, or apply upstream's "
            "changes by hand (README: Update the code from upstream)"
        )
    if result.returncode != 0 or not lines:
        raise CodeUpdateError(f"git merge-tree failed in {repo}: {last_line(result)}")
    diff = git(repo, "diff-tree", "-r", "--name-only", "--no-renames", f"{head}^{{tree}}", lines[0])
    return lines[0], tuple(diff.stdout.split("\n")[:-1])


def _with_data_of(repo: Path, commit: str, data_commit: str) -> str:
    """Return a tree: commit's tree with the fork's own paths taken from data_commit's."""
    kept = [line for line in _root_entries(repo, commit) if _name(line) not in FORK_OWNED]
    owned = [line for line in _root_entries(repo, data_commit) if _name(line) in FORK_OWNED]
    listing = "".join(f"{line}\0" for line in kept + owned)
    # --missing: in a partial clone the objects may stay on the server; the merge reads
    # only the few it needs.
    tree = git(repo, "mktree", "-z", "--missing", input_text=listing)
    return tree.stdout.strip()


def _root_entries(repo: Path, commit: str) -> list[str]:
    """Return the `git ls-tree` lines of a commit's top folder."""
    return git(repo, "ls-tree", "-z", "--full-tree", commit).stdout.split("\0")[:-1]


def _name(entry: str) -> str:
    """Return the file name of one ls-tree line."""
    return entry.split("\t", 1)[1]


def _scratch_commit(repo: Path, tree: str, parents: list[str]) -> str:
    """Return a commit no ref names (git's gc drops it): an input of merge-tree."""
    flags = [arg for parent in parents for arg in ("-p", parent)]
    return git(repo, "commit-tree", tree, *flags, "-m", "archiver: merge input").stdout.strip()


def _commit(
    repo: Path, tree: str, head: str, url: str, upstream_head: str, changed: tuple[str, ...]
) -> str:
    """Return the update commit: one parent (the fork's head), upstream named in a trailer."""
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    message = (
        f"Code from upstream {upstream_head[:12]}; the fork's data/ unchanged\n\n"
        f"From {shown_url(url)}: {len(changed)} file(s) changed ({shown}).\n\n"
        f"{UPSTREAM_TRAILER}: {upstream_head}\n"
    )
    return git(repo, "commit-tree", tree, "-p", head, "-F", "-", input_text=message).stdout.strip()


def _push(repo: Path, remote: str, branch: str, commit: str, head: str) -> bool:
    """Push commit to remote's branch without force; False when the branch moved (retry)."""
    result = git(repo, "push", "--porcelain", remote, f"{commit}:refs/heads/{branch}", check=False)
    if result.returncode == 0:
        return True
    refused = explain_refusal(result.stdout + result.stderr, branch)
    if refused is not None:
        raise CodeUpdateError(f"GitHub refused the code update of {remote}/{branch}: {refused}")
    # Refused because the hourly sync pushed first: the next round merges on top of it.
    now = git(repo, "ls-remote", "--heads", remote, f"refs/heads/{branch}").stdout.split()
    if now and now[0] != head:
        return False
    raise CodeUpdateError(f"git push to {remote}/{branch} failed: {last_line(result)}")


def _rev(repo: Path, name: str) -> str:
    """Return the commit a name points at."""
    return git(repo, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}").stdout.strip()


def _is_ancestor(repo: Path, older: str, newer: str) -> bool:
    """Tell whether older is newer or one of its ancestors."""
    return git(repo, "merge-base", "--is-ancestor", older, newer, check=False).returncode == 0


def git(
    repo: Path, *args: str, check: bool = True, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run git in repo; raise CodeUpdateError with git's words when check is set and it fails."""
    # C locale: refusals are recognised by their text. No prompt: fail, never hang.
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    if args[0] == "commit-tree":
        env = _with_identity(repo, env)
    # Not only fetch and push reach a remote: in the workflow's partial clone, ls-tree and
    # merge-tree fetch the objects they read. A remote that stops answering held the update
    # until Actions cancelled the job, saying nothing; as a sync's git, each call is stopped.
    # trailer.separators: without `:` in it git finds no Upstream-Code trailer, and the
    # update merged from the fork point (as the history reader, archiver.history.commits).
    command = ["git", *NO_FSMONITOR, "-c", "trailer.separators=:", "-C", str(repo), *args]
    result = timed_git(command, env, GIT_SECONDS, input_text)
    if result is None:
        raise CodeUpdateError(
            f"git {args[0]} in {repo} got no answer in {GIT_SECONDS:g} s and was stopped; "
            "nothing was pushed: check the remotes (upstream's and the fork's), then run "
            "the update again"
        )
    if check and result.returncode != 0:
        raise CodeUpdateError(f"git {args[0]} failed in {repo}: {last_line(result)}")
    return result


def _with_identity(repo: Path, env: dict[str, str]) -> dict[str, str]:
    """Return env with the archiver's identity where git has none (no user.name or email, no
    HOME: a bare container), as a sync's own commits have; any identity git has wins."""
    for role in ("AUTHOR", "COMMITTER"):
        known = subprocess.run(
            ["git", "-C", str(repo), "var", f"GIT_{role}_IDENT"], capture_output=True, env=env
        )
        if known.returncode != 0:
            env = {f"GIT_{role}_NAME": DEFAULT_NAME, f"GIT_{role}_EMAIL": DEFAULT_EMAIL, **env}
    return env
