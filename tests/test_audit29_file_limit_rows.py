"""One key's figures too large for its telemetry file cost that key's sample only.

The writer made the sync's rows (moving each key's state on), then took its snapshot of the
file: an overflow put back a state already holding the new figures, so writing again without
the largest key found every other key unchanged and wrote none of them. Every endpoint of
the shard lost that hour's figures, and each hour after it while the large one stayed.

Real small captures synced as hours of one day: one endpoint sends a third of the file limit
an hour, so its third hour overflows, while the others' figures change in that hour. The
captures are cut to the models of that endpoint and of a few others of its telemetry shard
whose figures change (seven syncs of the whole small captures were most of the time).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from archiver.canonical import MAX_FILE_BYTES
from archiver.capture.files import Capture
from archiver.telemetry.layout import digest
from archiver.telemetry.reader import endpoint_series
from tests.archive_helpers import capture_entities
from tests.small_captures import (
    copy_archive,
    small_captures,
    sync_small,
    with_first_endpoints_edited,
    with_models_only,
)

__all__ = ["small_captures"]
# A third of the limit an hour: the file holds two such hours, never three.
HUGE = MAX_FILE_BYTES // 3
SHARD_MATES = 3  # Other endpoints of the hostile one's shard kept in the cut captures.


def _hostile(capture: Capture, hour: int) -> Capture:
    """Return the capture with its first listed endpoint's stats holding HUGE characters."""

    def edit(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "stats": {**(item.get("stats") or {}), "note": str(hour) * HUGE}}

    return with_first_endpoints_edited(capture, [edit])[0]


def _shard_cut(captures: list[Capture]) -> list[Capture]:
    """Return the captures cut to the models of the endpoint the edits hit (the first listed)
    and of SHARD_MATES others of its shard whose listing changes from the second capture to
    the third."""
    key = with_first_endpoints_edited(captures[1], [lambda item: item])[1][0]
    second, third = (capture_entities(c).endpoint_objects for c in captures[1:])
    mates = sorted(
        other
        for other in second.keys() & third.keys()
        if other != key and digest(other)[0] == digest(key)[0] and second[other] != third[other]
    )[:SHARD_MATES]
    assert len(mates) == SHARD_MATES, "the small captures changed: too few shard mates"
    keys = {str(second[endpoint]["model_variant_slug"]) for endpoint in [key, *mates]}
    return [with_models_only(capture, keys) for capture in captures]


def test_the_other_keys_of_an_overflowing_file_keep_their_changed_figures(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    captures = _shard_cut(small_captures)
    base = tmp_path / "base"
    sync_small(base, captures[0])
    start = captures[0].time.replace(minute=0, second=0, microsecond=0)
    # Hours 1 and 2 the same figures, hour 3 new ones (the third capture) for every endpoint.
    hours = [(1, captures[1]), (2, captures[1]), (3, captures[2])]
    attacked, clean = copy_archive(base, tmp_path / "attacked"), copy_archive(base, tmp_path / "c")
    key = with_first_endpoints_edited(captures[1], [lambda item: item])[1][0]
    logs = []
    for hour, capture in hours:
        at = start + timedelta(hours=hour)
        logs.append(sync_small(attacked, replace(_hostile(capture, hour), time=at)))
        sync_small(clean, replace(capture, time=at))
    assert not logs[0].failures and not logs[1].failures
    assert [line for line in logs[2].failures if "past the 50 MiB" in line], logs[2].failures
    third = f"{start + timedelta(hours=3):%Y-%m-%dT%H:%M:%SZ}"
    shard = [
        path.stem
        for path in (clean / "data/endpoint").glob("*.json")
        if path.stem != key and digest(path.stem)[0] == digest(key)[0]
    ]
    # The hostile endpoint's shard holds others whose figures changed in the third hour.
    assert any(endpoint_series(clean, other)[-1]["epoch"] == third for other in shard)
    for other in shard:
        assert endpoint_series(attacked, other) == endpoint_series(clean, other), other
    assert endpoint_series(attacked, key)[-1] == {"epoch": third}
