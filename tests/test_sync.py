"""A sync of real captures through the replay server into a real git repository."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Any

import pytest

from archiver.canonical import is_canonical
from archiver.capture.files import Capture, read_capture
from archiver.capture.replay import Fault, ReplayServer
from archiver.capture.transport import ReplayTransport
from archiver.paths import key_to_path
from archiver.sync import EVERY_SOURCE, SyncOptions, sync
from archiver.times import format_epoch, hour_epoch
from archiver.upstream.fields import is_endpoint_telemetry
from tests.archive_helpers import (
    capture_entities,
    commit_count,
    git,
    keys_at,
    load,
    status_clean,
)
from tests.small_captures import SyncedArchive


def sync_capture(repo: Path, capture: Capture, **options: Any) -> Any:
    """Sync one capture served in-process, with its capture time as the epoch."""
    replay = ReplayTransport(capture)
    settings = SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time)
    return sync(repo, dataclasses.replace(settings, **options))


def files_at(repo: Path, rev: str) -> dict[str, bytes]:
    """Return {path: bytes} of every file under data/ at a revision, via the git CLI."""
    listing = git(repo, "ls-tree", "-r", rev, "data/").splitlines()
    entries = [(line.split()[2], line.split("\t", 1)[1]) for line in listing]
    request = "".join(f"{oid}\n" for oid, _ in entries).encode()
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"], input=request, capture_output=True
    ).stdout
    files: dict[str, bytes] = {}
    position = 0
    for _, path in entries:
        header_end = out.index(b"\n", position)
        size = int(out[position:header_end].split()[2])
        files[path] = out[header_end + 1 : header_end + 1 + size]
        position = header_end + 1 + size + 1
    return files


@pytest.fixture(scope="module")
def daily_captures(daily_paths: list[Path]) -> list[Capture]:
    """Return the three daily captures, oldest first."""
    return [read_capture(path) for path in daily_paths]


@pytest.fixture(scope="module")
def daily_archive(tmp_path_factory: pytest.TempPathFactory, daily_captures: list[Capture]) -> Any:
    """Sync the three daily captures in order into one archive; return (repo, logs)."""
    repo = tmp_path_factory.mktemp("daily") / "archive"
    logs = [sync_capture(repo, capture) for capture in daily_captures]
    return repo, logs


def test_three_daily_captures_make_three_commits(daily_archive: Any) -> None:
    repo, logs = daily_archive
    assert commit_count(repo) == 3
    assert [log.failures for log in logs] == [[], [], []]
    assert all(log.commit_id for log in logs)
    assert status_clean(repo)


def test_files_match_what_each_capture_holds(daily_archive: Any, daily_captures: Any) -> None:
    repo, _ = daily_archive
    for age, capture in enumerate(reversed(daily_captures)):
        expected = capture_entities(capture)
        archived = keys_at(repo, f"HEAD~{age}")
        assert archived["model"] == expected.models
        assert archived["endpoint"] == expected.endpoints
        assert archived["provider"] == expected.providers
        # Not vacuous: most models are offered by several providers, each an endpoint.
        featured = [e for e in _catalog(capture) if e["endpoint"] is not None]
        assert len(expected.endpoints) > len(featured) > 0


def test_resync_of_the_last_capture_adds_no_commit(
    daily_archive: Any, daily_captures: list[Capture]
) -> None:
    repo, _ = daily_archive
    before = git(repo, "rev-parse", "HEAD")
    log = sync_capture(repo, daily_captures[-1])
    assert log.commit_id is None
    assert not log.changed
    assert git(repo, "rev-parse", "HEAD") == before
    assert status_clean(repo)


def test_the_order_responses_arrive_in_changes_nothing(
    tmp_path: Path, daily_archive: Any, daily_captures: list[Capture]
) -> None:
    # Each response is observed as it arrives. Holding back the listings and telemetry of
    # every model whose permaslug starts with "a" (they would come first) reorders them.
    capture = daily_captures[0]
    repo, _ = daily_archive
    # The module archive's first commit is this capture synced plainly into an empty archive.
    (plain,) = git(repo, "rev-list", "--max-parents=0", "HEAD").split()
    held_back = [Fault(f"*{path}?permaslug=a*", delay=0.2) for path in EVERY_SOURCE]
    with ReplayServer(capture, faults=held_back) as server:
        options = SyncOptions(base_url=server.base_url, epoch=capture.time)
        sync(tmp_path / "reordered", options)
    # Every recorded request of those models was held back, not just a few of them (the
    # sync adds a cache-busting `&_=` parameter the capture's URLs do not have).
    recorded = {r.url for r in capture.responses if "?permaslug=a" in r.url}
    asked = {url.split("&_=")[0] for url in server.requests if "?permaslug=a" in url}
    assert asked == recorded and len(recorded) > 10
    assert files_at(repo, plain) == files_at(tmp_path / "reordered", "HEAD")


def test_one_epoch_trailer_per_commit(daily_archive: Any, daily_captures: Any) -> None:
    repo, _ = daily_archive
    printed = git(repo, "log", "--format=%(trailers:key=Sync-Epoch,valueonly)").split()
    expected = [format_epoch(hour_epoch(c.time)) for c in reversed(daily_captures)]
    assert printed == expected


def test_sync_log_trailers_are_readable_by_git(daily_archive: Any) -> None:
    repo, logs = daily_archive
    trailers = git(repo, "log", "-1", "--format=%(trailers:only,unfold)")
    for key in ("Sync-Requests", "Sync-Models", "Sync-Endpoints", "Sync-Providers"):
        assert f"{key}: " in trailers
    assert "Sync-Failures: 0" in trailers
    assert f"Sync-Endpoints: {logs[-1].counts['endpoint'].entities} total" in trailers


def test_every_file_is_canonical_without_telemetry_or_copies(daily_archive: Any) -> None:
    repo, _ = daily_archive
    for age in range(3):
        for path, data in files_at(repo, f"HEAD~{age}").items():
            if not path.endswith(".json"):
                continue
            assert is_canonical(data), path
            entity = load(data)
            if path.startswith("data/endpoint/"):
                assert not [f for f in entity if is_endpoint_telemetry(f)], path
                assert isinstance(entity["model"], str), path
                assert isinstance(entity["provider_info"], str), path
            elif path.startswith("data/model/"):
                assert "design_arena" not in entity.get("v1", {}).get("benchmarks", {}), path
                featured = entity.get("catalog", {}).get("endpoint")
                assert featured is None or isinstance(featured, str), path


def test_endpoints_keep_every_upstream_field(daily_archive: Any, daily_captures: Any) -> None:
    """An endpoint file plus its provider file give back the upstream object, minus telemetry."""
    repo, _ = daily_archive
    files = files_at(repo, "HEAD")
    for endpoint_id, raw in capture_entities(daily_captures[-1]).endpoint_objects.items():
        archived = load(files[key_to_path("endpoint", endpoint_id)])
        info = raw["provider_info"]
        provider = load(files[key_to_path("provider", info["slug"])])["provider_info"]
        rebuilt = {**provider, **archived.pop("provider_info_endpoint", {})}
        for field in archived.pop("provider_info_absent", []):
            del rebuilt[field]
        assert rebuilt == info
        expected = {k: v for k, v in raw.items() if not is_endpoint_telemetry(k)}
        expected["model"] = raw["model_variant_slug"]
        expected["provider_info"] = info["slug"]
        assert archived == expected


def test_model_files_hold_v1_and_catalog(daily_archive: Any, daily_captures: Any) -> None:
    repo, _ = daily_archive
    files = files_at(repo, "HEAD")
    expected = capture_entities(daily_captures[-1])
    for key, raw in expected.v1_models.items():
        archived = load(files[key_to_path("model", key)])
        assert archived["key"] == key
        raw_benchmarks = dict(raw.get("benchmarks") or {})
        raw_benchmarks.pop("design_arena", None)
        assert (
            archived["v1"].get("benchmarks", {}) == raw_benchmarks or raw.get("benchmarks") is None
        )
        assert {k: v for k, v in archived["v1"].items() if k != "benchmarks"} == {
            k: v for k, v in raw.items() if k != "benchmarks"
        }
        assert "catalog" in archived, f"{key} is in v1 and the catalog"
    orphans = expected.models - set(expected.v1_models)
    # The capture has orphans of both kinds: with a featured endpoint and with `endpoint: null`.
    without = {e["slug"] for e in _catalog(daily_captures[-1]) if e["endpoint"] is None}
    assert orphans & without and orphans - without
    for key in orphans:
        archived = load(files[key_to_path("model", key)])
        assert "v1" not in archived
        assert archived["catalog"]["slug"]


@pytest.fixture(scope="module")
def v1_history(v1_then_daily_archive: SyncedArchive, v1_models_paths: list[Path]) -> Any:
    """Return (repo, captures, logs, last commit) of the eight /api/v1/models syncs.

    They are the first eight syncs of the session's archive of every capture (read only).
    """
    built = v1_then_daily_archive
    count = len(v1_models_paths)
    assert [c.path for c in built.captures[:count]] == v1_models_paths
    last = built.logs[count - 1].commit_id
    return built.path, built.captures[:count], built.logs[:count], last


def test_v1_history_shows_only_real_changes(v1_history: Any) -> None:
    """Each model file's versions are exactly the distinct v1 objects the captures hold."""
    repo, captures, logs, last = v1_history
    assert all(log.commit_id for log in logs[:1])
    revisions = git(repo, "log", "--reverse", "--format=%H", last).split()
    snapshots = [files_at(repo, rev) for rev in revisions]
    keys = {key for c in captures for key in capture_entities(c).v1_models}
    for key in keys:
        expected = _distinct([_v1_object(c, key) for c in captures])
        path = key_to_path("model", key)
        archived = _distinct([load(s[path])["v1"] if path in s else None for s in snapshots])
        assert archived == expected, key
        # git itself records a version exactly where the content changed.
        touched = git(repo, "log", "--format=%H", last, "--", path).split()
        assert len(touched) == len(expected) - (expected[0] is None), key


