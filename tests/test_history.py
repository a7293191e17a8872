"""History: versions, any epoch, changes, and the derived index, on archives built by real syncs.

The module's archive is made the way users make theirs: the replay server serves each real
capture over loopback and `sync` commits it (eight v1-models captures, then three daily
ones). Expectations come from git itself (`git log`, `git show`, `git ls-tree`) and from
the captures, never from the history code under test.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import jsonpatch
import orjson
import pytest

from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.errors import StoreError, UnsafeKeyError
from archiver.history import versions as history
from archiver.history.classify import classify
from archiver.history.commits import PATHSPECS
from archiver.history.index import INDEX_FILE, HistoryIndex
from archiver.paths import Category, path_to_key
from archiver.sync import SyncOptions, sync
from archiver.times import hour_epoch, parse_time
from tests.small_captures import SyncedArchive

# Fields the archive keeps apart as telemetry (SPEC "Telemetry apart").
ENDPOINT_TELEMETRY = {"stats", "statsByTier", "status", "routing_heuristics_by_tier"}
ENDPOINT_REFERENCES = {"model", "provider_info", "provider_info_endpoint", "provider_info_absent"}
STATS_URL = "/api/frontend/v1/stats/endpoint?"
CATALOG_URL = "/api/frontend/v1/catalog/models"
NOT_PRICES = {"discount", "min_prompt_tokens", "displayMultiplier"}


@dataclass(frozen=True)
class Synced:
    """One capture as synced into the archive."""

    capture: Capture
    epoch: datetime
    commit: str


@dataclass(frozen=True)
class Archive:
    """The module's archive and the syncs that made it, oldest first."""

    path: Path
    syncs: list[Synced]


def run_sync(repo: Path, capture: Capture) -> str:
    """Sync one capture into repo, served in-process; return the new commit id."""
    replay = ReplayTransport(capture)
    log = sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time))
    assert log.commit_id, f"sync of {capture.path} committed nothing"
    return log.commit_id


@pytest.fixture(scope="module")
def archive(v1_then_daily_archive: SyncedArchive) -> Archive:
    """Return the session's archive of every capture, June's v1-models then July's daily.

    Built once per session (tests/conftest.py), every sync through the replay server; tests
    that rewrite it take `scratch`, a copy.
    """
    built = v1_then_daily_archive
    syncs = [
        Synced(capture, hour_epoch(capture.time), log.commit_id)
        for capture, log in zip(built.captures, built.logs, strict=True)
        if log.commit_id
    ]
    assert len(syncs) == len(built.captures)
    return Archive(built.path, syncs)


@pytest.fixture
def scratch(archive: Archive, tmp_path: Path) -> Path:
    """Return a copy of the module's archive (index included) that a test may rewrite."""
    copy = tmp_path / "archive"
    shutil.copytree(archive.path, copy)
    return copy


def git(repo: Path, *args: str) -> str:
    """Run git in repo and return its output."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout


def shown(repo: Path, commit: str, path: str) -> dict[str, Any] | None:
    """Return the JSON file at path in commit (git show), or None when it is absent there."""
    done = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], capture_output=True)
    return orjson.loads(done.stdout) if done.returncode == 0 else None


def commits_of(repo: Path, path: str, *options: str) -> list[str]:
    """Return the commits `git log` lists for one file, newest first."""
    return git(repo, "log", *options, "--format=%H", "--", path).split()


def v1_models(capture: Capture) -> dict[str, dict[str, Any]]:
    """Return a capture's /api/v1/models objects by id, minus the telemetry design_arena."""
    body = next(r.body for r in capture.responses if r.url == "/api/v1/models")
    models = {}
    for item in body["data"]:
        model = dict(item)
        if isinstance(model.get("benchmarks"), dict):
            model["benchmarks"] = dict(model["benchmarks"])
            model["benchmarks"].pop("design_arena", None)
        models[model["id"]] = model
    return models


