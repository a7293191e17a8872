"""Two syncs in one hour leave the telemetry files the later sync alone would have left.

A rerun (a manual run, a delayed schedule) whose figures differ from the first run's rewrote
the hour's lines, but kept what only the first run had made: the column of a field only it
saw stayed in line 1 with no line using it, and a file the first run started at the day's
first hour stayed, holding a restatement of the day before (or only its header), though
nothing had changed since: a file the later sync alone never writes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pygit2
import pytest

from archiver.capture.files import Capture
from tests.small_captures import (
    first_listed_models,
    small_captures,
    sync_small,
    with_endpoint_edited,
    with_models_only,
)

__all__ = ["small_captures"]  # A fixture this module's own fixture uses.

BEFORE = datetime(2026, 7, 16, 23, tzinfo=UTC)
HOUR = datetime(2026, 7, 17, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def base(small_captures: list[Capture]) -> Capture:
    """Return the first small capture cut to the models of its first two listings."""
    capture = small_captures[0]
    return with_models_only(capture, first_listed_models(capture, 2))


def first_endpoint(capture: Capture) -> str:
    """Return the id of the first endpoint of the capture's first non-empty listing."""
    for response in capture.responses:
        items = response.body.get("data") if isinstance(response.body, dict) else None
        if response.url.startswith("/api/frontend/v1/stats/endpoint?") and items:
            return str(items[0]["id"])
    raise AssertionError("no endpoint listing")


def synced(repo: Path, captures: list[tuple[datetime, Capture]]) -> dict[str, str]:
    """Sync the captures in turn at their times; return HEAD's telemetry files and blobs."""
    for when, capture in captures:
        log = sync_small(repo, replace(capture, time=when))
        assert not log.failures, log.failures
    tree = pygit2.Repository(str(repo)).head.peel(pygit2.Commit).tree
    files: dict[str, str] = {}

    def walk(node: Any, prefix: str) -> None:
        for entry in node:
            if isinstance(entry, pygit2.Tree):
                walk(entry, f"{prefix}{entry.name}/")
            else:
                files[f"{prefix}{entry.name}"] = str(entry.id)

    walk(tree["data/telemetry"], "data/telemetry/")
    return files


def test_a_rerun_of_the_days_first_hour_that_changes_nothing_leaves_no_new_file(
    base: Capture, tmp_path: Path
) -> None:
    endpoint = first_endpoint(base)

    def slower(item: dict[str, Any]) -> None:
        item["stats"]["p50_latency"] = 123456

    first_run = with_endpoint_edited(base, endpoint, slower)
    rerun = synced(tmp_path / "rerun", [(BEFORE, base), (HOUR, first_run), (HOUR, base)])
    alone = synced(tmp_path / "alone", [(BEFORE, base), (HOUR, base)])
    assert rerun == alone


def test_a_rerun_of_the_days_first_hour_keeps_no_file_of_a_key_now_unseen(
    base: Capture, tmp_path: Path
) -> None:
    endpoint = first_endpoint(base)

    def without_figures(item: dict[str, Any]) -> None:
        for name in [n for n in item if n.startswith(("stats", "status"))]:
            del item[name]

    # The endpoint has no figures before the hour (a gap), some in the first run, none after.
    bare = with_endpoint_edited(base, endpoint, without_figures)
    rerun = synced(tmp_path / "rerun", [(BEFORE, bare), (HOUR, base), (HOUR, bare)])
    alone = synced(tmp_path / "alone", [(BEFORE, bare), (HOUR, bare)])
    assert rerun == alone


def test_a_rerun_keeps_no_column_of_a_field_only_the_first_run_saw(
    base: Capture, tmp_path: Path
) -> None:
    endpoint = first_endpoint(base)

    def with_new_field(item: dict[str, Any]) -> None:
        item["stats"]["p50_latency"] = 1
        item["stats"]["p42_latency"] = 2

    def slower(item: dict[str, Any]) -> None:
        item["stats"]["p50_latency"] = 3

    first_run = with_endpoint_edited(base, endpoint, with_new_field)
    second_run = with_endpoint_edited(base, endpoint, slower)
    later = HOUR.replace(hour=5)
    rerun = synced(tmp_path / "rerun", [(HOUR, base), (later, first_run), (later, second_run)])
    alone = synced(tmp_path / "alone", [(HOUR, base), (later, second_run)])
    assert rerun == alone
