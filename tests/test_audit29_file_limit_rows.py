"""One key's figures too large for its telemetry file cost that key's sample only.

The writer made the sync's rows (moving each key's state on), then took its snapshot of the
file: an overflow put back a state already holding the new figures, so writing again without
the largest key found every other key unchanged and wrote none of them. Every endpoint of
the shard lost that hour's figures, and each hour after it while the large one stayed.

Real small captures synced as hours of one day: one endpoint sends a third of the file limit
an hour, so its third hour overflows, while the others' figures change in that hour.
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
from tests.small_captures import (
    copy_archive,
    small_captures,
    sync_small,
    with_first_endpoints_edited,
)

__all__ = ["small_captures"]
# A third of the limit an hour: the file holds two such hours, never three.
HUGE = MAX_FILE_BYTES // 3


def _hostile(capture: Capture, hour: int) -> Capture:
    """Return the capture with its first listed endpoint's stats holding HUGE characters."""

    def edit(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "stats": {**(item.get("stats") or {}), "note": str(hour) * HUGE}}

    return with_first_endpoints_edited(capture, [edit])[0]


def test_the_other_keys_of_an_overflowing_file_keep_their_changed_figures(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    base = tmp_path / "base"
    sync_small(base, small_captures[0])
    start = small_captures[0].time.replace(minute=0, second=0, microsecond=0)
    # Hours 1 and 2 the same figures, hour 3 new ones (the third capture) for every endpoint.
    hours = [(1, small_captures[1]), (2, small_captures[1]), (3, small_captures[2])]
    attacked, clean = copy_archive(base, tmp_path / "attacked"), copy_archive(base, tmp_path / "c")
    key = with_first_endpoints_edited(small_captures[1], [lambda item: item])[1][0]
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
