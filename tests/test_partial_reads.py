"""Old versions read in a blob-less clone (the site job's): the same answers as the whole
repository, with the blobs it lacks fetched many to one request, never one request each.

The archive is the three small daily captures synced with their ZDR lists, so the ledger
has three versions and two changes. Each test reads a fresh `--filter=blob:none
--no-checkout` clone of it, which holds no blob at all; every `git fetch` into it leaves
one pack marked `.promisor`, so counting those counts the requests.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from archiver.archive.zdr_ledger import LEDGER_PATH
from archiver.capture.files import read_capture
from archiver.export import zdr
from archiver.history.index import Entry, HistoryIndex
from archiver.history.kinds import Kind, describe_change
from archiver.history.partial_clone import blobs_needed
from archiver.history.versions import SyncChanges, changes
from tests.archive_helpers import git
from tests.small_captures import HERE, SMALL_DAILY, sync_small
from tests.test_site_incremental import UPLOAD_PACK, missing_objects


@dataclass(frozen=True)
class LedgerArchive:
    """An archive whose ZDR ledger changed, and the ledger's versions as history indexes them."""

    path: Path
    ledger: list[Entry]

    @property
    def changed(self) -> list[Entry]:
        """Return the ledger's changes (every version after the first), oldest first."""
        return [entry for entry in self.ledger if entry.status == "M"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> LedgerArchive:
    """Return the small daily captures synced with their ZDR lists, oldest first."""
    repo = tmp_path_factory.mktemp("partial-reads") / "archive"
    lists = sorted((HERE / "zdr").glob("*.jsonl.gz"))
    assert len(lists) == len(SMALL_DAILY) == 3, "run tests/captures/zdr_list.py"
    for daily_path, list_path in zip(SMALL_DAILY, lists, strict=True):
        daily, listed = read_capture(daily_path), read_capture(list_path)
        log = sync_small(repo, replace(daily, responses=daily.responses + listed.responses))
        assert log.commit_id and not log.failures, log.failures
    with HistoryIndex(repo) as index:
        ledger = [
            e for e in index.entries_between(None, None, LEDGER_PATH) if e.path == LEDGER_PATH
        ]
    ledger.reverse()
    assert len(ledger) == 3 and len([e for e in ledger if e.status == "M"]) == 2
    return LedgerArchive(repo, ledger)


def blobless_clone(source: Path, target: Path) -> Path:
    """Clone source as the site job does, without any blob (no checkout), and return it."""
    subprocess.run(
        ["git", "clone", "--quiet", "--filter=blob:none", "--no-checkout", "-u", UPLOAD_PACK,
         f"file://{source}", str(target)],
        check=True, capture_output=True,
    )  # fmt: skip
    # Packs stay as fetched: git's automatic gc would merge them and hide the count.
    git(target, "config", "gc.auto", "0")
    git(target, "config", "maintenance.auto", "false")
    return target


def fetches(clone: Path) -> int:
    """Return how many fetches from its remote a partial clone has made since it was cloned."""
    return len(list((clone / ".git" / "objects" / "pack").glob("*.promisor"))) - 1


def zdr_changes(groups: list[SyncChanges]) -> list[tuple[str, str, object, object, object]]:
    """Return (epoch, key, before, after, patch) of every change that is a ZDR move."""
    return [
        (group.epoch.isoformat(), change.key, change.before, change.after, change.patch)
        for group in groups
        for change in group.changes
        if Kind.ZDR in describe_change(change).kinds
    ]


def test_zdr_changes_in_a_blobless_clone_equal_the_whole_repository(
    archive: LedgerArchive, tmp_path: Path
) -> None:
    clone = blobless_clone(archive.path, tmp_path / "clone")
    since = archive.changed[0].epoch
    # Only the syncs since the first ledger change: telling who a member is then reads
    # endpoint files that no change of those syncs touched, which the clone lacks.
    found = changes(clone, since=since, category="endpoint")
    expected = changes(archive.path, since=since, category="endpoint")
    assert found == expected
    moves = zdr_changes(expected)
    assert zdr_changes(found) == moves
    assert {epoch for epoch, *_ in moves} == {e.epoch.isoformat() for e in archive.changed}
    # One request for the changes' own blobs, then at most two per ledger change (the
    # endpoints of its sync, and of the sync before for a member that left the catalog).
    assert 1 <= fetches(clone) <= 1 + 2 * len(archive.changed)
    with HistoryIndex(archive.path) as index:
        own = set(blobs_needed(index, index.entries_between(since, None, "data/")))
        endpoints = [index.files_at(e.seq, "data/endpoint/") for e in archive.changed]
        looked_up = {blob for files in endpoints for blob in files.values()}
    # What one request per blob would have cost: far more requests than that bound.
    assert len(looked_up - own) > 10 * (1 + 2 * len(archive.changed))


def test_zdr_intervals_in_a_blobless_clone_fetch_the_ledger_once(
    archive: LedgerArchive, tmp_path: Path
) -> None:
    clone = blobless_clone(archive.path, tmp_path / "clone")
    ledger_blobs = {entry.new_blob for entry in archive.ledger}
    assert ledger_blobs <= missing_objects(clone)
    problems: list[str] = []
    with HistoryIndex(clone) as index:
        found = zdr.intervals(index, problems)
    assert problems == []
    assert fetches(clone) == 1
    assert not ledger_blobs & missing_objects(clone)
    expected_problems: list[str] = []
    with HistoryIndex(archive.path) as index:
        assert found == zdr.intervals(index, expected_problems)
    assert expected_problems == []
    # Members joined and left: some intervals are closed, some still open.
    assert {row["valid_to"] for row in found} > {None}
