"""The git repository that holds the archive, written with pygit2 one commit per sync.

A commit is made in this order, so that a crash at any point leaves the branch at the old
commit or the new one: blobs and tree into the object database, the commit object, a
journal naming the new commit, the branch moved (an atomic rename inside libgit2), then
the work tree and index brought up to date, then the journal removed. `recover()` finishes
or discards an interrupted commit from the journal. The journal also names the step that
takes one of git's own locks, so that recovery removes only a lock the killed sync left,
never one a live git holds (archiver.archive.git_locks).

A run holds `lock()` (one archiver run per repository) and calls `check_ready()` before it
fetches anything. A commit refuses symlinked folders before it writes a single object, and
an operating-system or libgit2 failure (read-only .git, full disk) becomes a StoreError:
the branch is then at the old commit, or at the new one with the journal left for recover().
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pygit2

from archiver.archive.git_locks import (
    BRANCH_STEP,
    INDEX_STEP,
    clear_interrupted_locks,
    wait_for_locks,
)
from archiver.archive.git_setup import identities, open_or_init, readable_index, work_tree_top
from archiver.archive.lock import repository_lock
from archiver.archive.partial_clone import BlobReader
from archiver.archive.trailers import sync_epoch
from archiver.archive.trees import blob_ids, tree_with, walk_files
from archiver.archive.worktree import (
    prune_empty_dirs,
    reapply_sparse,
    refuse_detached,
    refuse_edited_meanwhile,
    refuse_edited_since_interrupted,
    refuse_linked_folders,
    refuse_linked_top,
    refuse_unclean,
    write_atomically,
)
from archiver.canonical import StagedBlob
from archiver.errors import StoreError

JOURNAL = "archiver-sync.json"
DEFAULT_BRANCH = "main"
DEFAULT_NAME = "openrouter-archiver"
DEFAULT_EMAIL = "openrouter-archiver@users.noreply.github.com"
T = TypeVar("T")


@dataclass(frozen=True)
class CommitResult:
    """A commit the store made."""

    commit_id: str
    tree_id: str


class Store:
    """One archive repository (created if missing)."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        # A folder in an archive's data/ means that archive, as git reads it (no repository
        # is ever created there).
        self.root = work_tree_top(Path(path)).resolve()
        try:
            self.repo = open_or_init(self.root, create, DEFAULT_BRANCH)
        except (OSError, pygit2.GitError) as error:
            raise StoreError(
                f"cannot open or create a git repository at {self.root}: {_reason(error)}; "
                "give --repo a folder that exists or can be created, then run again"
            ) from error
        if self.repo.is_bare:
            raise StoreError(
                f"{self.root} is a bare repository; sync into a clone with a work tree"
            )
        # When check_ready found data/ clean (0: never): a file changed since is a person's.
        self.ready_since_ns = 0

    @property
    def head(self) -> pygit2.Commit | None:
        """Return the commit HEAD points at, or None on an unborn branch."""
        if self.repo.head_is_unborn:
            return None
        return self.repo.head.peel(pygit2.Commit)

    def latest_epoch(self) -> datetime | None:
        """Return the Sync-Epoch of the newest sync commit on the first-parent line, or None."""
        commit = self.head
        while commit is not None:
            epoch = sync_epoch(commit)
            if epoch is not None:
                return epoch
            commit = commit.parents[0] if commit.parents else None
        return None

    def tracked(self, prefix: str = "data/") -> dict[str, str]:
        """Return {path: blob id} for every file under prefix at HEAD."""
        head = self.head
        if head is None:
            return {}
        top = prefix.rstrip("/")
        try:
            tree = head.tree[top] if top else head.tree
        except KeyError:
            return {}
        if not isinstance(tree, pygit2.Tree):
            return {}
        return dict(walk_files(self.repo, tree, f"{top}/" if top else ""))

    def blob_at(self, path: str) -> str | None:
        """Return the blob id of one file at HEAD, or None."""
        head = self.head
        if head is None:
            return None
        try:
            entry = head.tree[path]
        except KeyError:
            return None
        return str(entry.id) if isinstance(entry, pygit2.Blob) else None

    def read(self, blob_id: str) -> bytes:
        """Return the bytes of a blob."""
        # The object database hands back the bytes without building a Blob: twice as fast.
        try:
            kind, data = self.repo.odb.read(pygit2.Oid(hex=blob_id))
        except KeyError:
            # A partial clone (the hourly jobs check out recent telemetry alone) fetches it.
            fetched = BlobReader(self.repo).data(blob_id)
            if fetched is None:
                raise
            return fetched
        if kind != pygit2.enums.ObjectType.BLOB:
            raise StoreError(f"object {blob_id} is not a file's contents (a blob)")
        return bytes(data)

    def lock(
        self, purpose: str, wait: float | None = None
    ) -> contextlib.AbstractContextManager[None]:
        """Return the repository's lock (archiver.archive.lock), held for a whole run."""
        return repository_lock(self.repo.path, self.root, purpose, wait)

    def check_ready(self) -> None:
        """Raise unless a sync may write here: on a branch, nothing staged, unstaged or linked."""
        self.ready_since_ns = time.time_ns()
        refuse_detached(self.repo, self.root)
        refuse_linked_top(self.root)
        readable_index(self.repo, self.root)
        self._check_index(self.head)
        refuse_unclean(self.repo, self.root)

    def stage(self, data: bytes) -> StagedBlob:
        """Write bytes into the object store now, for a later commit to name (see commit)."""
        return _guarded(self.root, lambda: StagedBlob(str(self.repo.create_blob(data)), len(data)))

    def commit(
        self,
        writes: dict[str, bytes],
        removals: Iterable[str],
        message: str,
        signature: pygit2.Signature | None = None,
        staged: Mapping[str, StagedBlob] = {},
        on_top_of: str | None = None,
    ) -> CommitResult | None:
        """Commit these changes on top of HEAD; return None when the tree would not change.

        `staged` names files by blobs `stage` already wrote: an object nothing names is
        harmless (git gc prunes it), so a crash between staging and committing loses nothing.
        `on_top_of`, when given, is the commit the changes were planned on: git may move
        the branch meanwhile (it takes no archiver lock), and then nothing is committed.
        """
        return _guarded(
            self.root,
            lambda: self._commit(writes, removals, message, signature, staged, on_top_of),
        )

    def _commit(
        self,
        writes: dict[str, bytes],
        removals: Iterable[str],
        message: str,
        signature: pygit2.Signature | None,
        staged: Mapping[str, StagedBlob],
        on_top_of: str | None = None,
    ) -> CommitResult | None:
        """Do commit()'s work (errors of the operating system and libgit2 not yet translated)."""
        self.recover()
        removals = sorted(set(removals))
        head = self.head
        if on_top_of is not None and (head is None or str(head.id) != on_top_of):
            moved = str(head.id)[:12] if head is not None else "nothing"
            raise StoreError(
                f"the branch of {self.root} moved from {on_top_of[:12]} to {moved} while a "
                "sync planned its commit (git ran in the work tree?); nothing was committed: "
                "sync again"
            )
        refuse_detached(self.repo, self.root)
        self._check_index(head)
        touched = [*writes, *staged, *removals]
        refuse_linked_folders(self.root, touched, head.tree if head is not None else None)
        # Checked after the fetch too: a person may have edited a file meanwhile.
        refuse_edited_meanwhile(self.repo, self.root, head, touched, self.ready_since_ns)
        changes: dict[str, pygit2.Oid | None] = dict.fromkeys(removals)
        changes.update((path, pygit2.Oid(hex=blob)) for path, (blob, _) in staged.items())
        changes.update((path, self.repo.create_blob(data)) for path, data in writes.items())
        tree_id = tree_with(self.repo, head.tree if head is not None else None, changes)
        tree_id = tree_id or self.repo.TreeBuilder().write()
        if head is not None and tree_id == head.tree_id:
            # pygit2 would happily make an empty commit: nothing changed, so no commit.
            return None
        author, committer = (signature, signature) if signature else self.identities()
        parents = [head.id] if head is not None else []
        commit_id = self.repo.create_commit(None, author, committer, message, tree_id, parents)
        paths = sorted({*writes, *staged}) + removals
        # git may be replacing the index or moving the branch (a pull, a commit): wait for it.
        wait_for_locks(Path(self.repo.path), self._branch_name(), self.root)
        record = {"old": str(head.id) if head else None, "new": str(commit_id), "paths": paths}
        self._locked_step(record, BRANCH_STEP, lambda: self._move_branch(commit_id, message))
        self._update_work_tree(paths, record, writes)
        self._journal_path().unlink(missing_ok=True)
        return CommitResult(str(commit_id), str(tree_id))

    def recover(self) -> str | None:
        """Finish or discard a commit a crash interrupted; return what was done, or None."""
        return _guarded(self.root, self._recover)

    def _recover(self) -> str | None:
        """Do recover()'s work (errors not yet translated)."""
        journal = self._journal_path()
        if not journal.exists():
            return None
        try:
            record = orjson.loads(journal.read_bytes())
        except orjson.JSONDecodeError:
            # The journal is written before the branch moves: a torn one means it never moved.
            journal.unlink()
            return "discarded an unreadable sync journal (the branch had not moved)"
        clear_interrupted_locks(
            Path(self.repo.path), self._branch_name(), record, journal, self.root
        )
        head = self.head
        if head is not None and str(head.id) == record["new"]:
            # A person may have edited a file since the kill: refused, the journal kept.
            old = self._commit_or_none(record["old"])
            refuse_edited_since_interrupted(self.repo, self.root, old, head, record["paths"])
            self._update_work_tree(record["paths"], record)
            outcome = f"finished checking out interrupted sync commit {record['new'][:12]}"
        elif head is not None and self._landed_below(head, record["new"]):
            # Someone committed on top since (git still works after a crash): their commit
            # and work tree are theirs; a checkout of the sync's files could undo either.
            outcome = (
                f"interrupted sync commit {record['new'][:12]} had landed, and commit "
                f"{str(head.id)[:12]} is on top of it; the work tree was left as it is"
            )
        else:
            outcome = "discarded an interrupted sync that had not moved the branch"
        journal.unlink()
        return outcome

    def _commit_or_none(self, commit: str | None) -> pygit2.Commit | None:
        """Return a commit by its id, or None (no id, or not in the store)."""
        try:
            return self.repo[commit].peel(pygit2.Commit) if commit else None
        except (KeyError, ValueError, pygit2.GitError):
            return None

    def _landed_below(self, head: pygit2.Commit, commit: str) -> bool:
        """Tell whether a commit is an ancestor of head (False: not, or not in the store)."""
        try:
            return bool(self.repo.descendant_of(head.id, pygit2.Oid(hex=commit)))
        except (KeyError, ValueError, pygit2.GitError):
            return False

    def identities(self) -> tuple[pygit2.Signature, pygit2.Signature]:
        """Return (author, committer) as git names them, else the archiver's own."""
        return identities(self.repo, self.root, DEFAULT_NAME, DEFAULT_EMAIL)

    def _check_index(self, head: pygit2.Commit | None) -> None:
        """Refuse to commit over an index that holds changes HEAD does not."""
        index: pygit2.Index = self.repo.index
        index.read(force=True)
        # libgit2 makes no tree of a conflicted index, and its error read as a damaged repository.
        conflicted = " (unresolved conflicts: a merge stopped?)" if index.conflicts else ""
        # The index's tree cache (kept whole by _update_work_tree) makes this a lookup.
        if conflicted or (head is not None and index.write_tree(self.repo) != head.tree_id):
            raise StoreError(
                f"the git index of {self.root} holds staged changes that are not in HEAD"
                f"{conflicted}; commit or reset them (git reset, git merge --abort), then sync"
            )

    def _branch_name(self) -> str:
        """Return the full name of the branch HEAD points at."""
        target = self.repo.references["HEAD"].target
        return str(target) if isinstance(target, str) else f"refs/heads/{DEFAULT_BRANCH}"

    def _move_branch(self, commit_id: pygit2.Oid, message: str) -> None:
        """Point the current branch at the new commit (libgit2 renames a lock file: atomic)."""
        name = self._branch_name()
        summary = message.splitlines()[0] if message else "sync"
        if name in self.repo.references:
            self.repo.references[name].set_target(commit_id, f"archiver: {summary}")
        else:
            self.repo.references.create(name, commit_id)

    def _update_work_tree(
        self, paths: Iterable[str], record: dict[str, Any], written: Mapping[str, bytes] = {}
    ) -> None:
        """Make these paths in the work tree and index match HEAD (written: bytes known)."""
        head = self.head
        assert head is not None
        blobs = blob_ids(self.repo, head.tree, paths)
        # Checked again here: recover() writes too, and a link may have appeared meanwhile.
        refuse_linked_folders(self.root, blobs)
        index = self.repo.index
        # Reread only if the file changed since it was read (a commit's check just read it):
        # a 50,000-entry index takes a tenth of a second to parse.
        index.read(force=False)
        for path, blob_id in blobs.items():
            target = self.root / path
            if blob_id is None:
                target.unlink(missing_ok=True)
                prune_empty_dirs(target.parent, self.root)
                with contextlib.suppress(OSError, KeyError):
                    index.remove(path)
                continue
            data = written.get(path)
            write_atomically(target, data if data is not None else self.read(blob_id))
            _add_with_stat_data(index, path)
        # Reading HEAD's tree keeps the stat data of every unchanged entry and fills the
        # index's tree cache whole, which index.write() keeps on disk: the next sync's
        # staged-changes check is then a lookup, however big a folder is.
        index.read_tree(head.tree)
        self._locked_step(record, INDEX_STEP, index.write)
        reapply_sparse(self.repo, self.root)

    def _journal_path(self) -> Path:
        """Return where the sync journal lives (inside .git, never committed)."""
        return Path(self.repo.path) / JOURNAL

    def _locked_step(self, record: dict[str, Any], step: str, work: Callable[[], None]) -> None:
        """Run a libgit2 call that takes one of git's locks, the journal naming it meanwhile."""
        write_atomically(
            self._journal_path(), orjson.dumps({**record, "step": step, "since": time.time_ns()})
        )
        try:
            work()
        except BaseException:
            # A call that failed let its lock go: any lock there now is a live git's.
            with contextlib.suppress(OSError):
                write_atomically(self._journal_path(), orjson.dumps({**record, "step": None}))
            raise


