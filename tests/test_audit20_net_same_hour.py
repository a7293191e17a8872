"""Two syncs of one hour leave each series one sample at that hour: the later sync's.

A rerun in the same hour (a manual run after the scheduled one, a delayed cron) is allowed
(`sync --epoch` at the latest epoch still runs). When upstream changed in between, the
second sync appended its rows after the first's under the same epoch: every changed key
got two samples at one epoch, so "the figures at 19:00" had two answers in the series, the
charts and the Parquet export. Real small captures, the second hour synced twice.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from archiver.capture.faults import Fault
from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.telemetry import Sample, iter_samples
from archiver.times import format_epoch, hour_epoch
from archiver.upstream.fetch import FetchPolicy
from tests.small_captures import copy_archive, small_archive, small_base, small_captures, sync_small

__all__ = ["small_archive", "small_base", "small_captures"]

# The kinds every sync fetches whole (model_variant is fetched on a schedule: a second sync
# of an hour fetches none of it, so only its sample count is compared).
EVERY_HOUR = ("endpoint", "model")
ENDPOINT_LISTING = "/api/frontend/v1/stats/endpoint?"


def _series(repo: Path, kind: str) -> dict[str, list[Sample]]:
    """Return every series of one kind."""
    found: dict[str, list[Sample]] = {}
    for key, sample in iter_samples(repo, kind):
        found.setdefault(key, []).append(sample)
    return found


@pytest.mark.parametrize("day", ["same-day", "next-day"])
def test_a_second_sync_of_the_hour_replaces_the_first_ones_samples(
    small_archive: Path, small_base: Path, small_captures: list[Capture], day: str
) -> None:
    first = small_captures[0].time
    # Next day: the hour's first sync starts each day file, which the second starts again.
    midnight = first.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    hour = first + timedelta(hours=1) if day == "same-day" else midnight
    earlier, later = (dataclasses.replace(c, time=hour) for c in small_captures[1:])
    assert not sync_small(small_archive, earlier).failures
    assert sync_small(small_archive, later).commit_id  # upstream changed within the hour
    only_later = copy_archive(small_base, small_archive.parent / "only-later")
    assert not sync_small(only_later, later).failures

    for kind in (*EVERY_HOUR, "model_variant"):
        for key, samples in _series(small_archive, kind).items():
            epochs = Counter(sample["epoch"] for sample in samples)
            assert max(epochs.values()) == 1, (kind, key, epochs)
    for kind in EVERY_HOUR:
        assert _series(small_archive, kind) == _series(only_later, kind), kind
    # The variants due this hour were fetched by the earlier sync alone: its samples stand.
    only_earlier = copy_archive(small_base, small_archive.parent / "only-earlier")
    assert not sync_small(only_earlier, earlier).failures
    variants = _series(only_earlier, "model_variant")
    if day == "next-day":  # A new day's buckets: variants are due, and their figures moved.
        hours = {sample["epoch"] for series in variants.values() for sample in series}
        assert format_epoch(hour) in hours
    assert _series(small_archive, "model_variant") == variants


def test_a_key_the_second_sync_of_the_hour_did_not_fetch_keeps_the_first_ones_sample(
    small_archive: Path, small_base: Path, small_captures: list[Capture]
) -> None:
    hour = small_captures[0].time + timedelta(hours=1)
    earlier, later = (dataclasses.replace(c, time=hour) for c in small_captures[1:])
    assert not sync_small(small_archive, earlier).failures
    only_earlier = copy_archive(small_base, small_archive.parent / "only-earlier")
    assert not sync_small(only_earlier, earlier).failures
    before = _series(only_earlier, "endpoint")
    # One model's endpoint listing fails in the second sync: its endpoints are not fetched.
    listing = next(
        response
        for response in later.responses
        if response.url.startswith(ENDPOINT_LISTING)
        and {item["id"] for item in response.body["data"]} & before.keys()
        and any(
            before[item["id"]][-1]["epoch"] == format_epoch(hour_epoch(hour))
            for item in response.body["data"]
            if item["id"] in before
        )
    )
    unfetched = {item["id"] for item in listing.body["data"]} & before.keys()
    replay = ReplayTransport(later, faults=[Fault(listing.url, status=500)])
    policy = dataclasses.replace(FetchPolicy(), attempts=1)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=hour, policy=policy)
    log = sync(small_archive, options)
    assert log.commit_id and any("endpoints of" in failure for failure in log.failures)

    after = _series(small_archive, "endpoint")
    assert {key: after[key] for key in unfetched} == {key: before[key] for key in unfetched}
