"""The projection the site shows: every entity as of HEAD, or as of an old epoch (`--at`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pygit2

from archiver import jsonvalue
from archiver.errors import StoreError, UnsafeKeyError
from archiver.history.commits import open_repository
from archiver.history.versions import category_at
from archiver.paths import CATEGORIES, Category, category_dir, path_to_key
from archiver.site.syncs import SyncRecord, read_syncs
from archiver.times import format_epoch

__all__ = ["Entity", "Projection", "load_projection"]

Entity = dict[str, Any]


@dataclass(frozen=True)
class Projection:
    """The archive at one sync: its entities by category, and the syncs up to it."""

    models: dict[str, Entity]
    endpoints: dict[str, Entity]
    providers: dict[str, Entity]
    syncs: list[SyncRecord]
    at: datetime | None = None

    @property
    def epoch(self) -> datetime | None:
        """Return the epoch of the newest sync shown, or None for an empty archive."""
        return self.syncs[0].epoch if self.syncs else None

    @property
    def commit(self) -> str | None:
        """Return the commit of the newest sync shown."""
        return self.syncs[0].commit if self.syncs else None


def load_projection(
    repo_path: str | Path,
    at: datetime | None = None,
    problems: list[str] | None = None,
    syncs: list[SyncRecord] | None = None,
) -> Projection:
    """Return the archive as of `at` (None: HEAD's files as they are).

    problems: when given, a file that is not a JSON object is reported there and left out
    (else StoreError): one bad file never stops the site. syncs: the sync log, when the
    caller has read it already (archiver.site.incremental).
    """
    syncs = read_syncs(repo_path, at) if syncs is None else syncs
    if at is not None and not syncs:
        raise StoreError(
            f"{repo_path} holds no sync at or before {format_epoch(at)}; "
            "pick a later --at (see `git log` for the epochs it has)"
        )
    if at is None:
        repo = open_repository(repo_path)
        found = {category: _head_category(repo, category, problems) for category in CATEGORIES}
    else:
        found = {
            category: category_at(repo_path, category, at, problems) for category in CATEGORIES
        }
    return Projection(found["model"], found["endpoint"], found["provider"], syncs, at)


def _head_category(
    repo: pygit2.Repository, category: Category, problems: list[str] | None
) -> dict[str, Entity]:
    """Return {key: entity} for one category, read from HEAD's blobs (a bare clone works)."""
    if repo.head_is_unborn:
        return {}
    folder = category_dir(category)
    try:
        tree = repo.head.peel(pygit2.Commit).tree[folder]
    except KeyError:
        return {}
    entities: dict[str, Entity] = {}
    for path, blob in _blobs(tree, f"{folder}/"):
        try:
            _, key = path_to_key(path)
        except UnsafeKeyError:
            continue  # A stray file under data/ that the archiver did not write.
        try:
            value = jsonvalue.loads(blob.data)
        except jsonvalue.DecodeError as error:
            message = f"{path} at HEAD is not valid JSON ({error})"
            if problems is None:
                raise StoreError(f"{message}; fix or revert that commit") from None
            problems.append(f"{message}; left out: fix or revert that commit")
            continue
        if isinstance(value, dict):
            entities[key] = value
        elif problems is not None:
            problems.append(
                f"{path} at HEAD holds JSON that is not an object; left out: "
                "fix or revert that commit"
            )
    return entities


def _blobs(tree: pygit2.Object, prefix: str) -> Iterator[tuple[str, pygit2.Blob]]:
    """Yield (path, blob) for every file below a tree."""
    if not isinstance(tree, pygit2.Tree):
        return
    for entry in tree:
        if isinstance(entry, pygit2.Tree):
            yield from _blobs(entry, f"{prefix}{entry.name}/")
        elif isinstance(entry, pygit2.Blob):
            yield f"{prefix}{entry.name}", entry
