"""The site's history, read incrementally: only the commits since the last build's head.

A full build classifies every change in history and parses every sync commit's message;
both grow with every hourly commit, and in a partial clone (``--filter=blob:none``) every
old blob would have to be fetched. So a build at HEAD given a cache folder keeps what it
derived there (:mod:`archiver.site.derived_cache`, with the commit it covers) and the next
build reads only the first-parent commits since that commit: their changes (their blobs
fetched in one request in a partial clone) and their sync logs. A shallow clone (the CI
job's ``--depth 1``) is first deepened just to that commit, or fetched whole when the cache
cannot serve (:mod:`archiver.history.shallow_fetch`).

Whatever the cache, the pages are the ones a full build writes: a missing cache, a damaged
one, one written by other code (``build`` digests the archiver's source and the libraries
that shape a change), one read under other grafts (``info/grafts`` gives commits other
parents), or one whose head is not on HEAD's first-parent chain (a rewritten branch) is
ignored, with a one-line note, and history is read in full.

The history index (:mod:`archiver.history.index`) lives inside ``.git``; a cache folder
outside ``.git/archiver`` also keeps a copy of it, put back in a clone that has none (a CI
job's fresh checkout), so that the index, too, reads only the new commits.
"""

from __future__ import annotations

import functools
import importlib.metadata
import shutil
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pygit2

from archiver import jsonvalue
from archiver.errors import StoreError
from archiver.history.commits import first_parent_chain, grafts_digest, head_id, open_repository
from archiver.history.index import INDEX_FILE
from archiver.history.partial_clone import BlobReader
from archiver.history.shallow_fetch import (
    fetch_history_after,
    indexed_head,
    keep_index_across_deepening,
)
from archiver.history.versions import SyncChanges, changes_after
from archiver.paths import CATEGORIES, category_dir
from archiver.site.cache_file import replaced
from archiver.site.derived_cache import (
    CACHE_FILE,
    CachedHistory,
    file_digest,
    read_cache,
    write_cache,
)
from archiver.site.syncs import SyncRecord, read_syncs
from archiver.source_digest import package_modules, source_digest

__all__ = ["DerivedHistory", "build_digest", "default_cache_dir", "derived_history"]

# The libraries whose output a cached change holds (patches, parsed numbers).
_SHAPING_LIBRARIES = ("jsonpatch", "orjson")


@dataclass(frozen=True)
class DerivedHistory:
    """The site's input from history: changes by sync, the sync log, and how they were read."""

    groups: list[SyncChanges]
    syncs: list[SyncRecord]
    # Changes left out (a file that is not a JSON object), as a full read reports them.
    problems: list[str]
    # First-parent commits read this time (all of them on a full read).
    commits_read: int
    incremental: bool
    note: str
    # The cache file's entity versions and their lines, written back without re-encoding.
    encoded: list[tuple[dict[str, Any], bytes]] = field(default_factory=list, compare=False)


def default_cache_dir(repo_path: str | Path) -> Path:
    """Return the cache folder inside the repository's .git, beside the history index."""
    git_dir = Path(open_repository(repo_path).path)
    return git_dir / INDEX_FILE.parent / "site-cache"


def derived_history(repo_path: str | Path, cache_dir: Path) -> DerivedHistory:
    """Return the site's history at HEAD, reading only what the cache does not cover; update it."""
    git_dir = Path(open_repository(repo_path).path)
    cached = read_cache(cache_dir)
    _restore_index(cache_dir, git_dir, cached)
    fetched = _fetch_history(repo_path, git_dir, cached)
    repo = open_repository(repo_path)  # Opened after the fetch: the clone's new boundary.
    head = head_id(repo)
    _fetch_head_entities(repo)
    reason = _unusable(repo, cached, head)
    derived, base = None, None
    if cached is not None and not reason:
        try:
            derived, base = _since_cache(repo, repo_path, cached, head)
        except StoreError as error:
            reason = f"the site cache does not fit this history ({error}): history read in full"
    if derived is None:
        problems: list[str] = []
        groups, base = changes_after(repo_path, None, problems)
        count = _count_since(repo, head, "")
        derived = DerivedHistory(groups, read_syncs(repo_path), problems, count, False, reason)
    if fetched:
        derived = replace(derived, note=f"{derived.note}; {fetched}" if derived.note else fetched)
    if head and head_id(open_repository(repo_path)) != head:
        # A sync landed while history was read: the index follows HEAD, so what was read may
        # reach past `head`; no cache records it as `head`'s (the build reads again).
        return derived
    if head:
        # The index copy first: the cache file names its digest, so a copy without its file
        # (a crash between the two) is never put back.
        index_digest = _save_index(git_dir, cache_dir)
        cache = CachedHistory(
            build_digest(),
            head,
            base,
            derived.groups,
            derived.syncs,
            derived.problems,
            index_digest,
            grafts_digest(git_dir),
            derived.encoded,
        )
        try:
            write_cache(cache_dir, cache)
        except (jsonvalue.EncodeError, RecursionError, TypeError):
            # A change holds a value JSON cannot write back (a hostile file nested too
            # deep, reported as a problem): no cache, so the next build reads all history,
            # as it would without one; never a cache that differs from the history.
            (cache_dir / CACHE_FILE).unlink(missing_ok=True)
            note = "the site cache was not written (a change holds a value nested too deep)"
            return replace(derived, note=f"{derived.note}; {note}" if derived.note else note)
    return derived


