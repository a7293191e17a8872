"""Charts as inline SVG drawn in Python, so they read without JavaScript.

A time chart draws step lines (a price holds until it changes) with a dot at every change.
Range buttons (30d, 90d, 1y, all) work with CSS alone: each range is a precomputed
horizontal transform of the plot (set as CSS variables on the <svg>) plus its own x-axis
ticks; the y-axis keeps the scale of the whole history. Text in the SVG is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape

from archiver.times import minute_text

__all__ = [
    "PALETTE",
    "RANGES",
    "ChartSeries",
    "LegendItem",
    "TimeChart",
    "status_strip",
    "time_chart",
]

PALETTE = (
    "#4fb3ff", "#f5b93e", "#5fd48c", "#f0607a", "#b38cff", "#40d4d0",
    "#ff8f4a", "#9bd14b", "#ff7ad9", "#8aa4ff", "#e3d35b", "#5ad0a3",
)  # fmt: skip
RANGES = {"30d": 30, "90d": 90, "1y": 365, "all": 0}
WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 18, 14, 30
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ChartSeries:
    """One line: (time, value) steps, a value holding until the next; None is a gap."""

    label: str
    points: Sequence[tuple[datetime, float | None]]
    href: str | None = None
    dashed: bool = False


@dataclass(frozen=True)
class LegendItem:
    """A legend row: a series' colour, label, newest value and link."""

    label: str
    color: str
    latest: str
    href: str | None
    dashed: bool
    index: int


@dataclass(frozen=True)
class TimeChart:
    """A rendered chart, the ranges it offers and its legend."""

    svg: Markup
    ranges: tuple[str, ...]
    legend: tuple[LegendItem, ...]
    empty: bool


@dataclass(frozen=True)
class _Frame:
    """The mapping from data to the plot's pixels."""

    start: float
    end: float
    top: float

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start) or 1.0
        return LEFT + (moment.timestamp() - self.start) / span * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        return TOP + (1 - value / (self.top or 1.0)) * (HEIGHT - TOP - BOTTOM)


def time_chart(
    series: Sequence[ChartSeries],
    start: datetime,
    end: datetime,
    value_text: Callable[[float], str],
    title: str,
) -> TimeChart:
    """Return a step chart of series from start to end, with per-range transforms."""
    values = [v for line in series for _, v in line.points if v is not None]
    if not values or end <= start:
        end = max(end, start + timedelta(hours=1))
    frame = _Frame(start.timestamp(), end.timestamp(), _nice_top(max(values, default=0.0)))
    ranges = _ranges(start, end)
    style = ";".join(_range_style(frame, start, end, days) for days in ranges.values() if days)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" style="{style}">',
        f"<title>{escape(title)}</title>",
        _y_axis(frame, value_text),
        *(_x_axis(frame, start, end, name, days) for name, days in ranges.items()),
        f'<clipPath id="{_clip_id(title)}"><rect x="{LEFT}" y="0" '
        f'width="{WIDTH - LEFT - RIGHT + 4}" height="{HEIGHT}"/></clipPath>',
        f'<g clip-path="url(#{_clip_id(title)})"><g class="plot">',
        *(_line(frame, line, index, end) for index, line in enumerate(series)),
        "</g></g></svg>",
    ]
    legend = tuple(
        LegendItem(
            line.label,
            color_of(index),
            _latest(line, value_text),
            line.href,
            line.dashed,
            index,
        )
        for index, line in enumerate(series)
    )
    return TimeChart(Markup("".join(parts)), tuple(ranges), legend, not values)


def color_of(index: int) -> str:
    """Return the colour of the index-th series."""
    return PALETTE[index % len(PALETTE)]


def status_strip(
    points: Sequence[tuple[datetime, int | None]], start: datetime, end: datetime, title: str
) -> Markup:
    """Return a strip of status over time: green normal (0), red otherwise, grey unknown."""
    frame = _Frame(start.timestamp(), max(end, start + timedelta(hours=1)).timestamp(), 1.0)
    rects = []
    for (moment, status), following in zip(points, [*points[1:], (end, None)], strict=True):
        x0, x1 = frame.x(max(moment, start)), frame.x(following[0])
        if x1 <= x0:
            continue
        kind = "unknown" if status is None else ("ok" if status == 0 else "bad")
        label = "not observed" if status is None else f"status {status}"
        rects.append(
            f'<rect class="st-{kind}" x="{x0:.1f}" y="4" width="{x1 - x0:.1f}" height="22">'
            f"<title>{_stamp(moment)}: {label}</title></rect>"
        )
    return Markup(
        f'<svg class="strip" viewBox="0 0 {WIDTH} 30" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(rects)}</svg>"
    )


