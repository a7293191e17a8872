"""Endpoint telemetry for the site: latest latency, throughput and status, and 30 days of them.

Read through :mod:`archiver.telemetry.store` when the archive holds telemetry; an archive
without it (or a build without that module) gives no figures and no charts, never an error.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.errors import ArchiverError
from archiver.times import parse_time

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
    return {
        str(key): EndpointMetrics(tuple(_point(sample) for sample in rows))
        for key, rows in samples.items()
        if rows
    }


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
    return float(value)


def _whole(value: Any) -> int | None:
    """Return a count as an int, or None."""
    number = _number(value)
    return int(number) if number is not None else None
