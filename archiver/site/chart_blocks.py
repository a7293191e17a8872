"""The chart blocks of a page: pricing history and telemetry, a tab per metric that has data.

A model's block has a line per endpoint (gone ones too) and v1's list price; an endpoint's
has its own line, and its telemetry block latency and throughput over the last days the
archive holds. The SVG itself is drawn by :mod:`archiver.site.charts`. Every line breaks
where the archive recorded nothing (a stopped job): :mod:`archiver.site.gaps` decides where.

A popular model has 30 and more endpoints: all their lines at once are unreadable, so a
model's chart shows by default the cheapest few and the most used few (requests in the
archive's endpoint telemetry), and the rest behind "show all" (a checkbox that works without
JavaScript). Values in readouts and legends are exact, as archived; axis labels are rounded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from markupsafe import Markup

from archiver.site.cards import ChangeCard
from archiver.site.charts import (
    RANGES,
    ChartSeries,
    TimeChart,
    ValueText,
    status_strip,
    time_chart,
)
from archiver.site.formats import money
from archiver.site.gaps import Record, hourly_gaps, with_gaps
from archiver.site.metrics import DAYS, EndpointMetrics
from archiver.site.rows import EndpointRow, ModelRow
from archiver.site.timeline import PricePoint, Timeline

__all__ = [
    "ChartBlock",
    "MetricChart",
    "endpoint_price_block",
    "exact_money",
    "exact_percent",
    "model_price_block",
    "requests_per_window",
    "telemetry_block",
    "telemetry_status_strip",
]

METRIC_LABELS = {
    "input": "Input",
    "output": "Output",
    "cache_read": "Cache read",
    "discount": "Discount",
}
# How many endpoint lines a model's chart shows by default: the cheapest, then the most used.
CHEAPEST_LINES = 4
MOST_USED_LINES = 4
DEFAULT_LINES = CHEAPEST_LINES + MOST_USED_LINES


@dataclass(frozen=True)
class MetricChart:
    """One tab of a chart block: its id, label and chart."""

    id: str
    label: str
    chart: TimeChart


@dataclass(frozen=True)
class ChartBlock:
    """Tabs of charts sharing range buttons (pricing history, telemetry).

    subset: what the default view shows when it leaves lines out ("" when it shows all).
    """

    id: str
    title: str
    unit: str
    tabs: list[MetricChart]
    subset: str = ""

    @property
    def ranges(self) -> tuple[str, ...]:
        """Return the ranges any tab offers, shortest first."""
        found = {name for tab in self.tabs for name in tab.chart.ranges}
        return tuple(name for name in RANGES if name in found)

    @property
    def lines(self) -> int:
        """Return how many lines each tab has."""
        return max((len(tab.chart.legend) for tab in self.tabs), default=0)

    @property
    def extra(self) -> int:
        """Return how many lines the default view leaves out."""
        return max((tab.chart.extra for tab in self.tabs), default=0)


@dataclass(frozen=True)
class _Line:
    """One entity's prices to chart: its legend label, points, page and endpoint id."""

    label: str
    points: Sequence[PricePoint]
    href: str | None
    dashed: bool = False
    endpoint: str | None = None

    @property
    def cost(self) -> Decimal | None:
        """Return its current input plus output price, None when it is gone or unpriced."""
        values = self.points[-1].values if self.points else None
        if self.href is None or not values or values.get("input") is None:
            return None
        return (values.get("input") or Decimal(0)) + (values.get("output") or Decimal(0))


