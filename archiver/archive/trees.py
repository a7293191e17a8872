"""Trees of the archive's commits: files listed, looked up and changed folder by folder.

A sync changes a few hundred of 50,000 files: only the folders on a changed path are read
or rebuilt, never the whole tree, and a folder is parsed once however many paths it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pygit2
from pygit2.enums import FileMode

_FILE_MODES = (FileMode.BLOB, FileMode.BLOB_EXECUTABLE)


def walk_files(
    repo: pygit2.Repository, tree: pygit2.Tree, prefix: str
) -> Iterator[tuple[str, str]]:
    """Yield (path, blob id) for every file below a tree."""
    for entry in tree:
        if isinstance(entry, pygit2.Tree):
            yield from walk_files(repo, entry, f"{prefix}{entry.name}/")
        elif entry.filemode in _FILE_MODES:
            yield f"{prefix}{entry.name}", str(entry.id)


def tree_with(
    repo: pygit2.Repository, base: pygit2.Tree | None, changes: dict[str, pygit2.Oid | None]
) -> pygit2.Oid | None:
    """Return the id of base with files set (an id) or removed (None), folder by folder.

    None stands for a folder left empty.
    Only the folders on a changed path are rebuilt, each from its old entries: a 50,000-file
    folder costs one tree write, not an index sort.
    """
    here: dict[str, pygit2.Oid | None] = {}
    below: dict[str, dict[str, pygit2.Oid | None]] = {}
    for path, blob in changes.items():
        name, slash, rest = path.partition("/")
        if slash:
            below.setdefault(name, {})[rest] = blob
        else:
            here[name] = blob
    builder = repo.TreeBuilder(base) if base is not None else repo.TreeBuilder()
    for name, blob in here.items():
        if blob is not None:
            builder.insert(name, blob, FileMode.BLOB)
        elif builder.get(name) is not None:
            builder.remove(name)
    for name, sub_changes in below.items():
        old = base[name] if base is not None and name in base else None
        old_tree = old if isinstance(old, pygit2.Tree) else None
        sub_id = tree_with(repo, old_tree, sub_changes)
        if sub_id is not None:
            builder.insert(name, sub_id, FileMode.TREE)
        elif builder.get(name) is not None:
            builder.remove(name)  # git keeps no empty folders
    return builder.write() if len(builder) else None


def blob_ids(
    repo: pygit2.Repository, tree: pygit2.Tree, paths: Iterable[str]
) -> dict[str, str | None]:
    """Return {path: blob id, or None where the tree has no such file}.

    Paths are looked up folder by folder: `tree[path]` would load and parse the whole
    folder again for every path (a 50,000-entry data/endpoint costs milliseconds each).
    """
    folders: dict[str, pygit2.Tree | None] = {"": tree}
    found: dict[str, str | None] = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        if folder not in folders:
            try:
                sub = tree[folder]
            except KeyError:
                sub = None
            folders[folder] = sub if isinstance(sub, pygit2.Tree) else None
        holder = folders[folder]
        entry = holder[name] if holder is not None and name in holder else None
        found[path] = str(entry.id) if isinstance(entry, pygit2.Blob) else None
    return found
