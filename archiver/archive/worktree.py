"""The work tree a sync writes into: checks made before any fetch, writes that follow no link.

A sync writes only under data/ and .gitattributes. It refuses (StoreError, exit 3) rather
than overwrite: a detached HEAD, unstaged edits or untracked files there, and symbolic
links on the way to anything it writes (a link could send a write outside the repository).
It looks again before it commits: a person may edit a file while the sync fetches. And
recovery of a killed sync rewrites only files the killed sync could have left as they are.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pygit2

from archiver.archive.git_status import NO_FSMONITOR, REPOSITORY_ENV, as_committed, unclean
from archiver.archive.trees import blob_ids
from archiver.canonical import blob_id
from archiver.errors import StoreError

TEMPORARY_SUFFIX = ".archiver-tmp"
SHOWN = 3
# A file's time comes from the kernel's coarse clock, which may lag time.time_ns() a tick.
_CLOCK_SLACK_NS = 1_000_000_000
# Never follow a symlink at the final component of a path the archiver writes.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def refuse_detached(repo: pygit2.Repository, root: Path) -> None:
    """Raise if HEAD is detached (a sync commit would belong to no branch), or a branch with
    no commit yet over a staged index (`git checkout --orphan`): a sync's first commit
    would replace the index, and leave the other files behind as untracked ones."""
    if repo.head_is_detached:
        raise StoreError(
            f"HEAD of {root} is detached; check out a branch (git switch main) before syncing"
        )
    if repo.head_is_unborn and len(repo.index):
        raise StoreError(
            f"the branch checked out in {root} has no commit yet, and the git index holds "
            "files staged for its first (git checkout --orphan?); commit them, or switch "
            "back to the archive's branch (git switch main), then sync again"
        )


def refuse_unclean(repo: pygit2.Repository, root: Path) -> None:
    """Raise if data/ or .gitattributes hold unstaged edits or untracked files."""
    paths = [path for path in unclean(repo, root) if not path.endswith(TEMPORARY_SUFFIX)]
    same = as_committed(repo, root, paths)
    if same:
        # Bytes as committed, yet "edited" to git: an attribute runs data/ through a filter
        # or an end-of-line conversion (`git lfs track`), and no commit or restore ends it.
        raise StoreError(
            f"git reports {_shown(same)} in {root} as edited, yet the bytes are those "
            "committed: a filter or eol rule in .gitattributes (or .git/info/attributes) "
            "converts files under data/, which the archive keeps byte for byte. Remove the "
            "rule for data/ (`git check-attr -a -- PATH` names it; commit .gitattributes if "
            "it was there), then sync again"
        )
    if paths:
        raise StoreError(
            f"{root} has unstaged edits or untracked files where the sync writes "
            f"({_shown(paths)}); "
            "commit them or move them out of data/ (`git status -- data` lists them, "
            "`git restore data` drops edits), then sync again"
        )


def _shown(paths: list[str]) -> str:
    """Return the first SHOWN paths, and how many more there are."""
    return ", ".join(paths[:SHOWN]) + (f" and {len(paths) - SHOWN} more" if paths[SHOWN:] else "")


def refuse_edited_meanwhile(
    repo: pygit2.Repository,
    root: Path,
    head: pygit2.Commit | None,
    paths: Iterable[str],
    since_ns: int,
) -> None:
    """Raise if a file the commit writes or removes changed since data/ was found clean, or
    is one git ignores where the commit writes a new file.

    since_ns is when check_ready found it so (0: never, as when the library is asked to
    commit outright; nothing to compare with). Only files written since are read.
    """
    if not since_ns:
        return
    recent, older = list[str](), list[str]()
    # Text, not Path objects: this runs on every path of every commit.
    top, earliest = f"{root}{os.sep}", since_ns - _CLOCK_SLACK_NS
    for path in paths:
        try:
            found = os.lstat(top + path)
        except (FileNotFoundError, NotADirectoryError):
            continue  # Gone: the commit's copy loses no one's work.
        if not stat.S_ISDIR(found.st_mode):
            (recent if found.st_mtime_ns >= earliest else older).append(path)
    known = blob_ids(repo, head.tree, [*recent, *older]) if head is not None else {}
    # Untracked, yet let through by check_ready: git ignores it (.gitignore, info/exclude),
    # and the sync's new file would replace a person's without a word.
    ignored = [path for path in older if known.get(path) is None]
    if ignored:
        raise StoreError(
            f"{_shown(ignored)} in {root} is a file git ignores, where the sync writes a new "
            "file; nothing was committed and the file is kept. Move it out of data/ (`git "
            "status --ignored -- data` lists such files), then sync again"
        )
    edited = [
        path
        for path in recent
        if os.path.islink(root / path) or str(pygit2.hashfile(str(root / path))) != known.get(path)
    ]
    if edited:
        raise StoreError(
            f"{_shown(edited)} in {root} changed while the sync fetched, and the sync would "
            "overwrite it; nothing was committed and the edit is kept. Commit it or undo it "
            "(`git restore -- data`), then sync again"
        )


def refuse_edited_since_interrupted(
    repo: pygit2.Repository,
    root: Path,
    old: pygit2.Commit | None,
    new: pygit2.Commit,
    paths: list[str],
) -> None:
    """Raise if a file an interrupted sync's checkout would rewrite was changed since the kill.

    The killed sync left each of its paths as the old commit has it or as the new one does
    (absent where that commit lacks it), or a file it was creating cut short; anything else
    is a person's, and recovery writing HEAD's version over it would lose it.
    """
    refuse_linked_folders(root, paths)  # Named as a link, not read through as an edit.
    before = blob_ids(repo, old.tree, paths) if old is not None else dict.fromkeys(paths)
    after = blob_ids(repo, new.tree, paths)
    edited = [
        path for path in paths if not _left_by_sync(repo, root / path, before[path], after[path])
    ]
    if edited:
        raise StoreError(
            f"{_shown(edited)} in {root} changed after sync commit {str(new.id)[:12]} was "
            "interrupted, and finishing its checkout would overwrite it; nothing was written "
            "and the edit is kept. Move it out of data/ or undo it (`git restore -- data` "
            "puts back the version before that sync), then sync again"
        )


def _left_by_sync(
    repo: pygit2.Repository, path: Path, old_blob: str | None, new_blob: str | None
) -> bool:
    """Tell whether a file is in a state a sync killed between these two blobs could leave."""
    try:
        found = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        # A sparse checkout's files outside its patterns are removed once the index is
        # written (reapply_sparse): a kill after that left them absent, and writing HEAD's
        # version where there is no file loses nothing.
        return old_blob is None or new_blob is None or sparse(repo)
    if not stat.S_ISREG(found.st_mode):
        return False  # A link or a folder: a sync makes neither.
    data = path.read_bytes()
    if blob_id(data) in (old_blob, new_blob):
        return True
    # A file absent before is created in place (no temporary to rename), so a kill
    # mid-write leaves the first bytes of the new version.
    if old_blob is None and new_blob is not None:
        return bytes(repo[new_blob].read_raw()).startswith(data)
    return False


def refuse_linked_top(root: Path) -> None:
    """Raise if data/, a folder or file directly inside it, or .gitattributes is a symlink,
    or data/ or a folder directly inside it is another repository's work tree."""
    data = root / "data"
    candidates = [data, root / ".gitattributes"]
    folders = [data]
    if data.is_dir() and not data.is_symlink():
        with os.scandir(data) as entries:
            for entry in entries:
                candidates += [Path(entry.path)] if entry.is_symlink() else []
                folders += [Path(entry.path)] if entry.is_dir(follow_symlinks=False) else []
    for path in candidates:
        if path.is_symlink():
            raise _linked(root, path)
    for folder in folders:
        if os.path.lexists(folder / ".git"):
            raise _nested(root, folder)