def endpoints(capture: Capture) -> dict[str, list[dict[str, Any]]]:
    """Return every endpoint object a capture holds, by id (alias listings repeat some)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for response in capture.responses:
        if response.url.startswith(STATS_URL) and response.status == 200:
            for item in response.body["data"]:
                found.setdefault(item["id"], []).append(item)
        if response.url == CATALOG_URL:
            for model in response.body["data"]:
                if isinstance(model.get("endpoint"), dict):
                    found.setdefault(model["endpoint"]["id"], []).append(model["endpoint"])
    return found


def without_references(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return an endpoint minus telemetry and the fields the archive turns into references."""
    return {
        field: value
        for field, value in endpoint.items()
        if field not in ENDPOINT_TELEMETRY | ENDPOINT_REFERENCES
        and not field.startswith("status_heuristics")
    }


def busiest_paths(repo: Path, category: str, count: int) -> list[str]:
    """Return the files of a category that the most commits touched."""
    touched: dict[str, int] = {}
    for line in git(repo, "log", "--format=", "--name-only", "--", f"data/{category}/").split():
        touched[line] = touched.get(line, 0) + 1
    return sorted(touched, key=lambda path: (-touched[path], path))[:count]


def removed_paths(repo: Path, category: str) -> list[str]:
    """Return the files of a category that some commit deleted."""
    out = git(repo, "log", "--diff-filter=D", "--format=", "--name-only", "--", f"data/{category}/")
    return sorted(set(out.split()))


