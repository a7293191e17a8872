"""The site's chart series (`recent_endpoint_series`) read what every other reader reads.

It reads only the chart columns of each file, and it skipped a file holding none of them:
when upstream stopped sending `stats` and `status` (a day's file then has no such column),
every endpoint's chart went on showing its last latency and status as current, where
`iter_samples` (what a site built `--at` a time reads) and `archiver telemetry` show a gap.
It also took an array written as a patch cell (`{"@": ...}`) for the figure itself.

Real small captures synced at four hours up to a UTC midnight: the first as sent, the
second with one endpoint's `status` a long array, then that array shifted by one element,
and at midnight every endpoint sent without `stats` and `status`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from archiver.capture.files import Capture, CapturedResponse
from archiver.telemetry import CHART_FIELDS, Sample, iter_samples, recent_endpoint_series
from tests.small_captures import (
    ENDPOINT_LISTING,
    small_captures,
    sync_small,
    with_first_endpoints_edited,
)

__all__ = ["small_captures"]
# Long enough to be written as a patch cell when it shifts by one element.
STATUS = list(range(1000, 1080))


def _without_chart_figures(capture: Capture) -> Capture:
    """Return the capture with every listed endpoint sent without `stats` and `status`."""
    responses = []
    for response in capture.responses:
        if response.url.startswith(ENDPOINT_LISTING):
            items = [
                {k: v for k, v in item.items() if k not in ("stats", "status")}
                for item in response.body["data"]
            ]
            body = {**response.body, "data": items}
            response = CapturedResponse(response.method, response.url, response.status, body)
        responses.append(response)
    return replace(capture, responses=tuple(responses))


def _chart_view(samples: list[Sample]) -> list[dict[str, Any]]:
    """Return samples cut to the chart fields, each one that changes them (as charts read)."""
    kept: list[dict[str, Any]] = []
    for sample in samples:
        view: dict[str, Any] = {"epoch": sample["epoch"]}
        for name in CHART_FIELDS:
            *parents, leaf = name.split(".")
            holder: Any = sample
            for parent in parents:
                holder = holder.get(parent) if isinstance(holder, dict) else None
            if isinstance(holder, dict) and leaf in holder:
                target = view
                for parent in parents:
                    target = target.setdefault(parent, {})
                target[leaf] = holder[leaf]
        if not kept or {**kept[-1], "epoch": ""} != {**view, "epoch": ""}:
            kept.append(view)
    return kept


def test_chart_series_are_the_full_series_cut_to_the_chart_fields(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    first = small_captures[0].time.replace(hour=21, minute=0, second=0, microsecond=0)
    sync_small(repo, replace(small_captures[0], time=first))
    shifted = [*STATUS[1:], 7]
    for hour, status in ((1, STATUS), (2, shifted)):
        edit = [lambda item, status=status: {**item, "status": status}]
        second, (endpoint_id,) = with_first_endpoints_edited(small_captures[1], edit)
        assert not sync_small(repo, replace(second, time=first + timedelta(hours=hour))).failures
    # The shift is in the day's file as a patch cell.
    day = repo / f"data/telemetry/endpoint/{first:%Y/%m-%d}"
    assert any('{"@":' in path.read_text() for path in day.glob("*.tsv"))
    midnight = first + timedelta(hours=3)
    third = _without_chart_figures(small_captures[2])
    assert not sync_small(repo, replace(third, time=midnight)).failures
    full: dict[str, list[Sample]] = {}
    for key, sample in iter_samples(repo, "endpoint"):
        full.setdefault(key, []).append(sample)
    charts = recent_endpoint_series(repo)
    assert charts.keys() <= full.keys()
    before, after = charts[endpoint_id][-2:]
    assert before["epoch"] == f"{first + timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ}"
    assert before["status"] == shifted
    assert after == {"epoch": f"{midnight:%Y-%m-%dT%H:%M:%SZ}"}
    gaps = 0
    for key, samples in full.items():
        assert _chart_view(charts.get(key, [])) == _chart_view(samples), key
        gaps += _chart_view(samples)[-1].keys() == {"epoch"}
    # Most endpoints sent chart figures before midnight and none after: their charts break.
    assert gaps > len(full) // 2