def _add_with_stat_data(index: pygit2.Index, path: str) -> None:
    """Record a file the sync wrote in the index with its stat data, so `git status` stays
    clean and fast; leave it to HEAD's tree when libgit2 refuses to add it.

    Adding by path runs the file through the filters its attributes and settings name, and
    `core.safecrlf` makes one refuse an LF file that CRLF settings (`core.autocrlf`, an
    `eol=crlf` in .git/info/attributes) would check out with CRLF. The branch has moved by
    then, and the refusal stopped the work tree half-way, again at every recovery. The
    commit names the blob, written as it is, and `index.read_tree(head.tree)` enters it:
    git compares the file's contents instead of its stat data, and finds it clean.
    """
    with contextlib.suppress(pygit2.GitError):
        index.add(path)


def _guarded(root: Path, work: Callable[[], T]) -> T:
    """Run work, turning an operating-system or libgit2 failure into a one-line StoreError."""
    try:
        return work()
    except (OSError, pygit2.GitError) as error:
        raise StoreError(
            f"could not read or write the archive in {root}: {_reason(error)}; free disk space "
            "or fix permissions, then run again (an interrupted commit is finished or "
            "discarded then)"
        ) from error


def _reason(error: Exception) -> str:
    """Return an error's own words on one line, with the path it names."""
    if isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror}{where}"
    text = " ".join(str(error).split())
    return text or type(error).__name__
