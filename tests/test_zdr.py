"""The ZDR ledger: the small daily captures replayed with their ZDR list (tests/captures/zdr,
made by tests/captures/zdr_list.py) through real syncs, in-process.

The three days with their lists are synced once for the run (`with_lists`): the tests read
the archive after the first day or after all three (a private copy where they write, or run
`changes`, which writes its index), and the logs of those syncs.
"""

from __future__ import annotations

import itertools
import json
import pickle
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pygit2
import pytest
from click.testing import CliRunner

from archiver.archive.store import Store
from archiver.archive.synclog import SyncLog
from archiver.archive.zdr_ledger import LEDGER_PATH, membership, membership_changes
from archiver.capture.faults import Fault
from archiver.capture.files import Capture, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.history.kinds import Kind, describe
from archiver.sync import SyncOptions, sync
from archiver.times import format_epoch, hour_epoch
from archiver.upstream import sources
from archiver.upstream.fetch import FetchPolicy
from tests.archive_helpers import built_once
from tests.small_captures import HERE, copy_archive, small_captures  # noqa: F401 (a fixture)

ENTITY_DIRS = ("data/model/", "data/endpoint/", "data/provider/")


def read_zdr_lists() -> list[Capture]:
    """Return the ZDR-list captures, one per small daily capture, oldest first."""
    paths = sorted((HERE / "zdr").glob("*.jsonl.gz"))
    assert len(paths) == 3, "run tests/captures/zdr_list.py"
    return [read_capture(path) for path in paths]


@pytest.fixture(scope="module")
def zdr_lists() -> list[Capture]:
    """Return the ZDR-list captures, read once for the module."""
    return read_zdr_lists()


def with_zdr(daily: Capture, zdr: Capture) -> Capture:
    """Return a daily capture that also answers the ZDR list."""
    assert daily.time == zdr.time
    return replace(daily, responses=daily.responses + zdr.responses)


def listed(zdr: Capture) -> set[tuple[str, str]]:
    """Return the (model_id, tag) pairs a ZDR capture lists, read from the raw reply."""
    (response,) = zdr.responses
    return {(item["model_id"], item["tag"]) for item in response.body["data"]}


def run(repo: Path, capture: Capture, *faults: Fault, hours: int = 0) -> tuple[Store, SyncLog]:
    """Sync one capture at its time (plus hours), faults applied; return the store and log."""
    replay = ReplayTransport(capture, faults)
    epoch = capture.time + timedelta(hours=hours)
    policy = FetchPolicy(attempts=1)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch, policy=policy)
    return Store(repo), sync(repo, options)


@dataclass(frozen=True)
class WithLists:
    """The small daily captures synced with their ZDR lists: the archive after the first day,
    after all three, and each sync's log (read only: copy an archive to write to it)."""

    first_day: Path
    three_days: Path
    logs: list[SyncLog]


@pytest.fixture(scope="session")
def with_lists(
    tmp_path_factory: pytest.TempPathFactory,
    small_captures: list[Capture],  # noqa: F811
) -> WithLists:
    """Sync the three days with their lists once for the run (every worker reads them)."""

    def build(folder: Path) -> None:
        days = list(zip(small_captures, read_zdr_lists(), strict=True))
        logs = [run(folder / "first-day", with_zdr(*days[0]))[1]]
        copy_archive(folder / "first-day", folder / "three-days")
        logs += [run(folder / "three-days", with_zdr(*day))[1] for day in days[1:]]
        (folder / "logs.pickle").write_bytes(pickle.dumps(logs))

    shared = built_once(tmp_path_factory, "zdr-with-lists", build)
    logs = pickle.loads((shared / "logs.pickle").read_bytes())
    return WithLists(shared / "first-day", shared / "three-days", logs)


def ledger_history(repo: Path) -> list[bytes]:
    """Return each version of the ledger file, oldest first, read from git."""
    git = pygit2.Repository(str(repo))
    versions: list[bytes] = []
    for commit in git.walk(git.head.target, pygit2.enums.SortMode.REVERSE):
        try:
            blob = git[commit.tree[LEDGER_PATH].id]
        except KeyError:
            continue
        assert isinstance(blob, pygit2.Blob)
        data = blob.data
        if not versions or versions[-1] != data:
            versions.append(data)
    return versions


def test_ledger_over_three_days_answers_who_was_zdr(
    with_lists: WithLists, zdr_lists: list[Capture]
) -> None:
    repo = with_lists.three_days
    git = pygit2.Repository(str(repo))
    commits = list(git.walk(git.head.target, pygit2.enums.SortMode.REVERSE))
    assert [str(c.id) for c in commits] == [log.commit_id for log in with_lists.logs]
    for commit, log, zdr in zip(commits, with_lists.logs, zdr_lists, strict=True):
        assert not log.failures, log.failures
        assert log.requests_by_source[sources.ZDR_ENDPOINTS] == 1
        assert "Sync-Requests-By-Source" in commit.message
        blob = git[commit.tree[LEDGER_PATH].id]
        assert isinstance(blob, pygit2.Blob) and membership(blob.data) == listed(zdr)
    versions = ledger_history(repo)
    expected = [listed(zdr) for zdr in zdr_lists]
    assert [membership(version) for version in versions] == expected
    pairs = zip(itertools.pairwise(versions), itertools.pairwise(expected), strict=True)
    for (before, after), (old, new) in pairs:
        changes = membership_changes(before, after)
        assert {(c.model_id, c.tag) for c in changes if c.joined} == new - old
        assert {(c.model_id, c.tag) for c in changes if not c.joined} == old - new
        assert changes, "the real captures move membership between days"
        for change in changes:
            old_fields, new_fields = change.fields()
            described = describe("endpoint", change.tag, old_fields, new_fields)
            assert described.kinds == (Kind.ZDR,)
            assert ("joined" if change.joined else "left") in described.summary