def test_a_model_that_vanished_and_returned_reads_straight_through(
    v1_then_daily_archive: SyncedArchive,
) -> None:
    """All eleven captures in time order: a model that left v1 returns at the same path."""
    repo, captures = v1_then_daily_archive.path, v1_then_daily_archive.captures
    returned = [
        key
        for key in {k for c in captures for k in capture_entities(c).v1_models}
        if _gap([_v1_object(c, key) is not None for c in captures])
    ]
    assert returned == ["z-ai/glm-5v-turbo"], (
        "the one model the captures show leaving and returning"
    )
    path = key_to_path("model", returned[0])
    patch = git(repo, "log", "-p", "--reverse", "--format=%(trailers:key=Sync-Epoch)", "--", path)
    assert patch.count("new file mode") == 2
    assert patch.count("deleted file mode") == 1
    assert (
        patch.index("new file mode")
        < patch.index("deleted file mode")
        < patch.rindex("new file mode")
    )
    assert status_clean(repo)


def _catalog(capture: Capture) -> list[Any]:
    """Return the catalog entries of a daily capture, as recorded."""
    url = "/api/frontend/v1/catalog/models"
    return next(r.body["data"] for r in capture.responses if r.url == url)


def _v1_object(capture: Capture, key: str) -> Any:
    """Return a model's v1 object in a capture as the archive keeps it, or None."""
    raw = capture_entities(capture).v1_models.get(key)
    if raw is None:
        return None
    obj = dict(raw)
    if isinstance(obj.get("benchmarks"), dict):
        obj["benchmarks"] = {k: v for k, v in obj["benchmarks"].items() if k != "design_arena"}
    return obj


def _distinct(values: list[Any]) -> list[Any]:
    """Return values with consecutive repeats dropped."""
    out: list[Any] = []
    for value in values:
        if not out or out[-1] != value:
            out.append(value)
    return out


def _gap(present: list[bool]) -> bool:
    """Tell whether a presence sequence goes present, absent, present."""
    text = "".join("1" if p else "0" for p in present).strip("0")
    return "0" in text
