"""The polite schedule of the daily-bucket sources: pure rule over 48 simulated hours, then
real hourly syncs of the small captures through midnight (in-process replay)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archiver.archive.store import Store
from archiver.archive.trailers import sync_epoch
from archiver.archive.unseen import archived_models
from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import VARIANT_TELEMETRY, SyncOptions, sync
from archiver.telemetry import series
from archiver.upstream import sources
from archiver.upstream.entities import Variant, catalog_variants
from archiver.upstream.fetch import Response
from archiver.upstream.schedule import DAILY_BUCKET_PERIOD, Schedule, epoch_hour, phase
from tests.small_captures import small_captures  # noqa: F401 (a fixture)

HOURS = 48
START = datetime(2026, 7, 18, 0, tzinfo=UTC)
PER_VARIANT = tuple(VARIANT_TELEMETRY.values())


def capture_variants(capture: Capture) -> dict[str, Variant]:
    """Return the catalog's model variants in a capture, as a sync finds them."""
    for response in capture.responses:
        if response.url == sources.CATALOG_MODELS:
            catalog = Response(response.url, data=response.body, status=response.status)
            return catalog_variants(catalog)
    raise AssertionError("the capture has no catalog")


def variant_keys(capture: Capture) -> list[str]:
    """Return the catalog's model variant keys in a capture."""
    return list(capture_variants(capture))


def hourly(
    start: datetime, hours: int, skipped: frozenset[int] = frozenset()
) -> Iterator[Schedule]:
    """Yield the schedule of each hourly sync from start (after a sync at start - 1 h)."""
    previous = start - timedelta(hours=1)
    for hour in range(hours):
        if hour in skipped:
            continue
        epoch = start + timedelta(hours=hour)
        yield Schedule.between(previous, epoch)
        previous = epoch


@pytest.fixture(scope="module")
def keys(small_captures: list[Capture]) -> list[str]:  # noqa: F811
    """Return the variant keys of the first small capture (the real key set)."""
    found = variant_keys(small_captures[0])
    assert len(found) > 4 * DAILY_BUCKET_PERIOD
    return found


def test_every_key_is_fetched_once_per_period_and_each_sync_takes_its_share(
    keys: list[str],
) -> None:
    fetched: dict[str, list[int]] = {key: [] for key in keys}
    per_sync = []
    for schedule in hourly(START, HOURS):
        due, later = schedule.split(keys)
        assert sorted(due + later) == sorted(keys)
        per_sync.append(len(due))
        for key in due:
            fetched[key].append(schedule.hour)
    for key, hours in fetched.items():
        assert len(hours) == HOURS // DAILY_BUCKET_PERIOD, key
        assert {b - a for a, b in itertools.pairwise(hours)} == {DAILY_BUCKET_PERIOD}
        assert all(
            (hour + phase(key, DAILY_BUCKET_PERIOD)) % DAILY_BUCKET_PERIOD == 0 for hour in hours
        )
    # Spread, not a burst: the requests are split over every hour of the period, each
    # hour's share near an even split (the hash is uniform; the slack bounds its luck).
    assert sum(per_sync) == len(keys) * HOURS // DAILY_BUCKET_PERIOD
    even = len(keys) / DAILY_BUCKET_PERIOD
    assert min(per_sync) > 0
    assert max(per_sync) <= math.ceil(2 * even)


def test_the_first_fetch_after_midnight_holds_each_day_final_bucket(keys: list[str]) -> None:
    midnight_hours = {epoch_hour(START + timedelta(days=day)) for day in (1,)}
    fetched_after: dict[int, set[str]] = {hour: set() for hour in midnight_hours}
    for schedule in hourly(START, HOURS):
        for midnight in midnight_hours:
            if midnight <= schedule.hour < midnight + DAILY_BUCKET_PERIOD:
                fetched_after[midnight].update(schedule.split(keys)[0])
    # Every variant is fetched within the period after each midnight: yesterday's bucket,
    # final once the day ended, is in that reply (and in the windows for days after).
    for midnight, fetched in fetched_after.items():
        assert fetched == set(keys), midnight


def test_a_missed_hour_is_caught_up_at_the_next_sync(keys: list[str]) -> None:
    missed = frozenset({5, 6, 7})
    last: dict[str, int] = {key: epoch_hour(START) - 1 for key in keys}
    longest = 0
    for schedule in hourly(START, HOURS, skipped=missed):
        for key in schedule.split(keys)[0]:
            longest = max(longest, schedule.hour - last[key])
            last[key] = schedule.hour
    # The keys due at 05:00-07:00 are fetched at 08:00: late by the gap, never skipped.
    assert longest <= DAILY_BUCKET_PERIOD + len(missed)
    caught_up = Schedule.between(START + timedelta(hours=4), START + timedelta(hours=8))
    slots = {
        key
        for key in keys
        for hour in range(5, 9)
        if (epoch_hour(START) + hour + phase(key, DAILY_BUCKET_PERIOD)) % DAILY_BUCKET_PERIOD == 0
    }
    assert set(caught_up.split(keys)[0]) == slots