def _fetch_history(repo_path: str | Path, git_dir: Path, cached: CachedHistory | None) -> str:
    """Deepen a shallow clone to the cache's head (all of history without a usable cache).

    The cache serves only a build of this code whose history index was saved with it: the
    index is the one thing read below the cache's head (a returning entity's earlier
    version), and it holds real history only if it covers exactly that head.
    """
    covered = None
    if cached is not None and cached.build == build_digest():
        covered = cached.head if indexed_head(git_dir) == cached.head else None
    deepening = fetch_history_after(repo_path, covered)
    if covered is not None and deepening.reached:
        keep_index_across_deepening(git_dir, covered)
    return deepening.note


def _since_cache(
    repo: pygit2.Repository, repo_path: str | Path, cached: CachedHistory, head: str
) -> tuple[DerivedHistory, str | None]:
    """Return the cached history with the commits since its head added, and the new base."""
    problems: list[str] = []
    groups, base = changes_after(repo_path, cached.base, problems)
    syncs = read_syncs(repo_path, after=cached.head)
    commits = _count_since(repo, head, cached.head)
    derived = DerivedHistory(
        groups + cached.groups,
        syncs + cached.syncs,
        problems + cached.problems,
        commits,
        True,
        f"history read incrementally: {commits} new commits since {cached.head[:12]}",
        cached.encoded,
    )
    return derived, base


def _unusable(repo: pygit2.Repository, cached: CachedHistory | None, head: str) -> str:
    """Return why the cache cannot serve this build ("" when it can)."""
    if cached is None:
        return "no readable site cache: history read in full"
    if cached.build != build_digest():
        return "the site cache was made by another version of the archiver: history read in full"
    if cached.grafts != grafts_digest(Path(repo.path)):
        return (
            "the repository's grafts (info/grafts) changed since the site cache was made: "
            "history read in full"
        )
    if not head or not _on_chain(repo, head, cached.head):
        return (
            f"the site cache covers {cached.head[:12]}, not an ancestor of HEAD "
            "(a rewritten branch?): history read in full"
        )
    return ""


def _on_chain(repo: pygit2.Repository, head: str, commit: str) -> bool:
    """Tell whether commit is on head's first-parent chain (walked back only until found)."""
    return any(found == commit for found in first_parent_chain(repo, head))


def _count_since(repo: pygit2.Repository, head: str, commit: str) -> int:
    """Return how many first-parent commits lead from commit (excluded) to head."""
    count = 0
    for found in first_parent_chain(repo, head):
        if found == commit:
            break
        count += 1
    return count


def _fetch_head_entities(repo: pygit2.Repository) -> None:
    """Fetch HEAD's entity files in one request where a partial clone lacks them (bare)."""
    if repo.head_is_unborn:
        return
    tree = repo.head.peel(pygit2.Commit).tree
    blobs: list[str] = []
    for category in CATEGORIES:
        try:
            folder = tree[category_dir(category)]
        except KeyError:
            continue
        if isinstance(folder, pygit2.Tree):
            blobs += _tree_blobs(folder)
    BlobReader(repo).prefetch(blobs)


def _tree_blobs(tree: pygit2.Tree) -> list[str]:
    """Return the ids of every blob below a tree (trees are local in a blob-less clone)."""
    found: list[str] = []
    for entry in tree:
        if isinstance(entry, pygit2.Tree):
            found += _tree_blobs(entry)
        elif entry.type == pygit2.GIT_OBJECT_BLOB:
            found.append(str(entry.id))
    return found


@functools.cache
def build_digest() -> str:
    """Return a digest of the code that derives the cached data: its source and libraries."""
    versions = (
        f"{name}={importlib.metadata.version(name)}\0".encode() for name in _SHAPING_LIBRARIES
    )
    digest = source_digest(package_modules(), also=versions)
    return digest.hexdigest()


def _index_copy(cache_dir: Path, git_dir: Path) -> Path | None:
    """Return where the cache keeps a copy of the index (None: the cache is beside it)."""
    if cache_dir.resolve().is_relative_to((git_dir / INDEX_FILE.parent).resolve()):
        return None
    return cache_dir / INDEX_FILE.name


def _restore_index(cache_dir: Path, git_dir: Path, cached: CachedHistory | None) -> None:
    """Put the cache's copy of the history index into .git when .git has none.

    Only the copy the cache file names by digest: one cut short by a cancelled save, altered,
    or left from another build would be read as history (SQLite finds a cut page only when
    a query reaches it); without it the index is built from the clone's own history.
    """
    copy = _index_copy(cache_dir, git_dir)
    target = git_dir / INDEX_FILE
    if copy is None or cached is None or cached.index_digest is None or target.exists():
        return
    try:
        if file_digest(copy) != cached.index_digest:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        with replaced(target) as temporary:
            shutil.copyfile(copy, temporary)
    except OSError:
        return  # Unreadable: the index is built from the clone's history instead.


def _save_index(git_dir: Path, cache_dir: Path) -> str | None:
    """Copy the history index into the cache (SQLite's backup: consistent, WAL included);
    return the copy's digest (None: no copy, the cache is beside the index)."""
    copy = _index_copy(cache_dir, git_dir)
    source = git_dir / INDEX_FILE
    if copy is None or not source.exists():
        return None
    cache_dir.mkdir(parents=True, exist_ok=True)
    # A name of this build's own: another build saving into the same folder at once would
    # otherwise rename this one's half-written copy into place, or this one its.
    with replaced(copy) as temporary:
        try:
            reading, writing = sqlite3.connect(source), sqlite3.connect(temporary)
            try:
                reading.backup(writing)
            finally:
                writing.close()
                reading.close()
        except sqlite3.Error as error:
            raise StoreError(
                f"could not copy the history index into {cache_dir}: {error}"
            ) from None
        # The digest of this build's copy: another build's may be in place by the time it
        # is read back, and the cache file must name the copy it was saved with.
        digest = file_digest(temporary)
    return digest
