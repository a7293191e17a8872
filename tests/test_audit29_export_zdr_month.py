"""A month in which only the zero-data-retention list moved keeps its changes in the export.

`archiver changes` tells an endpoint joining or leaving the ZDR list as a change of that
endpoint. A full export filed changes only in the months where some entity version began or
ended, so a sync whose only news was the list (the catalog otherwise as the hour before)
had its changes in an incremental export and in `archiver changes`, and none in a fresh
export of the same commit. Real small captures, two real syncs, the command line.
(Found by a helper's hunt comparing incremental and fresh exports.)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow.parquet as pq
from click.testing import CliRunner

from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.cli import main
from archiver.export import export_parquet
from archiver.export.parquet import partition_path
from tests.small_captures import HERE, SMALL_DAILY, sync_small

ZDR = "/api/v1/endpoints/zdr"
AUGUST = datetime(2026, 8, 1, 3, tzinfo=UTC)


def _with_zdr(path: Path) -> Capture:
    """Return a small daily capture that also answers its ZDR list."""
    daily = read_capture(path)
    listing = read_capture(HERE / "zdr" / path.name)
    return replace(daily, responses=daily.responses + listing.responses)


def _without_first_member(capture: Capture, when: datetime) -> Capture:
    """Return the capture at another time, its ZDR list lacking its first entry."""
    responses = tuple(
        CapturedResponse(r.method, r.url, r.status, {**r.body, "data": r.body["data"][1:]})
        if r.url == ZDR
        else r
        for r in capture.responses
    )
    return replace(capture, time=when, responses=responses)


def _changes(out: Path, month: str) -> list[tuple[str, str, list[str]]]:
    path = partition_path(out, "changes", month)
    rows = pq.read_table(path).to_pylist() if path.is_file() else []
    return sorted((row["commit"], row["key"], row["kinds"]) for row in rows)


def test_a_month_where_only_the_zdr_list_moved_has_its_changes(tmp_path: Path) -> None:
    repo = tmp_path / "archive"
    july = _with_zdr(SMALL_DAILY[0])
    assert sync_small(repo, july).commit_id
    incremental = tmp_path / "incremental"
    export_parquet(repo, incremental)
    log = sync_small(repo, _without_first_member(july, AUGUST))
    assert log.commit_id and not log.failures, log.failures
    export_parquet(repo, incremental)
    fresh = tmp_path / "fresh"
    export_parquet(repo, fresh)

    result = CliRunner().invoke(
        main, ["changes", "--repo", str(repo), "--since", "2026-08-01T00:00:00Z", "--json"]
    )
    assert result.exit_code == 0, result.output
    told = sorted(
        (group["commit"], change["key"], change["kinds"])
        for group in orjson.loads(result.stdout)
        for change in group["changes"]
    )
    assert [kinds for _, _, kinds in told] == [["zdr"]]
    assert _changes(incremental, "2026-08") == told
    assert _changes(fresh, "2026-08") == told
