"""Which months a run writes: the manifest of the last export and what changed since.

``OUT/manifest.json`` records the commit exported (``head``), the month its epoch falls in
(the *current* month: where versions still in force are filed) and every partition written.
A rerun reads it and writes only the months that can have changed:

- nothing, when HEAD is the commit exported and every listed file is there;
- when HEAD descends from it along first parents: for entity and ZDR intervals (filed by
  the month they ended, or the current month while in force) and changes (by epoch), the
  months of the new commits' epochs plus the old current month; an exported sync at or after
  the epoch of a new one (the hour synced again, an older sync merged or cherry-picked by a
  person) counts as new: its summaries take the names as of its epoch, as a full export's
  do; for each telemetry kind, the folders whose files the new commits touched (uptime
  revises past hours). Within those months, rows the last export wrote that cannot have
  changed are kept, read back from its files: the changes of commits it exported, versions
  whose interval is the same, telemetry of the folders left alone; so an hourly rerun costs
  about one hour of history, not a month;
- everything, with a one-line note, when there is no manifest, it is of another format or
  was written by other code (see code_digest), a file it lists is gone, or history was
  rewritten (HEAD does not descend from it, or ``info/grafts`` changed: the manifest
  records the digest of the grafts it was read under).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pygit2

from archiver import jsonvalue
from archiver.archive.trailers import EPOCH_TRAILER, trailers
from archiver.canonical import canonical_bytes
from archiver.errors import ArchiverError
from archiver.export.months import month_of
from archiver.history.commits import (
    LogCommit,
    commit_epoch,
    first_parent_chain,
    grafts_digest,
    made_by_hand,
)
from archiver.history.index import HistoryIndex
from archiver.source_digest import package_modules, source_digest
from archiver.telemetry.layout import ROOT as TELEMETRY_ROOT

MANIFEST = "manifest.json"
# Bumped when a table's columns change, or what the rows of one commit hold: rows kept from
# an older export would lack the columns or differ, so a rerun then writes everything again.
# 2: a commit without a Sync-Epoch (a person's) is left out of entity histories, an hour
# synced twice is described as its last sync left it, telemetry is read at the head.
# 3: a month of telemetry is in folder order, then key, then time (written as it is read).
# 4: a telemetry row's `changed` is a list of (stored column, the cell's JSON text) pairs, not
# a JSON object in text.
FORMAT = 4
# The folders of the package whose code no export runs: a change there keeps the rows kept.
_NOT_EXPORTING = ("site", "cli", "capture")
# A partition's fact: published as a release asset, so its file may be gone from the export
# folder (archiver.export.release); a run that must read it back exports in full instead.
RELEASED = "released"
# Telemetry appeared or went as a whole: every kind, every folder.
EVERY_KIND = "*"
# What an export names its tables and their month partitions (`table/month=YYYY-MM/`).
TABLE_NAME = r"[a-z][a-z0-9_]*"
MONTH = r"\d{4}-\d{2}"
_TABLE_NAME, _MONTH = re.compile(TABLE_NAME), re.compile(MONTH)
_TELEMETRY_PATH = re.compile(r"([a-z][a-z0-9_]*)/(\d{4})/(\d\d)-(\d\d)/")


@dataclass
class Manifest:
    """What the last export wrote: the commit, its current month, {table: {month: facts}}."""

    head: str
    current_month: str
    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # The digest of the repository's grafts history was read under ("": none).
    grafts: str = ""

    def data(self) -> bytes:
        """Return the manifest file's bytes (canonical JSON)."""
        return canonical_bytes(
            {
                "format": FORMAT,
                "code": code_digest(),
                "head": self.head,
                "current_month": self.current_month,
                "grafts": self.grafts,
                "tables": self.tables,
            }
        )


@dataclass
class Plan:
    """What to write: every month (a full export), or the months and days new commits touched."""

    full: bool
    note: str | None = None
    # {commit: epoch} of the first-parent commits after the one last exported.
    new_commits: dict[str, datetime] = field(default_factory=dict)
    entity_months: set[str] | None = None
    change_months: set[str] | None = None
    # {kind: the days (YYYY-MM-DD) naming the folders whose files changed}; None: all folders.
    telemetry_days: dict[str, set[str] | None] = field(default_factory=dict)

    def telemetry(self, kind: str) -> set[str] | None:
        """Return the folders (by day) of one telemetry kind to read again (None: all of them)."""
        if self.full or EVERY_KIND in self.telemetry_days:
            return None
        return self.telemetry_days.get(kind, set())