def refuse_linked_folders(
    root: Path, paths: Iterable[str], tree: pygit2.Tree | None = None
) -> None:
    """Raise if any folder on the way to these paths (below root) is a symlink or no folder,
    or another repository: a clone inside it, or a submodule (in the work tree or `tree`);
    or if a folder stands where one of the paths' files goes."""
    folders: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        folders.update("/".join(parts[: depth + 1]) for depth in range(len(parts)))
        if os.path.isdir(root / path) and not os.path.islink(root / path):
            # Found only once the branch had moved ("Is a directory"), as below.
            raise StoreError(
                f"{root / path} is a folder where the archive needs a file; nothing was "
                "committed. Move it away, then sync again"
            )
    # Shallow first: the message names the link, not a path below it.
    for folder in sorted(folders, key=lambda f: f.count("/")):
        if tree is not None and _submodule_in(tree, folder):
            raise _nested(root, root / folder)
        try:
            mode = os.lstat(root / folder).st_mode
        except FileNotFoundError:
            continue  # Created as a real folder when written.
        if stat.S_ISLNK(mode):
            raise _linked(root, root / folder)
        if not stat.S_ISDIR(mode):
            raise StoreError(
                f"{root / folder} is a file where the archive needs a folder; "
                "move it away, then sync again"
            )
        if os.path.lexists(root / folder / ".git"):
            raise _nested(root, root / folder)
        if not os.access(root / folder, os.W_OK | os.X_OK):
            # Found only once the branch had moved, it left the work tree behind the commit.
            raise StoreError(
                f"{root / folder} is a folder the archiver may not write to (its "
                "permissions); nothing was committed. Make it writable (chmod u+w), then "
                "sync again"
            )


