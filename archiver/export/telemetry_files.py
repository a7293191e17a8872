"""The telemetry files an export reads: those of the commit it exports.

Telemetry lives in the work tree, which a sync rewrites after it moves the branch
(archiver.archive.store). An export read its files while a sync committed: the manifest
named commit X, the tables held figures of X+1, and a file a sync had not yet rewritten
held figures older than the X it named (the next run, planning from X, never read that
folder again). So the files are listed from the commit's tree, and a file whose bytes are
not that commit's (its blob id differs: one hash, no decompression) is read from git: a
sync rewriting it, or a person's edit not committed. Read as it was, an uncommitted edit
stayed in every later export's rows after it was undone (no commit touched its folder, so
no rerun read it again), where a fresh export of the same commit had none. Given a folder
alone (no commit), the files on disk are read, as they are.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pygit2

from archiver.errors import StoreError
from archiver.history.commits import open_repository
from archiver.history.partial_clone import BlobReader
from archiver.telemetry.layout import (
    KIND_NAME,
    ROOT,
    SUFFIX,
    day_files,
    day_folders,
    folder_text,
    kind_root,
    read_file,
)
from archiver.telemetry.reader import reading

__all__ = ["TelemetryFiles"]

_YEAR, _DAY = re.compile(r"\d{4}"), re.compile(r"\d\d-\d\d")


class TelemetryFiles:
    """The telemetry of an archive: at one commit (repo and commit given), or on disk."""

    def __init__(
        self, root: Path, repo: pygit2.Repository | None = None, commit: str | None = None
    ) -> None:
        self.root = root
        self._repo = repo
        self._tree = _telemetry_tree(repo, commit) if repo is not None and commit else None
        self._at_commit = repo is not None and commit is not None
        self._commit = commit
        # Export reads folders on worker threads: one git read at a time on the repository.
        self._git = threading.Lock()

    @classmethod
    def at(cls, root: Path, commit: str | None) -> TelemetryFiles:
        """Return the telemetry of the archive at root at a commit (None: the files on disk)."""
        return cls(root) if commit is None else cls(root, open_repository(root), commit)

    def place(self) -> tuple[Path, str | None]:
        """Return what `at` needs to open these files again (in another process)."""
        return self.root, self._commit if self._at_commit else None

    @classmethod
    def of(cls, source: Path | TelemetryFiles) -> TelemetryFiles:
        """Return source as telemetry files (a folder: the files on disk)."""
        return source if isinstance(source, TelemetryFiles) else cls(source)

    def kinds(self) -> list[str]:
        """Return the kinds (folder names) the telemetry holds, sorted."""
        if not self._at_commit:
            top = self.root / ROOT
            found = [p.name for p in top.iterdir() if p.is_dir()] if top.is_dir() else []
        else:
            found = [name for name, _ in _subtrees(self._tree)]
        return sorted(name for name in found if KIND_NAME.fullmatch(name))

    def day_starts(self, kind: str) -> list[str]:
        """Return the days (YYYY-MM-DD) naming a kind's folders, oldest first."""
        if not self._at_commit:
            return [folder_text(f) for f in day_folders(kind_root(self.root, kind), "", "~")]
        kind_tree = self._child(self._tree, kind)
        return sorted(
            f"{year}-{day}"
            for year, year_tree in _subtrees(kind_tree)
            if _YEAR.fullmatch(year)
            for day, _ in _subtrees(year_tree)
            if _DAY.fullmatch(day)
        )

    def folder(self, kind: str, start: str) -> Path:
        """Return the work-tree folder of a kind's files from one day."""
        return kind_root(self.root, kind) / start[:4] / start[5:]

    def files(self, kind: str, start: str) -> list[tuple[Path, bytes]]:
        """Return (path, bytes) of a kind's files from one day, by shard."""
        folder = self.folder(kind, start)
        if not self._at_commit:
            found = []
            for path in day_files(folder):
                with reading(path):  # A link or a FIFO in a file's place: named, not read.
                    found.append((path, read_file(path)))
            return found
        with self._git:
            day_tree = self._child(self._child(self._child(self._tree, kind), start[:4]), start[5:])
            blobs = sorted(
                (entry.name, entry.id)
                for entry in (day_tree or ())
                if entry.name is not None
                and entry.name.endswith(SUFFIX)
                and entry.type == pygit2.GIT_OBJECT_BLOB
            )
        # A sparse, partial clone (the hourly site job's) holds recent telemetry alone: a
        # folder it left out is fetched in one request (the export asks for a kind's at once).
        self.prefetch(kind, [start])
        return [(folder / name, self._bytes(folder / name, blob)) for name, blob in blobs]

    def prefetch(self, kind: str, starts: list[str]) -> None:
        """Fetch the files of these folders that a partial clone lacks, in one request: a
        sparse clone (the hourly site job's) leaves out older telemetry, which a rewritten
        month or a first export reads; a fetch per folder would take minutes a year."""
        if self._repo is None or self._tree is None:
            return
        absent = []
        with self._git:
            for start in starts:
                folder = self.folder(kind, start)
                tree = self._child(self._child(self._child(self._tree, kind), start[:4]), start[5:])
                absent += [
                    str(entry.id)
                    for entry in (tree or ())
                    if entry.name and not (folder / entry.name).is_file()
                ]
        if absent:
            BlobReader(self._repo).prefetch(absent)

    def _bytes(self, path: Path, blob: pygit2.Oid) -> bytes:
        """Return a file's bytes at the commit: the work tree's when they are those."""
        try:
            data = read_file(path)
        except (OSError, ValueError):
            data = None  # Absent, or a link in its place: git's copy is the commit's.
        if data is not None and pygit2.hash(data) == blob:
            return data
        assert self._repo is not None
        try:
            with self._git:
                return bytes(self._repo.odb.read(blob)[1])
        except (KeyError, pygit2.GitError) as error:
            raise StoreError(
                f"{path} differs from the commit exported, whose copy git cannot read ({error}); "
                "run `git fetch` or `git checkout -- data/telemetry`, then export again"
            ) from None

    def _child(self, tree: pygit2.Tree | None, name: str) -> pygit2.Tree | None:
        """Return a folder of a tree, or None."""
        if tree is None or name not in tree:
            return None
        entry = tree[name]
        return entry if isinstance(entry, pygit2.Tree) else None


def _telemetry_tree(repo: pygit2.Repository, commit: str) -> pygit2.Tree | None:
    """Return the telemetry folder's tree at a commit, or None when it has none."""
    found = repo.get(commit)
    if not isinstance(found, pygit2.Commit):
        return None
    try:
        tree = found.tree[ROOT]
    except KeyError:
        return None
    return tree if isinstance(tree, pygit2.Tree) else None


def _subtrees(tree: pygit2.Tree | None) -> list[tuple[str, pygit2.Tree]]:
    """Return (name, folder) of the folders directly under a tree."""
    return [
        (entry.name, entry)
        for entry in (tree or ())
        if isinstance(entry, pygit2.Tree) and entry.name is not None
    ]
