"""The documented endpoint listing as a second source: a broken or moved frontend listing
degrades the archive to the documented data instead of stopping it.

Replays the small daily captures with their documented listings (tests/captures/extra),
breaking frontend listings with the replay faults; expectations come from the capture bodies.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from archiver import jsonvalue
from archiver.archive.synclog import SyncLog
from archiver.capture.faults import Fault
from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.telemetry import series
from archiver.upstream import sources
from archiver.upstream.documented import KIND, figures, map_listings
from archiver.upstream.fetch import FetchPolicy
from archiver.upstream.schedule import epoch_hour
from archiver.upstream.uptime import uptime_schedule
from tests.small_captures import SMALL_DAILY, copy_archive
from tests.test_uptime import with_extra_sources

# A frontend listing that fails fast: retried, as a live one would be, without the waits.
QUICK = FetchPolicy(backoff=0.001, max_wait=0.01)


@dataclass
class Base:
    """An archive of the first capture, and the next capture to sync into a copy of it."""

    repo: Path
    first: Capture
    second: Capture


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Base]:
    root = tmp_path_factory.mktemp("documented")
    first, second = (with_extra_sources(path) for path in SMALL_DAILY[:2])
    log, _ = replay(root / "archive", first)
    assert log.commit_id and not log.failures, log.failures
    yield Base(root / "archive", first, second)
    shutil.rmtree(root, ignore_errors=True)


def replay(repo: Path, capture: Capture, *faults: Fault) -> tuple[SyncLog, list[str]]:
    """Sync a capture in-process at its time, faults applied; return the log and the URLs."""
    transport = ReplayTransport(capture, faults)
    options = SyncOptions(
        base_url=transport.base_url, transport=transport, epoch=capture.time, policy=QUICK
    )
    return sync(repo, options), transport.requests


def listings(capture: Capture) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """Return {modelKey: (listing URL, endpoints)} of a capture's frontend listings."""
    found = {}
    for response in capture.responses:
        if response.url.startswith(sources.ENDPOINT_STATS) and response.status == 200:
            items = response.body.get("data") or []
            if items:
                found[items[0]["model_variant_slug"]] = (response.url, items)
    return found


def documented(capture: Capture, model_key: str) -> list[dict[str, Any]]:
    """Return a model's documented endpoint objects, read from the raw capture."""
    url = sources.documented_url(model_key)
    (body,) = [r.body for r in capture.responses if r.url == url]
    return list(body["data"]["endpoints"])


def tracked_endpoints(repo: Path, revision: str) -> dict[str, str]:
    """Return {path: blob id} of the endpoint files at a revision, via git ls-tree."""
    out = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", revision, "data/endpoint/"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {line.split("\t")[1]: line.split()[2] for line in out.splitlines()}


def broken_model(base: Base) -> str:
    """Return a model listed in both captures, with several endpoints, not due this hour."""
    first, second = listings(base.first), listings(base.second)
    hour, previous = epoch_hour(base.second.time), epoch_hour(base.first.time)
    daily = uptime_schedule(hour, previous)
    return min(
        key
        for key, (_, items) in second.items()
        if key in first and len(items) >= 3 and not key.startswith("~") and not daily.due(key)
    )


def expected_figures(capture: Capture, model_key: str, endpoint: dict[str, Any]) -> str:
    """Return the documented figures of one endpoint, as canonical JSON text."""
    (item,) = [i for i in documented(capture, model_key) if i["tag"] == endpoint["provider_slug"]]
    return jsonvalue.dumps(figures(item), option=orjson.OPT_SORT_KEYS).decode()


