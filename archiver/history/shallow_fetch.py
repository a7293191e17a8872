"""History a shallow clone lacks, fetched only as deep as a build needs it.

An hourly CI job checks the archive out shallow (``--depth 1``): cloning every commit and
tree of years of hourly syncs would grow with history. A build that keeps what it derived
up to some commit (the site's cache) needs only the commits after it, so the clone is
deepened from its origin (``git fetch --deepen``, doubling the depth each time) until that
commit is on HEAD's first-parent chain. Without such a commit (no cache, or one that does
not fit) every reader needs all of history, and the clone fetches it whole
(``--unshallow``). A repository that is not shallow is left alone: no network.

Fetches keep the clone's blob filter (``--filter=blob:none`` in a partial clone), so a
deeper history costs commits and trees only; the blobs a reader needs are fetched by
:mod:`archiver.history.partial_clone`. The git command runs the fetches, as there.

Deepening moves the shallow boundary, and the history index rebuilds from scratch when its
boundary moves (a shallow root's entries are not real changes). An index that holds only
real history, up to the commit the build covers, stays valid below that commit whatever the
boundary: :func:`keep_index_across_deepening` records the new boundary in it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pygit2

from archiver.errors import StoreError
from archiver.history.commits import (
    first_parent_chain,
    head_id,
    is_shallow,
    open_repository,
    shallow_digest,
)
from archiver.history.index import INDEX_FILE
from archiver.history.partial_clone import git_fetch, promisor_remote

__all__ = ["Deepening", "fetch_history_after", "indexed_head", "keep_index_across_deepening"]


@dataclass(frozen=True)
class Deepening:
    """What fetching history did: fetches made, whether a shallow clone reached the commit
    asked for (and holds it on HEAD's first-parent chain), and whether it is whole now."""

    fetches: int
    reached: bool
    whole: bool
    note: str


def fetch_history_after(repo_path: str | Path, commit: str | None) -> Deepening:
    """Deepen a shallow clone until commit is on HEAD's first-parent chain (None: fetch all)."""
    repo = open_repository(repo_path)
    if not is_shallow(repo):
        return Deepening(0, False, True, "")
    remote = _remote(repo)
    head = head_id(repo)
    fetches, depth = 0, 1
    while commit is not None:
        if _on_chain(repo, commit):
            note = f"shallow clone deepened to {commit[:12]} ({fetches} fetches)"
            return Deepening(fetches, True, not is_shallow(repo), note)
        if not is_shallow(repo):
            break  # Whole, and the commit is not an ancestor: readers need all of it anyway.
        _fetch(repo, remote, head, f"--deepen={depth}")
        # A fresh handle: libgit2 keeps the shallow boundary it read when it opened.
        repo = open_repository(repo_path)
        fetches, depth = fetches + 1, depth * 2
    if is_shallow(repo):
        _fetch(repo, remote, head, "--unshallow")
        fetches += 1
    return Deepening(fetches, False, True, "shallow clone: the whole history fetched")


def indexed_head(git_dir: Path) -> str | None:
    """Return the commit the history index was last brought up to (None: no readable index)."""
    path = git_dir / INDEX_FILE
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'head'").fetchone()
    except sqlite3.Error:
        return None  # Damaged: the index rebuilds itself; the caller fetches all history.
    return str(row[0]) if row else None


def keep_index_across_deepening(git_dir: Path, covered: str) -> None:
    """Record the clone's new shallow boundary in an index brought up to covered.

    Only for an index of real history (built in a whole clone, or kept this way since):
    the commits it holds are the same whatever the boundary below them, and the commits
    after covered are read against their real parents, which the deepened clone holds.
    """
    if indexed_head(git_dir) != covered:
        return
    try:
        with sqlite3.connect(git_dir / INDEX_FILE) as db:
            db.execute("UPDATE meta SET value = ? WHERE name = 'graft'", (shallow_digest(git_dir),))
    except sqlite3.Error:
        pass  # The index then rebuilds from the clone's history, as it would anyway.


def _on_chain(repo: pygit2.Repository, commit: str) -> bool:
    """Tell whether commit is on HEAD's first-parent chain, as far as the clone holds it."""
    head = head_id(repo)
    return bool(head) and any(found == commit for found in first_parent_chain(repo, head))


def _remote(repo: pygit2.Repository) -> str:
    """Return the remote a shallow clone came from: origin, else its promisor remote."""
    names = list(repo.remotes.names())
    if "origin" in names:
        return "origin"
    promisor = promisor_remote(repo)
    if promisor is not None:
        return promisor
    if len(names) == 1:
        return str(names[0])
    raise StoreError(
        f"{repo.path} is a shallow clone with no origin to fetch its history from; "
        "add the remote it was cloned from as origin, or clone it whole"
    )


def _fetch(repo: pygit2.Repository, remote: str, head: str, depth_option: str) -> None:
    """Run one git fetch of head's history from remote, keeping a partial clone's filter."""
    blobs = ["--filter=blob:none"] if promisor_remote(repo) is not None else []
    git_fetch(
        repo,
        ["fetch", depth_option, *blobs, remote, head],
        stdin="",
        what=f"history ({depth_option}) from {remote}",
        advice="check the network, or clone the whole history and retry",
    )
