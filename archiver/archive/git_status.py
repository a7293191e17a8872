"""What `git status` says of the work tree: which files under data/ are not as committed.

The git CLI reads a sparse checkout's skip-worktree marks and the index's stat data; pygit2
stands in when git is missing. A file git reports as edited whose bytes are still those
committed is one an attribute converts (a filter, an eol rule): `as_committed` finds them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pygit2

from archiver.archive.trees import blob_ids
from archiver.errors import StoreError

# Where a sync writes: it owns these paths and nothing else in the work tree.
OWNED = ("data", ".gitattributes")
REPOSITORY_ENV = frozenset(
    {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"}
)
# Every git the archiver runs looks at the files itself: a person's core.fsmonitor hook that
# never returns hung every sync in `git status`, and one that missed an edit hid it.
NO_FSMONITOR = ("-c", "core.fsmonitor=false")


def unclean(repo: pygit2.Repository, root: Path) -> list[str]:
    """Return the paths under OWNED whose work tree differs from the index, or are untracked."""
    # git status reads the index's stat data: 0.2 s on 52,000 files, where pygit2's status
    # takes 0.3 s and a Python lstat loop over the index more. pygit2 when git is missing.
    # git also reads a sparse checkout's skip-worktree marks, which pygit2 takes for deletions.
    output = git_status(root, ["--untracked-files=all", "--", *OWNED])
    return unclean_pygit2(repo) if output is None else parse_porcelain(output)


def uncommitted(repo: pygit2.Repository, root: Path) -> list[str]:
    """Return the tracked paths with changes staged or not (not the files a sparse checkout
    leaves out), sorted."""
    output = git_status(root, ["--untracked-files=no"])
    if output is None:
        return sorted(repo.status(untracked_files="no"))
    return sorted(parse_porcelain(output, staged_too=True))


def git_status(root: Path, options: list[str]) -> bytes | None:
    """Return `git status --porcelain=v1 -z` of root with these options (None: no git)."""
    command = ["git", *NO_FSMONITOR, "--no-optional-locks", "-C", str(root), "status"]
    command += ["--porcelain=v1", "-z"]
    command += ["--ignore-submodules", *options]
    # The repository is root's, whatever a hook's environment points git at.
    env = {key: value for key, value in os.environ.items() if key not in REPOSITORY_ENV}
    try:
        result = subprocess.run(command, capture_output=True, env={**env, "LC_ALL": "C"})
    except FileNotFoundError:
        return None
    if result.returncode != 0:
        reason = result.stderr.decode(errors="replace").strip().splitlines()
        raise StoreError(
            f"git status failed in {root}: {reason[-1] if reason else result.returncode}; "
            "check the repository with `git status`"
        )
    return result.stdout


def parse_porcelain(output: bytes, *, staged_too: bool = False) -> list[str]:
    """Return the paths of unstaged or untracked entries in `git status --porcelain -z`
    (staged_too: of every entry)."""
    paths: list[str] = []
    records = iter(output.split(b"\0"))
    for record in records:
        if len(record) < 4:
            continue
        code, path = record[:2].decode(), record[3:].decode(errors="replace")
        if code[0] in "RC":
            next(records, None)  # A rename's second record is its old path.
        if staged_too or code == "??" or code[1] != " ":
            paths.append(path)
    return paths


def unclean_pygit2(repo: pygit2.Repository) -> list[str]:
    """Return what unclean does, read with pygit2 (slower, no git CLI needed)."""
    unstaged = (
        pygit2.enums.FileStatus.WT_NEW
        | pygit2.enums.FileStatus.WT_MODIFIED
        | pygit2.enums.FileStatus.WT_DELETED
        | pygit2.enums.FileStatus.WT_TYPECHANGE
        | pygit2.enums.FileStatus.WT_RENAMED
    )
    found = repo.status(untracked_files="all")
    return sorted(
        path
        for path, flags in found.items()
        if flags & unstaged and (path.startswith("data/") or path == ".gitattributes")
    )


def as_committed(repo: pygit2.Repository, root: Path, paths: list[str]) -> list[str]:
    """Return those of paths whose file holds exactly the bytes HEAD has there (nothing is
    staged when this is asked: the index is HEAD's).

    pygit2.hashfile hashes the bytes as they are, with no filter or conversion applied.
    """
    if repo.head_is_unborn or not paths:
        return []
    committed = blob_ids(repo, repo.head.peel(pygit2.Commit).tree, paths)
    return [
        path
        for path in paths
        if committed[path] is not None
        and os.path.isfile(root / path)
        and not os.path.islink(root / path)
        and str(pygit2.hashfile(str(root / path))) == committed[path]
    ]