def other_format(out: Path) -> str | None:
    """Return how an export in out made by another version differs ("format 3", "other
    code"; None: no export, or one this code wrote)."""
    try:
        found = jsonvalue.loads((out / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    stated = found.get("format") if isinstance(found, dict) else None
    if stated == FORMAT:
        return None if found.get("code") == code_digest() else f"format {FORMAT}, other code"
    known = isinstance(stated, int | str) and not isinstance(stated, bool)
    return f"format {stated if known else 'none'}"


@functools.cache
def code_digest() -> str:
    """Return a digest of the code an export runs, which the manifest records.

    Rows a run keeps are read back from the files the last run wrote, never derived again:
    after an update that changed how rows are derived without a FORMAT bump (a column's
    type, a value read otherwise), they would stay as the older code wrote them for good,
    beside rows of the new code (partitions of one table in two schemas).
    """
    modules = package_modules(lambda module: module.split("/")[0] not in _NOT_EXPORTING)
    return source_digest(modules).hexdigest()


def read_manifest(out: Path) -> Manifest | None:
    """Return the manifest of an earlier export in out, or None (none, or unreadable)."""
    try:
        found = jsonvalue.loads((out / MANIFEST).read_bytes())
        if found.get("format") != FORMAT:
            return None
        manifest = Manifest(
            str(found["head"]),
            str(found["current_month"]),
            dict(found["tables"]),
            str(found.get("grafts", "")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    _check_partitions(out, manifest)
    return manifest


def _check_partitions(out: Path, manifest: Manifest) -> None:
    """Refuse a manifest naming partitions no export writes: a run removes the ones it lists
    and no longer fills, and `../` in a name would reach outside out."""
    if not _MONTH.fullmatch(manifest.current_month):
        raise ArchiverError(
            f"{out / MANIFEST} names {manifest.current_month!r} as its month, which no export "
            f"writes (edited by hand?); remove {out} and export again"
        )
    for table, months in manifest.tables.items():
        listed = months if isinstance(months, dict) else {None: None}
        for month, facts in listed.items():
            if not (
                _TABLE_NAME.fullmatch(table)
                and isinstance(month, str)
                and _MONTH.fullmatch(month)
                and isinstance(facts, dict)
            ):
                raise ArchiverError(
                    f"{out / MANIFEST} lists {table!r} month {month!r}, which no export "
                    f"writes (edited by hand?); remove {out} and export again"
                )


def write_manifest(out: Path, manifest: Manifest) -> None:
    """Write the manifest atomically (last: a crash before it makes the next run redo the work)."""
    partial = out / (MANIFEST + ".partial")
    partial.write_bytes(manifest.data())
    partial.replace(out / MANIFEST)


def make_plan(
    index: HistoryIndex,
    head: str,
    before: Manifest | None,
    missing: list[str],
) -> Plan:
    """Return what this run writes, given the last export's manifest (None: there is none)."""
    repo = index.repo
    if before is None:
        return Plan(full=True)
    if missing:
        note = f"{len(missing)} files of the last export are gone or damaged ({missing[0]}...)"
        return Plan(True, f"{note}; exporting all")
    if before.grafts != grafts_digest(Path(repo.path)):
        note = "the repository's grafts (info/grafts) changed since the last export; exporting all"
        return Plan(True, note)
    new = _new_commits(repo, head, before.head)
    if new is None:
        note = (f"history was rewritten (HEAD no longer descends from {before.head[:12]}, "
                "the commit last exported); exporting all")  # fmt: skip
        return Plan(True, note)
    epochs = {commit: epoch_of(repo, commit) for commit in new}
    epochs.update(_exported_since(index, new))
    months = {month_of(epoch) for epoch in epochs.values()}
    return Plan(
        full=False,
        new_commits=epochs,
        entity_months=months | {before.current_month},
        change_months=months,
        telemetry_days=_telemetry_days(repo, before.head, head),
    )


def epoch_of(repo: pygit2.Repository, commit_id: str) -> datetime:
    """Return a commit's epoch exactly as the history index reads it (trailer, merge, time)."""
    return commit_epoch(repo, _log_commit(repo, commit_id))


def current_epoch(repo: pygit2.Repository, head: str) -> datetime:
    """Return the epoch whose month files the versions still in force: the newest sync's on
    head's first-parent line (head's own when it has none).

    A person's commit on top (notify.toml edited, a file fixed) has only its commit time,
    which any clock may have set: a month ahead, every version in force was filed there, and
    `export-release` handed off every month of real history as older than the last two.
    """
    for commit_id in first_parent_chain(repo, head):
        commit = _log_commit(repo, commit_id)
        if not made_by_hand(repo, commit):
            return commit_epoch(repo, commit)
    return epoch_of(repo, head)


def _log_commit(repo: pygit2.Repository, commit_id: str) -> LogCommit:
    """Return a commit as the history index reads it, without its file records."""
    commit = repo.get(commit_id)
    assert isinstance(commit, pygit2.Commit), commit_id
    trailer = trailers(commit).get(EPOCH_TRAILER, "")
    parents = tuple(str(parent) for parent in commit.parent_ids)
    return LogCommit(commit_id, parents, commit.commit_time, trailer, ())


def _new_commits(repo: pygit2.Repository, head: str, exported: str) -> list[str] | None:
    """Return the first-parent commits after exported up to head (None: not an ancestor)."""
    new: list[str] = []
    for commit_id in first_parent_chain(repo, head):
        if commit_id == exported:
            return new
        new.append(commit_id)
    return None


def _exported_since(index: HistoryIndex, new: list[str]) -> dict[str, datetime]:
    """Return {commit: epoch} of the exported syncs at or after the epoch of a new sync (the
    hour synced again, or an older sync a person merged or cherry-picked): their change
    summaries name models as of their epoch, which the new sync's versions may rename, so
    they are described again as a full export describes them."""
    commits = [_log_commit(index.repo, commit) for commit in new]
    # A person's commit makes no version (its epoch is a commit time, set by any clock).
    syncs = [commit for commit in commits if not made_by_hand(index.repo, commit)]
    if not syncs:
        return {}
    earliest = min(commit_epoch(index.repo, commit) for commit in syncs)
    # Asked of the index, not walked back to the first older epoch: epochs grow along the
    # chain only as syncs write them; a sync merged or cherry-picked later is older.
    fresh = set(new)
    found = (commit for commit in index.syncs_from(earliest) if commit not in fresh)
    return {commit: epoch_of(index.repo, commit) for commit in found}


def _telemetry_days(repo: pygit2.Repository, old: str, new: str) -> dict[str, set[str] | None]:
    """Return {kind: days} whose telemetry files differ between two commits (None: all days)."""
    old_tree, new_tree = _subtree(repo, old), _subtree(repo, new)
    found: dict[str, set[str] | None] = {}
    if old_tree is None or new_tree is None:
        return found if old_tree is new_tree else {EVERY_KIND: None}
    for delta in old_tree.diff_to_tree(new_tree).deltas:
        for path in {delta.old_file.path, delta.new_file.path}:
            match = _TELEMETRY_PATH.match(path)
            if match is None:
                found[path.split("/")[0]] = None  # A layout this code does not know: all days.
                continue
            kind, year, month, day = match.groups()
            days = found.setdefault(kind, set())
            if days is not None:
                days.add(f"{year}-{month}-{day}")
    return found


def _subtree(repo: pygit2.Repository, commit_id: str) -> pygit2.Tree | None:
    """Return the telemetry folder's tree at a commit, or None when it has none."""
    commit = repo.get(commit_id)
    if not isinstance(commit, pygit2.Commit):
        return None
    try:
        tree = repo.get(commit.tree[TELEMETRY_ROOT].id)
    except KeyError:
        return None
    return tree if isinstance(tree, pygit2.Tree) else None