def model_price_block(
    model: ModelRow,
    endpoints: Sequence[EndpointRow],
    history: Sequence[ChangeCard],
    timeline: Timeline,
    end: datetime,
    metrics: Mapping[str, EndpointMetrics] | None = None,
) -> ChartBlock | None:
    """Return a model's pricing history: one line per endpoint (gone ones too), and v1's."""
    lines = [
        _Line(row.label, timeline.endpoint_prices.get(row.id, []), row.href, endpoint=row.id)
        for row in endpoints
    ]
    seen = {row.id for row in endpoints}
    for card in history:
        if card.category == "endpoint" and card.key not in seen:
            seen.add(card.key)
            label = f"{card.provider_tag or card.provider_key} (gone)"
            lines.append(_Line(label, timeline.endpoint_prices.get(card.key, []), None))
    lines = [line for line in lines if line.points]
    found = {key: metrics[key] for key in seen if metrics and key in metrics}
    usage = {
        key: rate for key, series in found.items() if (rate := requests_per_window(series, end))
    }
    shown, subset = _default_lines(lines, usage)
    own = timeline.model_prices.get(model.key, [])
    if any(point.values for point in own):
        list_price = _Line("OpenRouter list price (v1)", own, None, dashed=True)
        shown.append(list_price)
    ordered = [(line, False) for line in shown]
    ordered += [(line, True) for line in _by_cost(lines) if line not in shown]
    title = f"Pricing history of {model.name}"
    return _price_block(title, ordered, end, subset, timeline.syncs)


def endpoint_price_block(row: EndpointRow, timeline: Timeline, end: datetime) -> ChartBlock | None:
    """Return one endpoint's pricing history."""
    line = _Line(row.label, timeline.endpoint_prices.get(row.id, []), None)
    title = f"Pricing history of {row.label}"
    return _price_block(title, [(line, False)], end, "", timeline.syncs)


def requests_per_window(metrics: EndpointMetrics, end: datetime) -> float | None:
    """Return an endpoint's mean request count per telemetry window, weighted by time.

    A sample holds until the next one; unobserved stretches, and those the archive did not
    record, are left out, not counted as 0 nor as the last count held.
    """
    weighted = seconds = 0.0
    found = [(point.epoch, point.requests) for point in metrics.points]
    points = with_gaps(found, metrics.recorded, end).points
    for (when, requests), following in zip(points, [*points[1:], None], strict=True):
        until = following[0] if following else max(end, when)
        if requests is None:
            continue
        span = max((until - when).total_seconds(), 1.0)
        weighted += requests * span
        seconds += span
    return weighted / seconds if seconds else None


def _default_lines(lines: Sequence[_Line], usage: Mapping[str, float]) -> tuple[list[_Line], str]:
    """Return the lines the default view shows, cheapest first, and how they were picked."""
    if len(lines) <= DEFAULT_LINES + 1:
        return _by_cost(lines), ""
    priced = [line for line in _by_cost(lines) if line.cost is not None]
    picked = priced[:CHEAPEST_LINES]
    used = sorted(
        (line for line in priced if usage.get(line.endpoint or "", 0) > 0),
        key=lambda line: (-usage[line.endpoint or ""], line.label),
    )
    most_used = [line for line in used if line not in picked][:MOST_USED_LINES]
    picked += most_used
    picked += [line for line in priced if line not in picked][: DEFAULT_LINES - len(picked)]
    cheapest = len(picked) - len(most_used)
    basis = f"the {cheapest} cheapest"
    if most_used:
        basis += f" and the {len(most_used)} most used (requests in the archived telemetry)"
    return _by_cost(picked), f"{basis} of {len(lines)} endpoints"


def _by_cost(lines: Sequence[_Line]) -> list[_Line]:
    """Return lines cheapest first (input + output now), gone and unpriced ones last."""
    return sorted(lines, key=lambda line: (line.cost is None, line.cost or Decimal(0), line.label))


def _price_block(
    title: str,
    lines: Sequence[tuple[_Line, bool]],
    end: datetime,
    subset: str,
    syncs: Record | None,
) -> ChartBlock | None:
    """Return a tab per price metric that has data, each with a line per entity; a line
    breaks across each stop of the job (syncs: when syncs ran)."""
    drawn = [(line, extra) for line, extra in lines if line.points]
    if not drawn:
        return None
    start = min(line.points[0].epoch for line, _ in drawn)
    recorded = [
        with_gaps([(p.epoch, p.values) for p in line.points], syncs, end) for line, _ in drawn
    ]
    tabs = []
    for metric, label in METRIC_LABELS.items():
        series = [
            ChartSeries(
                line.label,
                [(when, _value(values, metric)) for when, values in steps.points],
                href=line.href,
                dashed=line.dashed,
                extra=extra,
                gaps=steps.gaps,
                resumed=steps.resumed,
            )
            for (line, extra), steps in zip(drawn, recorded, strict=True)
        ]
        if not _worth_charting(series, metric):
            continue
        texts = (
            (_percent_text, exact_percent) if metric == "discount" else (_money_text, exact_money)
        )
        chart = time_chart(series, start, end, texts, f"{label} price, {title}")
        tabs.append(MetricChart(metric, label, chart))
    unit = "$ per million tokens (discount in %)"
    return ChartBlock("prices", title, unit, tabs, subset) if tabs else None  # fmt: skip