def _submodule_in(tree: pygit2.Tree, folder: str) -> bool:
    """Tell whether a tree holds a submodule (a commit of another repository) at folder."""
    try:
        return tree[folder].filemode == pygit2.enums.FileMode.COMMIT
    except KeyError:
        return False


def _nested(root: Path, folder: Path) -> StoreError:
    """Return the refusal for another repository where the sync writes.

    Its files are that repository's: written into, they land in its work tree, and the
    commit would drop the submodule for a folder of files the archive never had.
    """
    return StoreError(
        f"{folder} is another git repository (a submodule or a clone); the archiver writes "
        f"only its own folders. Move it out of data/ (`git rm` a submodule) in {root}, "
        "then sync again"
    )


def _linked(root: Path, path: Path) -> StoreError:
    """Return the refusal for a symlink where the sync writes."""
    return StoreError(
        f"{path} is a symbolic link; the archiver never writes through links. Replace it "
        f"with a real folder or file (or remove it) in {root}, then sync again"
    )


def write_atomically(target: Path, data: bytes) -> None:
    """Write a file so that a reader sees the old bytes or the new ones, never half.

    Never through a symlink: the file is created anew (O_EXCL, O_NOFOLLOW), and an existing
    one, a link included, is replaced by a rename, which does not follow links.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if not os.path.lexists(target):
        # Nobody can read half of a file that did not exist; a crash is redone by recover().
        _write_new(target, data)
        return
    temporary = target.with_name(f".{target.name}{TEMPORARY_SUFFIX}")
    temporary.unlink(missing_ok=True)  # A killed sync's leftover.
    # No fsync: a killed process loses nothing the kernel already holds, and the
    # journal lets the next sync redo the work tree from the commit.
    _write_new(temporary, data)
    os.replace(temporary, target)


def _write_new(path: Path, data: bytes) -> None:
    """Create a file that must not exist yet and write data into it."""
    descriptor = os.open(path, _NEW_FILE, 0o644)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
    except OSError as error:
        # A failed write names no file by itself; the message should (a full disk: which).
        raise OSError(error.errno, error.strerror, str(path)) from error


def prune_empty_dirs(folder: Path, root: Path) -> None:
    """Remove empty folders from folder up to (not including) data/<category>."""
    stop = {root, root / "data"}
    while folder not in stop and folder.parent not in stop:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def sparse(repo: pygit2.Repository) -> bool:
    """Tell whether the work tree is a sparse checkout (some files left out on purpose)."""
    config = repo.config
    return "core.sparseCheckout" in config and config.get_bool("core.sparseCheckout")


def reapply_sparse(repo: pygit2.Repository, root: Path) -> None:
    """In a sparse checkout, mark the files outside its patterns as left out again.

    libgit2 writes the index without git's skip-worktree bits: `git status` would then read
    every file the checkout left out (the hourly jobs leave out old telemetry) as deleted.
    """
    if not sparse(repo):
        return
    env = {key: value for key, value in os.environ.items() if key not in REPOSITORY_ENV}
    command = ["git", *NO_FSMONITOR, "-C", str(root), "sparse-checkout", "reapply"]
    try:
        result = subprocess.run(command, capture_output=True, env={**env, "LC_ALL": "C"})
    except FileNotFoundError:
        raise StoreError(f"{root} is a sparse checkout, which needs the git command") from None
    if result.returncode != 0:
        reason = result.stderr.decode(errors="replace").strip().splitlines()
        raise StoreError(
            f"git sparse-checkout reapply failed in {root}: "
            f"{reason[-1] if reason else result.returncode}; check it with `git status`"
        )
