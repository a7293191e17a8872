"""A sync that writes only telemetry after a person deleted an entity file (audit 34).

Found and fixed: the history index held only the commits that change an entity file. A
person deletes an endpoint's file; upstream has dropped the endpoint too, so the next sync
leaves it deleted, and writes only telemetry. That sync was not indexed: `archiver show
--at` its hour read the files of the sync before (the endpoint still there, where `git show`
at that sync has none), `price --at` gave a price in force, and `log` told the removal at
the next sync that changed an entity, hours or days later. Every first-parent commit is
indexed now; one that changes no entity file has no rows of changes.
"""

from __future__ import annotations

import collections
import dataclasses
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from archiver.capture.files import Capture, CapturedResponse
from archiver.history.versions import entity_at, versions
from archiver.paths import path_to_key
from tests.archive_helpers import as_person, git, head
from tests.small_captures import (
    ENDPOINT_LISTING,
    small_cut_at,
    sync_small,
    with_first_endpoints_edited,
    with_first_price_changed,
)

HOUR = datetime(2026, 11, 20, 10, tzinfo=UTC)


def _without(capture: Capture, endpoint: str, hours: int) -> Capture:
    """Return the capture an hour later, as if upstream no longer listed the endpoint."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url.startswith(ENDPOINT_LISTING) and isinstance(body, dict):
            kept = [item for item in body.get("data") or [] if item.get("id") != endpoint]
            body = {**body, "data": kept} if body.get("data") else body
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return dataclasses.replace(
        capture, responses=tuple(responses), time=HOUR + timedelta(hours=hours)
    )


def _slower(endpoint: dict[str, Any]) -> dict[str, Any]:
    return {**endpoint, "stats": {**endpoint["stats"], "p50_latency": 98765}}


def _deletable(repo: Path, kept: str) -> str:
    """Return an endpoint file whose provider serves others too (its record stays as it is)."""
    paths = git(repo, "ls-files", "data/endpoint").split()
    providers = {path: orjson.loads((repo / path).read_bytes())["provider_info"] for path in paths}
    serving = collections.Counter(providers.values())
    return next(p for p in paths if serving[providers[p]] >= 3 and kept not in p)


def test_the_sync_that_left_a_deleted_file_deleted_removes_it_though_it_wrote_only_telemetry(
    tmp_path: Path,
) -> None:
    capture = small_cut_at(HOUR, 8)
    repo = tmp_path / "archive"
    assert sync_small(repo, capture).commit_id
    slower, (kept,) = with_first_endpoints_edited(capture, [_slower])
    repriced = with_first_price_changed(capture)
    path = _deletable(repo, kept)
    endpoint = path_to_key(path)[1]
    as_person(repo, "rm", "-q", path)
    as_person(repo, "commit", "-q", "-m", "Drop a file")
    assert sync_small(repo, _without(slower, endpoint, 1)).commit_id
    telemetry_only = head(repo)
    written = git(repo, "show", "--name-only", "--format=", telemetry_only).split()
    assert written and all(name.startswith("data/telemetry/") for name in written)
    assert sync_small(repo, _without(repriced, endpoint, 2)).commit_id
    # git: the file is gone from that sync's tree.
    shown = subprocess.run(["git", "-C", str(repo), "cat-file", "-e", f"{telemetry_only}:{path}"])
    assert shown.returncode != 0
    at = HOUR + timedelta(hours=1)
    assert entity_at(repo, "endpoint", endpoint, at) is None
    newest = versions(repo, "endpoint", endpoint)[0]
    assert (newest.kind, newest.commit, newest.epoch) == ("removed", telemetry_only, at)