def test_ledger_is_its_own_file_entities_unchanged(
    small_captures: list[Capture],  # noqa: F811
    zdr_lists: list[Capture],
    with_lists: WithLists,
    tmp_path: Path,
) -> None:
    with_list = Store(copy_archive(with_lists.first_day, tmp_path / "with"))
    without, log = run(tmp_path / "without", small_captures[0])
    for folder in ENTITY_DIRS:
        assert with_list.tracked(folder) == without.tracked(folder)
    # A capture without the list: 404, "not offered", no failure, no ledger.
    assert not log.failures
    assert f"not offered (HTTP 404): {sources.ZDR_ENDPOINTS}" in log.notes
    assert without.blob_at(LEDGER_PATH) is None
    # Same list an hour later: not a byte of the ledger rewritten, no commit for it.
    head = with_list.head
    again, log = run(tmp_path / "with", with_zdr(small_captures[0], zdr_lists[0]), hours=1)
    assert log.commit_id is None and log.ledger_files == 0
    assert again.head == head


@pytest.mark.parametrize(
    ("fault", "failed"),
    [
        (Fault(sources.ZDR_ENDPOINTS, status=404), False),
        (Fault(sources.ZDR_ENDPOINTS, status=500), True),
        (Fault(sources.ZDR_ENDPOINTS, body="empty-data"), True),
        (Fault(sources.ZDR_ENDPOINTS, body="not-json"), True),
    ],
)
def test_a_broken_list_keeps_the_last_ledger_and_the_rest_of_the_sync(
    small_captures: list[Capture],  # noqa: F811
    zdr_lists: list[Capture],
    with_lists: WithLists,
    tmp_path: Path,
    fault: Fault,
    failed: bool,
) -> None:
    repo = copy_archive(with_lists.first_day, tmp_path / "archive")
    ledger = Store(repo).blob_at(LEDGER_PATH)
    store, log = run(repo, with_zdr(small_captures[1], zdr_lists[1]), fault)
    assert store.blob_at(LEDGER_PATH) == ledger
    zdr_failures = [line for line in log.failures if "ZDR list" in line]
    assert bool(zdr_failures) == failed, log.failures
    assert len(log.failures) == len(zdr_failures)
    # The rest went on: the second day's entities and telemetry were committed.
    assert log.commit_id is not None
    assert sum(c.changed + c.added for c in log.counts.values()) > 0


def endpoint_ids(daily: Capture) -> dict[tuple[str, str], list[str]]:
    """Return {(permaslug, provider slug): [endpoint ids]} read from a raw daily capture."""
    found: dict[tuple[str, str], set[str]] = {}
    for response in daily.responses:
        if not response.url.startswith(sources.ENDPOINT_STATS) or response.status != 200:
            continue
        for item in response.body.get("data") or []:
            member = (item.get("model_variant_permaslug"), item.get("provider_slug"))
            found.setdefault(member, set()).add(item["id"])
    return {member: sorted(ids) for member, ids in found.items()}


def expected_zdr_changes(
    dailies: list[Capture], zdrs: list[Capture]
) -> list[set[tuple[str, bool]]]:
    """Return, per sync after the first, {(endpoint key, joined)} computed from the raw replies."""
    expected = []
    for day in range(1, len(zdrs)):
        old, new = listed(zdrs[day - 1]), listed(zdrs[day])
        moved = {(member, True) for member in new - old} | {(member, False) for member in old - new}
        keys = set()
        for member, joined in moved:
            ids = endpoint_ids(dailies[day]).get(member, [])
            if len(ids) != 1:
                ids = endpoint_ids(dailies[day - 1]).get(member, [])
            keys.add((ids[0] if len(ids) == 1 else f"{member[0]}@{member[1]}", joined))
        # An endpoint that left under one tag and joined under another stayed on the list.
        stayed = {key for key, joined in keys if (key, not joined) in keys}
        expected.append({(key, joined) for key, joined in keys if key not in stayed})
    return expected


def test_zdr_moves_are_their_own_kind_in_archiver_changes(
    small_captures: list[Capture],  # noqa: F811
    zdr_lists: list[Capture],
    with_lists: WithLists,
    tmp_path: Path,
) -> None:
    # A copy: `changes` writes its history index into .git.
    repo = copy_archive(with_lists.three_days, tmp_path / "archive")
    expected = expected_zdr_changes(small_captures, zdr_lists)
    for category in ((), ("--category", "endpoint")):
        result = CliRunner().invoke(
            main, ["changes", "--repo", str(repo), "--kind", "zdr", "--json", *category]
        )
        assert result.exit_code == 0, result.output
        syncs = json.loads(result.output)
        assert [sync["epoch"] for sync in syncs] == [
            format_epoch(hour_epoch(daily.time)) for daily in reversed(small_captures[1:])
        ]
        found = [
            {(change["key"], "joined" in change["summary"]) for change in sync["changes"]}
            for sync in reversed(syncs)
        ]
        assert found == expected
        for listed_sync in syncs:
            for change in listed_sync["changes"]:
                assert change["kinds"] == ["zdr"]
                assert change["patch"] == [
                    {"op": "replace", "path": "/zdr", "value": "joined" in change["summary"]}
                ]
    # Most moves name an endpoint the archive holds (its key is the endpoint's id).
    keys = [key for sync in expected for key, _ in sync]
    assert sum("@" not in key for key in keys) > len(keys) / 2