def _worth_charting(series: Sequence[ChartSeries], metric: str) -> bool:
    """Tell whether a metric has values (for discount: any non-zero one)."""
    values = [value for line in series for _, value in line.points if value is not None]
    return any(values) if metric == "discount" else bool(values)


def telemetry_block(metrics: EndpointMetrics, end: datetime) -> ChartBlock | None:
    """Return an endpoint's latency and throughput over the last days the archive holds."""
    points = metrics.points
    if not points and not metrics.uptime:
        return None
    start = min([p.epoch for p in points[:1]] + [when for when, _ in metrics.uptime[:1]])
    record = metrics.recorded
    tabs = []
    figures = (
        ("latency", "Latency (p50)", [(p.epoch, p.latency_ms) for p in points], _ms_text),
        ("throughput", "Throughput (p50)", [(p.epoch, p.throughput) for p in points], _tps_text),
    )
    drawn = [
        (metric, label, with_gaps(values, record, end), text)
        for metric, label, values, text in figures
    ]
    # Each uptime point is one measured hour: it holds for that hour, not until the next.
    drawn.append(("uptime", "Uptime (hourly)", hourly_gaps(metrics.uptime, end), _percent_text))
    for metric, label, steps, text in drawn:
        series = [ChartSeries(label, steps.points, gaps=steps.gaps, resumed=steps.resumed)]
        if any(value is not None for _, value in steps.points):
            chart = time_chart(series, start, end, (text, _exact_figure(metric)), label)
            tabs.append(MetricChart(metric, label, chart))
    title = f"Telemetry, last {DAYS} days"
    return ChartBlock("telemetry", title, "", tabs) if tabs else None


def telemetry_status_strip(metrics: EndpointMetrics, end: datetime) -> Markup | None:
    """Return the status strip of an endpoint's telemetry."""
    points = [(p.epoch, p.status) for p in metrics.points]
    if not any(status is not None for _, status in points):
        return None
    steps = with_gaps(points, metrics.recorded, end)
    return status_strip(steps.points, points[0][0], end, "Status over time", steps.gaps)


def _value(values: Mapping[str, Decimal | None] | None, metric: str) -> float | None:
    """Return one metric of an entity's prices as a float (None: absent or unpriced)."""
    value = values.get(metric) if values else None
    number = float(value) if value is not None else None
    # A price past a double's range (1e400 upstream) cannot be drawn: a gap, not a crash.
    return number if number is not None and math.isfinite(number) else None


def exact_money(value: float) -> str:
    """Return a price per million tokens with every digit archived: $0.5586, $0.000075, $0."""
    # repr is the shortest text that reads back as the same float: the archived decimal.
    number = Decimal(repr(value)).normalize()
    if number == 0:
        return "$0"
    whole, _, decimals = f"{number:,f}".partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


def exact_percent(value: float) -> str:
    """Return a share in percent with every digit archived: 12.5%."""
    return f"{Decimal(repr(value)).normalize():f}%"


def _exact_figure(metric: str) -> ValueText:
    """Return the exact text of a telemetry figure."""
    if metric == "uptime":
        return exact_percent  # Every digit archived: 99.96943453897096%
    unit = " ms" if metric == "latency" else " tok/s"
    return lambda value: f"{value:,.10g}{unit}"


def _money_text(value: float) -> str:
    return money(Decimal(str(round(value, 6))), free="$0")


def _percent_text(value: float) -> str:
    return f"{value:.0f}%"


def _ms_text(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _tps_text(value: float) -> str:
    return f"{value:.0f} tok/s"