def assert_index_matches_git(repo: Path, checked: int = 4) -> None:
    """Assert the index lists git's first-parent commits (those that change no entity file
    too: a sync of telemetry alone is a sync) and, at several, git's exact files."""
    listed = git(
        repo,
        "log",
        "--first-parent",
        "--reverse",
        "--format=%H %(trailers:key=Sync-Epoch,valueonly)",
    ).split("\n")
    expected = [(line[:40], parse_time(line[41:])) for line in listed if line]
    with HistoryIndex(repo) as index:
        rows = index.db.execute("SELECT seq, id, epoch FROM commits ORDER BY seq").fetchall()
        assert [(commit, datetime.fromtimestamp(epoch, UTC)) for _, commit, epoch in rows] == (
            expected
        )
        picks = {0, len(rows) - 1, *range(0, len(rows), max(1, len(rows) // checked))}
        for pick in sorted(picks & set(range(len(rows)))):
            seq, commit, _ = rows[pick]
            tree = git(repo, "ls-tree", "-r", "-z", commit, "--", *PATHSPECS).split("\0")
            files = {line.split("\t")[1]: line.split()[2] for line in tree if line}
            assert index.files_at(seq) == files, f"index differs from git at {commit}"


# -- versions -------------------------------------------------------------------------


def test_versions_list_what_git_log_lists_with_the_same_content(archive: Archive) -> None:
    repo = archive.path
    paths = [
        *busiest_paths(repo, "model", 3),
        *busiest_paths(repo, "endpoint", 3),
        *removed_paths(repo, "endpoint")[:2],
        *removed_paths(repo, "provider")[:1],
    ]
    assert len(paths) == 9
    for path in paths:
        category, key = path_to_key(path)
        found = history.versions(repo, category, key)
        commits = [version.commit for version in found]
        assert commits == commits_of(repo, path)
        # --follow with exact renames only: paths are identities (a looser --follow grafts a
        # different model's history onto a new one that resembles it).
        assert commits == commits_of(repo, path, "--follow", "-M100%")
        for version in found:
            assert version.entity == shown(repo, version.commit, path)
            epoch = git(
                repo, "log", "-1", "--format=%(trailers:key=Sync-Epoch,valueonly)", version.commit
            )
            assert version.epoch == parse_time(epoch)
            applied = jsonpatch.apply_patch(version.previous or {}, version.patch)
            assert applied == (version.entity or {})
        statuses = git(repo, "log", "--format=", "--name-status", "--", path).split()[0::2]
        assert [version.kind for version in found] == kinds_from_statuses(statuses)


def kinds_from_statuses(statuses: list[str]) -> list[str]:
    """Return version kinds from git's name-status letters (newest first): A after D returns."""
    kinds = []
    for number, status in enumerate(reversed(statuses)):
        added = "returned" if number else "added"
        kinds.append({"A": added, "M": "changed", "D": "removed"}[status])
    return kinds[::-1]


def test_a_removed_model_that_returns_shows_a_removal_then_a_return(archive: Archive) -> None:
    models = [set(v1_models(synced.capture)) for synced in archive.syncs]
    # A model of the first capture that a later one lacks and a later one still lists again.
    gone_at, key = next(
        (i, key)
        for i in range(1, len(models))
        for key in sorted(models[0] & models[i - 1] - models[i])
        if any(key in later for later in models[i + 1 :])
    )
    back_at = next(i for i in range(gone_at + 1, len(models)) if key in models[i])
    found = history.versions(archive.path, "model", key)
    kinds = [(version.kind, version.epoch) for version in reversed(found)]
    assert ("removed", archive.syncs[gone_at].epoch) in kinds
    assert ("returned", archive.syncs[back_at].epoch) in kinds
    returned = next(version for version in found if version.kind == "returned")
    removed = next(version for version in found if version.kind == "removed")
    assert removed.entity is None
    assert (
        removed.previous is not None
        and removed.previous["v1"] == v1_models(archive.syncs[gone_at - 1].capture)[key]
    )
    # A return's patch is taken against the entity as it was before it left.
    assert returned.previous == removed.previous
    assert jsonpatch.apply_patch(returned.previous, returned.patch) == returned.entity
    gap = archive.syncs[back_at - 1].epoch
    assert history.entity_at(archive.path, "model", key, gap) is None
    changed = history.changes(
        archive.path, archive.syncs[back_at].epoch, archive.syncs[back_at].epoch, "model"
    )
    (change,) = [c for group in changed for c in group.changes if c.key == key]
    assert change.kinds[0] == "returned"
    assert change.before == removed.previous


def test_an_entity_never_archived_has_no_versions(archive: Archive) -> None:
    assert history.versions(archive.path, "model", "acme/never-existed") == []
    assert history.entity_at(archive.path, "model", "acme/never-existed", datetime.now(UTC)) is None


# -- entity_at and category_at --------------------------------------------------------


def test_any_epoch_reproduces_that_captures_models(archive: Archive) -> None:
    for synced in archive.syncs:
        expected = v1_models(synced.capture)
        for at in (synced.epoch, synced.capture.time, synced.epoch + timedelta(minutes=59)):
            models = history.category_at(archive.path, "model", at)
            v1_parts = {key: model["v1"] for key, model in models.items() if "v1" in model}
            assert v1_parts == expected, f"models differ from {synced.capture.path} at {at}"
        for key in sorted(expected)[::25]:
            found = history.entity_at(archive.path, "model", key, synced.epoch)
            assert found is not None and found["v1"] == expected[key]


def test_any_epoch_reproduces_that_captures_endpoints(archive: Archive) -> None:
    daily = [synced for synced in archive.syncs if endpoints(synced.capture)]
    assert len(daily) == 3
    for synced in daily:
        expected = endpoints(synced.capture)
        archived = history.category_at(archive.path, "endpoint", synced.epoch)
        assert archived.keys() == expected.keys()
        for key, endpoint in archived.items():
            copies = [without_references(copy) for copy in expected[key]]
            assert without_references(endpoint) in copies, f"endpoint {key} differs"
        key = sorted(expected)[0]
        assert history.entity_at(archive.path, "endpoint", key, synced.epoch) == archived[key]


def test_before_the_first_sync_there_is_nothing(archive: Archive) -> None:
    first = archive.syncs[0].epoch - timedelta(seconds=1)
    assert history.category_at(archive.path, "model", first) == {}
    key = sorted(v1_models(archive.syncs[0].capture))[0]
    assert history.entity_at(archive.path, "model", key, first) is None
    assert history.entity_at(archive.path, "model", key, archive.syncs[0].epoch) is not None


def test_a_naive_time_counts_as_utc(archive: Archive) -> None:
    synced = archive.syncs[3]
    key = sorted(v1_models(synced.capture))[0]
    naive = synced.epoch.replace(tzinfo=None)
    assert history.entity_at(archive.path, "model", key, naive) == history.entity_at(
        archive.path, "model", key, synced.epoch
    )


# -- changes --------------------------------------------------------------------------


def _price_leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Decimal]]:
    """Yield (dotted path, decimal) for the numeric price fields of an upstream pricing object."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in NOT_PRICES and key != "display_pricing":
                yield from _price_leaves(item, f"{prefix}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _price_leaves(item, f"{prefix}[{index}]")
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            yield prefix, Decimal(str(value))
        except ArithmeticError:
            return


def _expected_directions(old: Any, new: Any) -> set[str]:
    """Return the price directions between two upstream pricing objects."""
    before, after = dict(_price_leaves(old)), dict(_price_leaves(new))
    found = set()
    for field in before.keys() & after.keys():
        if after[field] > before[field]:
            found.add("price_up")
        elif after[field] < before[field]:
            found.add("price_down")
    return found


def _changes_by_key(archive: Archive, index: int, category: Category) -> dict[str, history.Change]:
    """Return the changes of one sync in one category, by key."""
    epoch = archive.syncs[index].epoch
    groups = history.changes(archive.path, since=epoch, until=epoch, category=category)
    assert [group.commit for group in groups] == [archive.syncs[index].commit]
    return {change.key: change for change in groups[0].changes}


def test_model_price_and_context_changes_are_classified_as_the_captures_show(
    archive: Archive,
) -> None:
    checked = 0
    for index in range(1, len(archive.syncs)):
        old = v1_models(archive.syncs[index - 1].capture)
        new = v1_models(archive.syncs[index].capture)
        changed = _changes_by_key(archive, index, "model")
        for key in old.keys() & new.keys():
            directions = _expected_directions(old[key].get("pricing"), new[key].get("pricing"))
            context = any(
                _dig(old[key], path) != _dig(new[key], path)
                for path in (
                    ("context_length",),
                    ("top_provider", "context_length"),
                    ("top_provider", "max_completion_tokens"),
                )
            )
            if old[key] == new[key]:
                continue
            kinds = set(changed[key].kinds)
            assert kinds & {"price_up", "price_down"} == directions, key
            if context or not endpoints(archive.syncs[index].capture):
                # From July a model also holds its catalog object, whose context may change.
                assert ("context_changed" in kinds) == context, key
            checked += bool(directions)
            for price in changed[key].prices:
                field = price.field.removeprefix("v1.pricing.")
                if field in old[key]["pricing"] and field in new[key]["pricing"]:
                    assert (price.old, price.new) == (
                        str(old[key]["pricing"][field]),
                        str(new[key]["pricing"][field]),
                    )
                    if Decimal(price.old) > 0:
                        ratio = Decimal(price.new) / Decimal(price.old)
                        assert price.percent == pytest.approx(float((ratio - 1) * 100))
    assert checked >= 20  # the captures hold dozens of real price changes


def test_models_that_appear_and_disappear_are_added_and_removed(archive: Archive) -> None:
    v1_phase = [i for i, synced in enumerate(archive.syncs) if not endpoints(synced.capture)]
    for index in v1_phase[1:]:
        old = set(v1_models(archive.syncs[index - 1].capture))
        new = set(v1_models(archive.syncs[index].capture))
        changed = _changes_by_key(archive, index, "model")
        earlier = set().union(*(v1_models(s.capture) for s in archive.syncs[: index - 1]))
        for key in new - old:
            assert changed[key].kinds == (("returned",) if key in earlier else ("added",))
            after = changed[key].after
            assert after is not None
            assert after["v1"] == (v1_models(archive.syncs[index].capture)[key])
        for key in old - new:
            assert changed[key].kinds == ("removed",)
            assert changed[key].after is None


def test_endpoint_price_changes_are_classified_as_the_captures_show(archive: Archive) -> None:
    daily = [i for i, synced in enumerate(archive.syncs) if endpoints(synced.capture)]
    seen = 0
    for index in daily[1:]:
        old = endpoints(archive.syncs[index - 1].capture)
        new = endpoints(archive.syncs[index].capture)
        changed = _changes_by_key(archive, index, "endpoint")
        for key in old.keys() & new.keys():
            directions = _expected_directions(old[key][0]["pricing"], new[key][0]["pricing"])
            if directions:
                seen += 1
                assert set(changed[key].kinds) & {"price_up", "price_down"} == directions
                assert all(price.field.startswith("pricing.") for price in changed[key].prices)
        for key in new.keys() - old.keys():
            assert changed[key].kinds == ("added",)
        for key in old.keys() - new.keys():
            assert changed[key].kinds == ("removed",)
    assert seen >= 10


def test_changes_are_grouped_by_sync_newest_first(archive: Archive) -> None:
    groups = history.changes(archive.path)
    assert [group.commit for group in groups] == [s.commit for s in reversed(archive.syncs)]
    assert [group.epoch for group in groups] == [s.epoch for s in reversed(archive.syncs)]
    # Both ends are inclusive: a day before 07-19T15:00 is the 07-18T15:00 sync.
    last_day = history.changes(archive.path, since=archive.syncs[-1].epoch - timedelta(days=1))
    assert [group.commit for group in last_day] == [s.commit for s in archive.syncs[:-3:-1]]
    later = archive.syncs[-1].epoch - timedelta(days=1) + timedelta(seconds=1)
    assert [g.commit for g in history.changes(archive.path, since=later)] == [
        archive.syncs[-1].commit
    ]
    middle = history.changes(
        archive.path, since=archive.syncs[2].epoch, until=archive.syncs[4].epoch
    )
    assert [group.commit for group in middle] == [s.commit for s in archive.syncs[4:1:-1]]
    providers = history.changes(archive.path, category="provider")
    assert {change.category for group in providers for change in group.changes} == {"provider"}
    # Each group holds exactly the entity files git says that commit touched.
    touched = git(archive.path, "show", "--format=", "--name-only", archive.syncs[-1].commit)
    expected = {path_to_key(path) for path in touched.split() if path.startswith(PATHSPECS)}
    assert {(c.category, c.key) for c in groups[0].changes} == expected


# -- format_patch ---------------------------------------------------------------------


def test_format_patch_reads_like_the_issue_examples() -> None:
    before = {
        "pricing": {"prompt": "0.000003", "completion": "0.000015"},
        "supported_parameters": ["a", "b", "c", "d", "e", "f", "g"],
        "is_free": False,
        "name": "x",
    }
    after = {
        "pricing": {"prompt": "0.0000025", "completion": "0.000015"},
        "supported_parameters": ["a", "b", "c", "d", "e", "f", "g", "tools"],
        "name": "x",
    }
    lines = history.format_patch(jsonpatch.make_patch(before, after).patch, before)
    assert sorted(lines) == sorted(
        [
            'pricing.prompt: "0.000003" -> "0.0000025"',
            '+ supported_parameters[7] "tools"',
            "- is_free false",
        ]
    )


def test_format_patch_of_a_real_price_change(archive: Archive) -> None:
    groups = history.changes(archive.path, category="endpoint")
    change = next(c for g in groups for c in g.changes if c.before and "price_down" in c.kinds)
    lines = history.format_patch(change.patch, change.before)
    for price in change.prices:
        assert f'{price.field}: "{price.old}" -> "{price.new}"' in lines
    assert all(" -> " in line or line[0] in "+-~" for line in lines)


# -- the derived index ----------------------------------------------------------------


def test_the_index_lives_inside_git_and_matches_git(archive: Archive) -> None:
    history.versions(archive.path, "model", "openai/gpt-4.1")
    assert (archive.path / ".git" / INDEX_FILE).is_file()
    assert "archiver" not in git(archive.path, "status", "--porcelain", "--ignored")
    assert_index_matches_git(archive.path)


def test_the_index_follows_a_reset_to_an_older_commit_then_new_syncs(
    archive: Archive, scratch: Path
) -> None:
    history.versions(scratch, "model", "openai/gpt-4.1")
    git(scratch, "reset", "-q", "--hard", "HEAD~2")
    assert_index_matches_git(scratch)
    assert history.changes(scratch)[0].commit == archive.syncs[-3].commit
    for synced in archive.syncs[-2:]:
        run_sync(scratch, synced.capture)
        assert_index_matches_git(scratch)
    head = git(scratch, "rev-parse", "HEAD").strip()
    assert head != archive.syncs[-1].commit  # new commits (their message holds the duration)
    path = busiest_paths(scratch, "endpoint", 1)[0]
    category, key = path_to_key(path)
    assert [v.commit for v in history.versions(scratch, category, key)] == commits_of(scratch, path)


def test_the_index_follows_an_amended_epoch(archive: Archive, scratch: Path) -> None:
    history.changes(scratch)
    message = git(scratch, "log", "-1", "--format=%B").replace(
        "Sync-Epoch: 2026-07-19T15:00:00Z", "Sync-Epoch: 2026-07-19T16:00:00Z"
    )
    git(
        scratch,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@e",
        "commit",
        "-q",
        "--amend",
        "-m",
        message,
    )
    assert_index_matches_git(scratch)
    assert history.changes(scratch)[0].epoch == datetime(2026, 7, 19, 16, tzinfo=UTC)
    assert history.changes(scratch)[0].commit != archive.syncs[-1].commit


def test_a_deleted_or_damaged_index_is_rebuilt(archive: Archive, scratch: Path) -> None:
    expected = history.changes(scratch)
    index_file = scratch / ".git" / INDEX_FILE
    index_file.unlink()
    assert history.changes(scratch) == expected
    index_file.write_bytes(b"not a database at all" * 100)
    assert history.changes(scratch) == expected
    with sqlite3.connect(index_file) as db:
        db.execute("UPDATE meta SET value = 'old' WHERE name = 'schema'")
    db.close()
    assert history.changes(scratch) == expected
    assert_index_matches_git(scratch)


def test_the_index_follows_a_pull(archive: Archive, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(archive.path), str(clone))
    git(clone, "reset", "-q", "--hard", "HEAD~3")
    assert len(history.changes(clone)) == len(archive.syncs) - 3
    git(clone, "pull", "-q", "--ff-only")
    assert len(history.changes(clone)) == len(archive.syncs)
    assert_index_matches_git(clone)


def test_the_index_follows_a_shallow_clone_being_deepened(archive: Archive, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{archive.path}", str(clone))
    groups = history.changes(clone)
    assert len(groups) == 2  # the shallow root counts as adding everything it holds
    assert_index_matches_git(clone)
    git(clone, "fetch", "-q", "--deepen", "3")
    assert len(history.changes(clone)) == 5
    assert_index_matches_git(clone)


def test_a_human_merge_counts_as_one_change_set_along_the_first_parent(
    archive: Archive, scratch: Path
) -> None:
    last = archive.syncs[-1]
    git(scratch, "reset", "-q", "--hard", "HEAD~1")
    git(scratch, "checkout", "-q", "-b", "side")
    run_sync(scratch, last.capture)
    git(scratch, "checkout", "-q", "main")
    (scratch / "NOTES.md").write_text("a person's note\n")
    who = ("-c", "user.name=t", "-c", "user.email=t@e")
    git(scratch, "add", "NOTES.md")
    git(scratch, *who, "commit", "-q", "-m", "Add notes")
    git(scratch, *who, "merge", "-q", "--no-ff", "side", "-m", "Merge side")
    merge = git(scratch, "rev-parse", "HEAD").strip()
    assert_index_matches_git_merge(scratch, merge, last.epoch)
    touched = git(archive.path, "show", "--format=", "--name-only", last.commit).split()
    path = next(p for p in touched if p.startswith("data/endpoint/"))
    category, key = path_to_key(path)
    newest = history.versions(scratch, category, key)[0]
    assert (newest.commit, newest.epoch) == (merge, last.epoch)
    assert newest.entity == shown(scratch, merge, path)


def assert_index_matches_git_merge(repo: Path, merge: str, epoch: datetime) -> None:
    """Assert the newest indexed commit is the merge, dated by the merged side's epoch."""
    with HistoryIndex(repo) as index:
        newest = index.db.execute("SELECT id, epoch FROM commits ORDER BY seq DESC").fetchone()
        assert (newest[0], datetime.fromtimestamp(newest[1], UTC)) == (merge, epoch)
        files = git(repo, "ls-tree", "-r", "-z", merge, "--", *PATHSPECS).split("\0")
        expected = {line.split("\t")[1]: line.split()[2] for line in files if line}
        at = index.seq_at(epoch)
        assert at is not None
        assert index.files_at(at[0]) == expected


# -- errors ---------------------------------------------------------------------------


def test_a_folder_that_is_not_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a git repository"):
        history.versions(tmp_path / "nowhere", "model", "openai/gpt-4.1")


def test_an_unknown_category_is_refused(archive: Archive) -> None:
    # Deliberately not a Category: the runtime refusal is under test.
    widget = cast(Category, "widget")
    with pytest.raises(UnsafeKeyError, match="unknown category"):
        history.versions(archive.path, widget, "x")
    with pytest.raises(UnsafeKeyError, match="unknown category"):
        history.changes(archive.path, category=widget)


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    """Return the value at a path of keys, or None."""
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def test_an_up_to_date_index_answers_without_running_git(
    archive: Archive, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = history.changes(scratch)
    monkeypatch.setenv("PATH", "")  # no git command at all: only the index can answer
    assert history.changes(scratch) == expected
    monkeypatch.undo()
    git(scratch, "reset", "-q", "--hard", "HEAD~1")
    monkeypatch.setenv("PATH", "")
    # Going back needs no git log either: the index drops what follows the new HEAD.
    assert history.changes(scratch) == expected[1:]


# -- classification rules and patches, on small examples -------------------------------


def _endpoint(**fields: Any) -> dict[str, Any]:
    """Return a small endpoint with a pricing object, updated with fields."""
    base: dict[str, Any] = {
        "id": "e",
        "context_length": 1000,
        "pricing": {"prompt": "0.000001", "completion": "0.000002", "discount": 0},
        "pricing_json": {"p": "0.000001"},
        "supported_parameters": ["tools"],
    }
    return {**base, **fields}


def test_echoes_of_a_price_change_are_not_other_changes() -> None:
    before = _endpoint()
    after = _endpoint(
        pricing={"prompt": "0.0000005", "completion": "0.000002", "discount": 0},
        pricing_json={"p": "0.0000005"},
        pricing_version_id="v2",
    )
    found = classify("endpoint", before, after)
    assert found.kinds == ("price_down",)
    (price,) = found.prices
    assert (price.field, price.old, price.new, price.percent) == (
        "pricing.prompt",
        "0.000001",
        "0.0000005",
        -50.0,
    )


def test_a_rewritten_price_of_equal_value_a_discount_and_parameters_are_other() -> None:
    rewritten = _endpoint(pricing={"prompt": "1e-6", "completion": "0.000002", "discount": 0})
    assert classify("endpoint", _endpoint(), rewritten).kinds == ("other",)
    discounted = _endpoint(pricing={"prompt": "0.000001", "completion": "0.000002", "discount": 1})
    assert classify("endpoint", _endpoint(), discounted).kinds == ("other",)
    both = _endpoint(context_length=2000, supported_parameters=[])
    assert classify("endpoint", _endpoint(), both).kinds == ("context_changed", "other")
    model = {"v1": {"pricing": {"prompt": "0.000001"}, "top_provider": {"context_length": 8}}}
    cheaper = {"v1": {"pricing": {"prompt": "0.0000009"}, "top_provider": {"context_length": 9}}}
    assert classify("model", model, cheaper).kinds == ("price_down", "context_changed")


def test_patches_tell_numbers_booleans_and_moves_apart() -> None:
    before = {"a": 1, "b": True, "c": ["x", "y", "z"]}
    after = {"a": 1.0, "b": 1, "c": ["z", "x", "y"]}
    patch = history.make_patch(before, after)
    assert jsonpatch.apply_patch(before, patch) == after
    lines = history.format_patch(patch, before)
    assert lines[:2] == ["a: 1 -> 1.0", "b: true -> 1"]
    assert lines[2] == '~ c[0] "z" (move from c[2])'
