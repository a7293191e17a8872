"""The chart blocks of a page: pricing history and telemetry, a tab per metric that has data.

A model's block has a line per endpoint (gone ones too) and v1's list price; an endpoint's
has its own line, and its telemetry block latency and throughput over the last days the
archive holds. The SVG itself is drawn by :mod:`archiver.site.charts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from markupsafe import Markup

from archiver.site import formats
from archiver.site.cards import ChangeCard
from archiver.site.charts import ChartSeries, TimeChart, status_strip, time_chart
from archiver.site.metrics import DAYS, EndpointMetrics
from archiver.site.rows import EndpointRow, ModelRow
from archiver.site.timeline import PricePoint, Timeline

__all__ = [
    "ChartBlock",
    "MetricChart",
    "endpoint_price_block",
    "model_price_block",
    "telemetry_block",
    "telemetry_status_strip",
]

METRIC_LABELS = {
    "input": "Input",
    "output": "Output",
    "cache_read": "Cache read",
    "discount": "Discount",
}


@dataclass(frozen=True)
class MetricChart:
    """One tab of a chart block: its id, label and chart."""

    id: str
    label: str
    chart: TimeChart


@dataclass(frozen=True)
class ChartBlock:
    """Tabs of charts sharing range buttons (pricing history, telemetry)."""

    id: str
    title: str
    unit: str
    tabs: list[MetricChart]

    @property
    def ranges(self) -> tuple[str, ...]:
        """Return the ranges any tab offers, shortest first."""
        found: list[str] = []
        for tab in self.tabs:
            found += [name for name in tab.chart.ranges if name not in found]
        order = ["30d", "90d", "1y", "all"]
        return tuple(sorted(found, key=order.index))


def model_price_block(
    model: ModelRow,
    endpoints: Sequence[EndpointRow],
    history: Sequence[ChangeCard],
    timeline: Timeline,
    end: datetime,
) -> ChartBlock | None:
    """Return a model's pricing history: one line per endpoint (gone ones too), and v1's."""
    lines = [
        _Line(row.label, timeline.endpoint_prices.get(row.id, []), row.href) for row in endpoints
    ]
    seen = {row.id for row in endpoints}
    for card in history:
        if card.category == "endpoint" and card.key not in seen:
            seen.add(card.key)
            label = f"{card.provider_tag or card.provider_key} (gone)"
            lines.append(_Line(label, timeline.endpoint_prices.get(card.key, []), None))
    own = timeline.model_prices.get(model.key, [])
    if any(point.values for point in own):
        lines.append(_Line("OpenRouter list price (v1)", own, None, dashed=True))
    return _price_block("prices", f"Pricing history of {model.name}", lines, end)


def endpoint_price_block(row: EndpointRow, timeline: Timeline, end: datetime) -> ChartBlock | None:
    """Return one endpoint's pricing history."""
    line = _Line(row.label, timeline.endpoint_prices.get(row.id, []), None)
    return _price_block("prices", f"Pricing history of {row.label}", [line], end)


@dataclass(frozen=True)
class _Line:
    """One entity's prices to chart: its legend label, points and page."""

    label: str
    points: Sequence[PricePoint]
    href: str | None
    dashed: bool = False


def _price_block(
    block_id: str, title: str, lines: Sequence[_Line], end: datetime
) -> ChartBlock | None:
    """Return a tab per price metric that has data, each with a line per entity."""
    starts = [line.points[0].epoch for line in lines if line.points]
    if not starts:
        return None
    start = min(starts)
    tabs = []
    for metric, label in METRIC_LABELS.items():
        series = [
            ChartSeries(
                line.label,
                [(p.epoch, _value(p, metric)) for p in line.points],
                href=line.href,
                dashed=line.dashed,
            )
            for line in lines
            if line.points
        ]
        if not _worth_charting(series, metric):
            continue
        text = _percent_text if metric == "discount" else _money_text
        chart = time_chart(series, start, end, text, f"{label} price, {title}")
        tabs.append(MetricChart(metric, label, chart))
    unit = "$ per million tokens (discount in %)"
    return ChartBlock(block_id, title, unit, tabs) if tabs else None


def _worth_charting(series: Sequence[ChartSeries], metric: str) -> bool:
    """Tell whether a metric has values (for discount: any non-zero one)."""
    values = [value for line in series for _, value in line.points if value is not None]
    return any(values) if metric == "discount" else bool(values)


def telemetry_block(metrics: EndpointMetrics, end: datetime) -> ChartBlock | None:
    """Return an endpoint's latency and throughput over the last days the archive holds."""
    points = metrics.points
    if not points:
        return None
    start = points[0].epoch
    tabs = []
    figures = (
        ("latency", "Latency (p50)", [(p.epoch, p.latency_ms) for p in points], _ms_text),
        ("throughput", "Throughput (p50)", [(p.epoch, p.throughput) for p in points], _tps_text),
    )
    for metric, label, values, text in figures:
        series = [ChartSeries(label, values)]
        if any(value is not None for _, value in values):
            tabs.append(MetricChart(metric, label, time_chart(series, start, end, text, label)))
    title = f"Telemetry, last {DAYS} days"
    return ChartBlock("telemetry", title, "", tabs) if tabs else None


def telemetry_status_strip(metrics: EndpointMetrics, end: datetime) -> Markup | None:
    """Return the status strip of an endpoint's telemetry."""
    points = [(p.epoch, p.status) for p in metrics.points]
    if not any(status is not None for _, status in points):
        return None
    return status_strip(points, points[0][0], end, "Status over time")


def _value(point: PricePoint, metric: str) -> float | None:
    """Return one metric of a price point as a float (None: absent or unpriced)."""
    value = point.values.get(metric) if point.values else None
    return float(value) if value is not None else None


def _money_text(value: float) -> str:
    return formats.money(Decimal(str(round(value, 6))), free="$0")


def _percent_text(value: float) -> str:
    return f"{value:.0f}%"


def _ms_text(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _tps_text(value: float) -> str:
    return f"{value:.0f} tok/s"