def test_a_broken_frontend_listing_falls_back_to_the_documented_listing(
    base: Base, tmp_path: Path
) -> None:
    repo = copy_archive(base.repo, tmp_path / "archive")
    model_key = broken_model(base)
    url, items = listings(base.second)[model_key]
    log, requests = replay(repo, base.second, Fault(url, status=500))
    assert any(model_key in line and "500" in line for line in log.failures)
    # Asked for because the listing failed: the spread would not have fetched it this hour.
    assert any(r.startswith(sources.documented_url(model_key)) for r in requests)
    assert any(f"endpoints of {model_key}: the frontend listing failed" in n for n in log.notes)
    # Its endpoints stay, byte for byte: the poorer documented data rewrites nothing.
    before, after = tracked_endpoints(repo, "HEAD~1"), tracked_endpoints(repo, "HEAD")
    ids = {item["id"] for item in items}
    kept = {p: b for p, b in after.items() if Path(p).stem in ids}
    assert kept and kept == {p: b for p, b in before.items() if Path(p).stem in ids}
    # Its documented figures are archived, exactly as sent, per endpoint.
    for path in kept:
        endpoint = orjson.loads((repo / path).read_bytes())
        samples = series(repo, KIND, endpoint["id"])
        assert samples and samples[-1]["epoch"] == log_epoch(log)
        got = {k: v for k, v in samples[-1].items() if k != "epoch"}
        want = expected_figures(base.second, model_key, endpoint)
        assert jsonvalue.dumps(got, option=orjson.OPT_SORT_KEYS).decode() == want


def test_a_moved_frontend_path_degrades_to_the_documented_data(base: Base, tmp_path: Path) -> None:
    repo = copy_archive(base.repo, tmp_path / "archive")
    log, requests = replay(repo, base.second, Fault(f"{sources.ENDPOINT_STATS}*", status=404))
    assert log.counts["endpoint"].removed == 0
    assert tracked_endpoints(repo, "HEAD") == tracked_endpoints(repo, "HEAD~1")
    models = {key for key in listings(base.second) if not key.startswith("~")}
    asked = {r.split("?")[0] for r in requests if r.startswith("/api/v1/models/")}
    assert asked >= {sources.documented_url(key) for key in models}
    archived = {
        orjson.loads((repo / path).read_bytes())["model_variant_slug"]
        for path in tracked_endpoints(repo, "HEAD")
    }
    kept = 0
    for key in sorted(models & archived):
        for _, items in [listings(base.second)[key]]:
            for item in items:
                path = repo / "data" / "endpoint" / f"{item['id']}.json"
                if path.is_file() and series(repo, KIND, item["id"]):
                    kept += 1
    assert kept > len(models)


def test_documented_prices_that_differ_are_reported(base: Base) -> None:
    model_key = broken_model(base)
    _, items = listings(base.second)[model_key]
    endpoint = items[0]
    item = next(
        i for i in documented(base.second, model_key) if i["tag"] == endpoint["provider_slug"]
    )
    assert map_listings({model_key: [item]}, [endpoint], set()).notes == []
    changed = {**item, "pricing": {**item["pricing"], "prompt": "0.123"}}
    quiet = map_listings({model_key: [changed]}, [endpoint], set())
    loud = map_listings({model_key: [changed]}, [endpoint], {model_key})
    assert not quiet.problems and 'prompt "0.123"' in quiet.notes[0]
    assert 'prompt "0.123"' in loud.problems[0] and endpoint["id"] in loud.problems[0]
    assert loud.telemetry == {endpoint["id"]: figures(item)}


def test_the_documented_listing_is_optional(base: Base, tmp_path: Path) -> None:
    repo = copy_archive(base.repo, tmp_path / "archive")
    path = sources.DOCUMENTED_ENDPOINTS
    log, _ = replay(repo, base.second, Fault("/api/v1/models/*/endpoints", status=404))
    count = log.requests_by_source[path]
    assert f"not offered (HTTP 404): {path} x{count}" in log.notes
    assert not [line for line in log.failures if "documented" in line]


def log_epoch(log: SyncLog) -> str:
    """Return a sync's epoch as the telemetry samples spell it."""
    return log.epoch.strftime("%Y-%m-%dT%H:%M:%SZ")
