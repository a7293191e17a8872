"""Reading an archive that a sync may commit to meanwhile: every read made at one commit.

Entities and history are read from git objects, but telemetry from the work tree, and
each reader opens HEAD afresh: a build that read history at commit X while a sync landed
X+1 would show X's pages with X+1's figures and sync log. A sync moves the branch first,
then writes the work tree, then removes its journal (archiver.archive.store); git itself
holds `index.lock` while it checks files out. So a read that began with HEAD at X, no
journal and no index lock, and ended with HEAD still at X, saw X and nothing else; any
other read is made again, from the new HEAD.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pygit2

from archiver.archive.store import JOURNAL
from archiver.errors import StoreError
from archiver.history.commits import head_id, open_repository

__all__ = ["read_at_one_commit", "work_tree_settling"]

T = TypeVar("T")
ATTEMPTS = 3
# How long a read waits for a sync (or git) to finish writing the work tree: a commit's
# files are written in well under a second. Past it (a sync killed mid-commit leaves its
# journal until the next sync), the read goes ahead on what is there.
SETTLE_SECONDS = 5.0
POLL_SECONDS = 0.05


def read_at_one_commit(repo_path: str | Path, read: Callable[[], T], what: str) -> T:
    """Return read()'s result, made again while HEAD moved under it (at most ATTEMPTS times)."""
    repo = open_repository(repo_path)
    for _ in range(ATTEMPTS):
        before = _settled_head(repo)
        result = read()
        if head_id(repo) == before:
            return result
    raise StoreError(
        f"the archive at {repo_path} changed {ATTEMPTS} times while {what} read it "
        "(syncs committing one after another?); run it again when they have finished"
    )


def _settled_head(repo: pygit2.Repository) -> str:
    """Return HEAD once no sync journal and no git index lock say the work tree is changing."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline and work_tree_settling(repo):
        time.sleep(POLL_SECONDS)
    return head_id(repo)


def work_tree_settling(repo: pygit2.Repository) -> bool:
    """Tell whether a sync (its journal) or git (its index lock) is writing the work tree."""
    git_dir = Path(repo.path)
    return any((git_dir / name).exists() for name in (JOURNAL, "index.lock"))