def _ranges(start: datetime, end: datetime) -> dict[str, int]:
    """Return the ranges worth offering: those shorter than the history, and all."""
    span = (end - start).days
    return {name: days for name, days in RANGES.items() if days == 0 or days < span}


def _range_style(frame: _Frame, start: datetime, end: datetime, days: int) -> str:
    """Return the CSS variables that zoom the plot to the last `days` days."""
    name = next(key for key, value in RANGES.items() if value == days)
    window_start = max(start, end - timedelta(days=days))
    x_window, x_end = frame.x(window_start), frame.x(end)
    scale = (WIDTH - LEFT - RIGHT) / max(x_end - x_window, 1e-6)
    shift = LEFT - scale * x_window
    return f"--s-{name}:{scale:.5f};--t-{name}:{shift:.2f}"


def _y_axis(frame: _Frame, value_text: Callable[[float], str]) -> str:
    """Return the horizontal grid lines and their labels."""
    parts = ['<g class="axis">']
    for step in range(5):
        value = frame.top * step / 4
        y = frame.y(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(value_text(value))}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def _x_axis(frame: _Frame, start: datetime, end: datetime, name: str, days: int) -> str:
    """Return the date ticks of one range, shown when that range is picked."""
    window_start = max(start, end - timedelta(days=days)) if days else start
    zoom = _Frame(window_start.timestamp(), end.timestamp(), frame.top)
    parts = [f'<g class="xt xt-{name}">']
    for tick in _date_ticks(window_start, end):
        x = zoom.x(tick)
        label = _tick_label(tick, end - window_start)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{label}</text>')
    parts.append("</g>")
    return "".join(parts)


def _line(frame: _Frame, line: ChartSeries, index: int, end: datetime) -> str:
    """Return one series as a step path with a dot at each change."""
    steps, dots = [], []
    pen_down = False
    points = list(line.points)
    for (moment, value), following in zip(points, [*points[1:], (end, None)], strict=True):
        if value is None:
            pen_down = False
            continue
        x0, x1, y = frame.x(moment), frame.x(max(following[0], moment)), frame.y(value)
        steps.append(f"V{y:.1f}" if pen_down else f"M{x0:.1f} {y:.1f}")
        steps.append(f"H{x1:.1f}")
        dots.append(f"M{x0:.1f} {y:.1f}h0")
        pen_down = True
    if not steps:
        return ""
    dash = ' stroke-dasharray="6 4"' if line.dashed else ""
    color = color_of(index)
    label = escape(line.label)
    path, marks = "".join(steps), "".join(dots)
    return (
        f'<g class="series s-{index}" data-series="{index}">'
        f'<path class="ln" d="{path}" stroke="{color}"{dash}><title>{label}</title></path>'
        f'<path class="dot" d="{marks}" stroke="{color}"><title>{label}</title></path></g>'
    )


def _latest(line: ChartSeries, value_text: Callable[[float], str]) -> str:
    """Return the newest value of a series as text (a dash when it ended in a gap)."""
    if not line.points or line.points[-1][1] is None:
        return "\u2013"
    value = line.points[-1][1]
    return value_text(value)


def _nice_top(value: float) -> float:
    """Return a round number a little above value, for the top of the y axis."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _date_ticks(start: datetime, end: datetime) -> list[datetime]:
    """Return about six day-aligned ticks between start and end."""
    span_days = max((end - start).total_seconds() / 86400, 1 / 24)
    if span_days < 2:
        step = timedelta(hours=max(1, round(span_days * 24 / 6)))
        first = start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    else:
        step = timedelta(days=max(1, round(span_days / 6)))
        first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        first += timedelta(days=1)
    ticks: list[datetime] = []
    tick = first
    while tick <= end and len(ticks) < 12:
        ticks.append(tick)
        tick += step
    return ticks


def _tick_label(moment: datetime, span: timedelta) -> str:
    """Return a tick label: Jul 02, or 15:00 within a short span, or Jul 2026 over years."""
    moment = moment.astimezone(UTC)
    if span < timedelta(days=2):
        return moment.strftime("%H:%M")
    if span > timedelta(days=400):
        return f"{_MONTHS[moment.month - 1]} {moment.year}"
    return f"{_MONTHS[moment.month - 1]} {moment.day:02d}"


def _stamp(moment: datetime) -> str:
    """Return a time for a tooltip."""
    return minute_text(moment)


def _clip_id(title: str) -> str:
    """Return an id for a chart's clip path, unique per title on a page."""
    return "clip-" + "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:40]