def test_first_sync_long_gap_and_repeated_hour(keys: list[str]) -> None:
    assert Schedule.between(None, START).split(keys)[0] == keys
    long_gap = Schedule.between(START, START + timedelta(hours=DAILY_BUCKET_PERIOD))
    assert long_gap.split(keys)[0] == keys
    assert Schedule.between(START, START + timedelta(minutes=50)).split(keys)[0] == []
    with pytest.raises(ValueError, match="divide 24"):
        Schedule.between(None, START, period=7)


# --- real syncs ------------------------------------------------------------------------


def telemetry_rows(repo: Path, stamp: str) -> dict[str, str]:
    """Return {key: first figure cell} of the model_variant rows written at one epoch."""
    rows: dict[str, str] = {}
    for path in (repo / "data/telemetry/model_variant").rglob("*.tsv"):
        epoch = ""
        for line in path.read_text().splitlines()[1:]:
            cells = line.split("\t")
            epoch = cells[0] or epoch  # An empty epoch cell is the line above's (format 2).
            if epoch == f'"{stamp}"':
                rows[cells[1].strip('"')] = cells[2] if len(cells) > 2 else ""
    return rows


def variant_requests(urls: list[str]) -> int:
    """Return how many of the URLs are per-variant daily-bucket requests."""
    return sum(url.split("?", 1)[0] in PER_VARIANT for url in urls)


def file_keys(path: Path) -> set[str]:
    """Return the keys a telemetry file has rows for."""
    return {line.split("\t")[1].strip('"') for line in path.read_text().splitlines()[1:]}


def variant_figures(capture: Capture, path: str) -> dict[str, object]:
    """Return {variant key: figures} of one per-variant source in a capture (200s only)."""
    variants = capture_variants(capture)
    bodies = {r.url: r.body for r in capture.responses if r.status == 200}
    return {
        key: bodies[variant.url(path)]["data"]
        for key, variant in variants.items()
        if variant.url(path) in bodies
    }


def test_hourly_syncs_through_midnight(small_captures: list[Capture], tmp_path: Path) -> None:  # noqa: F811
    """Real syncs from 20:00 to a period after midnight: the budget, every variant fetched
    after midnight, unfetched variants untouched (no row, no gap), each day's last value kept."""
    first, later = small_captures[0], small_captures[1]
    keys = variant_keys(later)
    repo = tmp_path / "archive"
    start = datetime(2026, 7, 18, 20, tzinfo=UTC)
    # The first capture at 19:00 (a first sync: every variant), then the second hourly.
    replay = ReplayTransport(first)
    options = SyncOptions(
        base_url=replay.base_url, transport=replay, epoch=start - timedelta(hours=1)
    )
    log = sync(repo, options)
    assert variant_requests(replay.requests) == len(PER_VARIANT) * len(variant_keys(first))
    assert log.commit_id and not log.failures
    replay = ReplayTransport(later)
    store = Store(repo)
    after_midnight: set[str] = set()
    for hour in range(4 + DAILY_BUCKET_PERIOD):
        epoch = start + timedelta(hours=hour)
        before = store.tracked("data/telemetry/model_variant/")
        seen = len(replay.requests)
        # The schedule runs from the last sync that committed: a sync that changed nothing
        # leaves no trace, so the next one takes its share again (the same capture replayed
        # hour after hour changes nothing once every variant has been fetched).
        head = store.head
        assert head is not None
        previous = sync_epoch(head)
        assert previous is not None
        # A variant the archive holds no model of (new, or back) is due at once.
        known = archived_models(store)
        log = sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch))
        assert not log.failures, log.failures
        due, unfetched = Schedule.between(previous, epoch, known=known).split(keys)
        requests = replay.requests[seen:]
        assert variant_requests(requests) == len(PER_VARIANT) * len(due)
        assert log.requests == len(requests)
        for path in PER_VARIANT:
            assert log.requests_by_source.get(path, 0) == len(due)
        # The budget: the hourly sources plus this hour's share of the variants.
        hours = epoch_hour(epoch) - epoch_hour(previous)
        share = math.ceil(2 * len(keys) * hours / DAILY_BUCKET_PERIOD)
        assert variant_requests(requests) <= len(PER_VARIANT) * share
        rows = telemetry_rows(repo, f"{epoch:%Y-%m-%dT%H:%M:%SZ}")
        assert not set(rows) & set(unfetched), "an unfetched variant got a row or a gap"
        now = store.tracked("data/telemetry/model_variant/")
        for path, blob in before.items():
            if path in now and file_keys(repo / path) <= set(unfetched):
                assert now[path] == blob, f"{path} holds only unfetched variants, yet changed"
        if epoch.day == 19:
            after_midnight.update(due)
    assert after_midnight == set(keys), "a variant was not fetched in the hours after midnight"
    # Each variant's latest figures are the second capture's, whole, and never a gap.
    activity = variant_figures(later, sources.MODEL_ACTIVITY)
    pricing = variant_figures(later, sources.EFFECTIVE_PRICING)
    checked = 0
    for key in sorted(set(activity) & set(pricing)):
        samples = series(repo, "model_variant", key)
        assert samples and all(len(sample) > 1 for sample in samples), f"{key} has a gap"
        assert samples[-1]["model_activity"] == activity[key]
        assert samples[-1]["effective_pricing"] == pricing[key]
        checked += 1
    assert checked > len(keys) // 2
