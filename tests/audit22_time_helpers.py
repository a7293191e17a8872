"""Helpers of the time audit (tests/test_audit22_time_*.py): the small captures moved to any
hour (their uptime windows with them), synced at hours past the machine's clock, and an
export compared table by table.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow.dataset as ds
from click.testing import CliRunner, Result

from archiver.archive.store import Store
from archiver.archive.synclog import SyncLog
from archiver.archive.unseen import unseen_endpoints
from archiver.capture.files import Capture, CapturedResponse, canonical_url, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.sync import SyncOptions, archive, fetch_upstream, sync, upstream_schedule
from archiver.times import format_epoch, hour_epoch
from archiver.upstream import sources
from tests.archive_helpers import capture_entities
from tests.small_captures import HERE, SMALL_DAILY, some_models, with_models_only

EXTRA = HERE / "extra"
# {endpointId: {hour as YYYY-MM-DDTHH:00:00Z: uptime as sent}}
Windows = dict[str, dict[str, Any]]


def quarter_captures() -> list[Capture]:
    """Return the three small daily captures with their uptime windows and documented
    listings, cut to a quarter of the first one's models (every kind of entity still there)."""
    daily = [read_capture(path) for path in SMALL_DAILY]
    keys = some_models(daily[0], 4, featured=4)
    cut = []
    for path, capture in zip(SMALL_DAILY, daily, strict=True):
        extra = read_capture(EXTRA / path.name)
        whole = dataclasses.replace(capture, responses=capture.responses + extra.responses)
        cut.append(with_models_only(whole, keys))
    return cut


def moved(capture: Capture, epoch: datetime) -> Capture:
    """Return a capture taken at epoch: its time and the hours of its uptime windows moved
    by the same amount (a window ends at the hour it was fetched)."""
    shift = epoch - hour_epoch(capture.time)
    responses = []
    for response in capture.responses:
        if urlsplit(response.url).path == sources.UPTIME_HOURLY and response.status == 200:
            history = [
                {**point, "date": _shifted(point["date"], shift)}
                for point in response.body["data"]["history"]
            ]
            body = {**response.body, "data": {**response.body["data"], "history": history}}
            response = CapturedResponse(response.method, response.url, response.status, body)
        responses.append(response)
    return dataclasses.replace(capture, time=epoch, responses=tuple(responses))


def _shifted(text: str, shift: timedelta) -> str:
    """Return an upstream hour ("YYYY-MM-DD HH:00:00") moved by shift, in the same spelling."""
    return (datetime.fromisoformat(text) + shift).strftime("%Y-%m-%d %H:%M:%S")


def uptime_windows(capture: Capture, requests: list[str]) -> Windows:
    """Return the uptime windows a sync asked for, as the capture holds them."""
    asked = {asked_url(url) for url in requests if urlsplit(url).path == sources.UPTIME_HOURLY}
    found: Windows = {}
    for response in capture.responses:
        if asked_url(response.url) in asked and response.status == 200:
            key = parse_qs(urlsplit(response.url).query)["id"][0]
            found[key] = {
                point["date"].replace(" ", "T") + "Z": point["uptime"]
                for point in response.body["data"]["history"]
            }
    return found


def asked_url(url: str) -> str:
    """Return a requested URL as the capture records it (the fetcher's cache buster left out)."""
    return canonical_url(url, ignore={"_"})


def sync_capture(repo: Path, capture: Capture) -> tuple[SyncLog, list[str]]:
    """Sync a capture at its time, as the hourly job does (every check on); return the log
    and the URLs it requested."""
    replay = ReplayTransport(capture)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time)
    return sync(repo, options), replay.requests


def sync_ahead_of_the_clock(repo: Path, capture: Capture) -> tuple[SyncLog, list[str]]:
    """Sync a capture at its time even when that is past this machine's clock (2028, 2099):
    fetch, then archive, as `publish` applies a fetched sync; only the clock check is left out.
    """
    replay = ReplayTransport(capture)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time)
    store = Store(repo)
    with store.lock("sync"):
        schedule = upstream_schedule(store, options)
        upstream = fetch_upstream(options, unseen=unseen_endpoints(store), schedule=schedule)
        log = upstream.new_log()
        share, writer = options.max_removal_share, options.telemetry_writer
        archive(store, upstream.observed, log, share, writer, upstream=upstream)
    return log, replay.requests


def cli(repo: Path, *args: str) -> Result:
    """Run one archiver command on repo in-process."""
    return CliRunner().invoke(main, [args[0], "--repo", str(repo), *args[1:]])


def cli_json(repo: Path, *args: str) -> Any:
    """Return a command's JSON output (it must succeed)."""
    result = cli(repo, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def one_line_refusal(result: Result, *words: str) -> str:
    """Return the one error line of a refused command, checking it names the words given."""
    assert result.exit_code in (1, 2, 3), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def export_tables(out: Path) -> dict[str, list[dict[str, Any]]]:
    """Return every table of an export, its rows sorted, with their month partition."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for folder in sorted(path for path in out.iterdir() if path.is_dir()):
        rows = ds.dataset(folder, partitioning="hive").to_table().to_pylist()
        tables[folder.name] = sorted(rows, key=lambda row: repr(sorted(row.items())))
    return tables


def months(out: Path, table: str) -> list[str]:
    """Return the month partitions of one exported table."""
    return sorted(path.name.removeprefix("month=") for path in (out / table).iterdir())


def moving_endpoints(captures: list[Capture]) -> dict[str, list[Any]]:
    """Return {endpoint id: its status_heuristics each hour} of endpoints in every capture
    whose figures differ from each hour to the next, read from the raw bodies."""
    hours = [capture_entities(capture).endpoint_objects for capture in captures]
    common = set.intersection(*(set(endpoints) for endpoints in hours))
    figures = {key: [hour[key].get("status_heuristics") for hour in hours] for key in common}
    chosen = {
        key: values
        for key, values in sorted(figures.items())
        if all(values) and all(a != b for a, b in itertools.pairwise(values))
    }
    assert len(chosen) >= 2, "the small captures hold endpoints whose figures move"
    return dict(list(chosen.items())[:3])


def stamps(*epochs: datetime) -> list[str]:
    """Return epochs as the archive spells them."""
    return [format_epoch(epoch) for epoch in epochs]
