"""Endpoint telemetry for the site: latest latency, throughput and status, and 30 days of them.

Read through :mod:`archiver.telemetry.store` when the archive holds telemetry; an archive
without it (or a build without that module) gives no figures and no charts, never an error.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.errors import ArchiverError
from archiver.site.gaps import TELEMETRY_ALLOWANCE, Record
from archiver.times import parse_time, stamp

__all__ = ["DAYS", "EndpointMetrics", "MetricPoint", "load_metrics"]

DAYS = 30


@dataclass(frozen=True)
class MetricPoint:
    """One endpoint's figures from one sync (None: not reported; all None: not observed)."""

    epoch: datetime
    latency_ms: float | None
    throughput: float | None
    status: int | None
    requests: int | None

    @property
    def observed(self) -> bool:
        """Tell whether the endpoint reported anything at this epoch."""
        return any(v is not None for v in (self.latency_ms, self.throughput, self.status))


@dataclass(frozen=True)
class EndpointMetrics:
    """One endpoint's telemetry over the last DAYS days, oldest first."""

    points: tuple[MetricPoint, ...]
    # Hourly uptime (archiver.telemetry.uptime): (hour, percentage or None), oldest first,
    # and its means over the last day and the last DAYS days before the newest hour archived.
    uptime: tuple[tuple[datetime, float | None], ...] = ()
    uptime_24h: float | None = None
    uptime_30d: float | None = None
    # When the archive recorded endpoint telemetry (any endpoint's lines), shared by all.
    recorded: Record | None = None

    @property
    def latest(self) -> MetricPoint | None:
        """Return the newest point, if the endpoint was observed then."""
        if self.points and self.points[-1].observed:
            return self.points[-1]
        return None


def load_metrics(
    repo_path: str | Path, at: datetime | None, problems: list[str]
) -> dict[str, EndpointMetrics]:
    """Return {endpointId: metrics}; empty (with a note in problems) when unavailable."""
    try:
        store: Any = importlib.import_module("archiver.telemetry")
    except ImportError:
        return {}
    try:
        if at is None:
            samples = store.recent_endpoint_series(repo_path, days=DAYS)
        else:
            since = (at - timedelta(days=DAYS)).isoformat()
            samples = _grouped(store.iter_samples(repo_path, "endpoint", since, at.isoformat()))
    except (ArchiverError, OSError, ValueError, AttributeError) as error:
        problems.append(f"telemetry not shown: {error}")
        return {}
    metrics = {
        str(key): EndpointMetrics(tuple(_point(sample) for sample in rows))
        for key, rows in samples.items()
        if rows
    }
    # A key gets a line only when its figures change: the syncs that recorded endpoint
    # telemetry are the epochs any key's lines name.
    record = Record.of(
        (point.epoch for found in metrics.values() for point in found.points), TELEMETRY_ALLOWANCE
    )
    return {
        key: replace(found, recorded=record)
        for key, found in _with_uptime(metrics, repo_path, at, problems).items()
    }


def _with_uptime(
    metrics: dict[str, EndpointMetrics],
    repo_path: str | Path,
    at: datetime | None,
    problems: list[str],
) -> dict[str, EndpointMetrics]:
    """Return the metrics with each endpoint's hourly uptime and its 24-hour and 30-day means."""
    try:
        uptime: Any = importlib.import_module("archiver.telemetry.uptime")
        if at is None:
            series = uptime.recent_uptime(repo_path, days=DAYS + 1)
        else:
            since = (at - timedelta(days=DAYS + 1)).isoformat()
            series = uptime.uptime_between(repo_path, since, at.isoformat())
    except ImportError:
        return metrics
    except (ArchiverError, OSError, ValueError, AttributeError) as error:
        problems.append(f"uptime not shown: {error}")
        return metrics
    newest = max((points[-1][0] for points in series.values() if points), default="")
    if not newest:
        return metrics
    end = parse_time(newest)
    day, month = (
        _hour_text(end - timedelta(hours=23)),
        _hour_text(end - timedelta(days=DAYS) + timedelta(hours=1)),
    )
    for key, points in series.items():
        found = metrics.get(key) or EndpointMetrics(())
        hourly = tuple((parse_time(when), _number(value)) for when, value in points)
        metrics[key] = replace(
            found,
            uptime=tuple(p for p in hourly if p[0] > end - timedelta(days=DAYS)),
            uptime_24h=uptime.mean_uptime(points, day),
            uptime_30d=uptime.mean_uptime(points, month),
        )
    return metrics


def _hour_text(moment: datetime) -> str:
    """Return an hour as the uptime series spell it."""
    return stamp(moment, "%Y-%m-%dT%H:00:00Z")


def _grouped(pairs: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, list[Mapping[str, Any]]]:
    """Return samples grouped by key, keeping their order."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for key, sample in pairs:
        grouped.setdefault(key, []).append(sample)
    return grouped


def _point(sample: Mapping[str, Any]) -> MetricPoint:
    """Return the figures the site charts from one telemetry sample."""
    stats = sample.get("stats")
    stats = stats if isinstance(stats, Mapping) else {}
    status = sample.get("status")
    return MetricPoint(
        epoch=parse_time(str(sample["epoch"])),
        latency_ms=_number(stats.get("p50_latency")),
        throughput=_number(stats.get("p50_throughput")),
        status=status if isinstance(status, int) and not isinstance(status, bool) else None,
        requests=_whole(stats.get("request_count")),
    )


def _number(value: Any) -> float | None:
    """Return a figure as a float, or None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # An upstream integer of 400 digits: no figure a chart can draw.
        return None
    return number if math.isfinite(number) else None


def _whole(value: Any) -> int | None:
    """Return a count as an int, or None."""
    number = _number(value)
    return int(number) if number is not None else None
