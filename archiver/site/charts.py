"""Charts drawn in Python, so they read without JavaScript.

A time chart is a plot (an SVG of step lines: a price holds until it changes, with a dot at
every change) stretched to its box, and HTML axis labels placed around it in percent of the
plot. Text inside the SVG would shrink with the box (to about 4 px on a phone); HTML labels
keep their CSS size at any width.

Ranges (1d, 7d, 30d, 90d, 1y, all) work with CSS alone: each is a precomputed horizontal
transform of the plot (CSS variables on the <svg>) with its own date labels; the y axis keeps
the scale of the whole history. `templates/static/charts.js` adds the value readout, keyboard
and drag-to-zoom from the chart's data (JSON the template writes into an escaped attribute).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from markupsafe import Markup, escape

from archiver.times import minute_text

__all__ = [
    "COLORS",
    "RANGES",
    "ChartSeries",
    "LegendItem",
    "Tick",
    "TimeChart",
    "ValueText",
    "status_strip",
    "time_chart",
]

# What a readout says over a stretch the archive did not record (a None value of its own).
NOT_RECORDED = "not recorded"
# Series colours are classes c-0 ... c-11 (templates/static/charts.css), one set per theme,
# each at least 3:1 against that theme's panel.
COLORS = 12
RANGES = {"1d": 1, "7d": 7, "30d": 30, "90d": 90, "1y": 365, "all": 0}
WIDTH, HEIGHT = 1000, 300
# The plot keeps a margin inside its box so that dots at the ends and the top are not cut.
INSET_X, INSET_TOP, INSET_BOTTOM = 8, 12, 4
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

ValueText = Callable[[float], str]


@dataclass(frozen=True)
class ChartSeries:
    """One line: (time, value) steps, a value holding until the next; None is a gap.

    extra: left out of the default view (too many lines to read), shown by "show all".
    gaps: the times of None points that begin a stretch the archive did not record
    (:mod:`archiver.site.gaps`); resumed: points that restate a value after one (no dot).
    """

    label: str
    points: Sequence[tuple[datetime, float | None]]
    href: str | None = None
    dashed: bool = False
    extra: bool = False
    gaps: frozenset[datetime] = frozenset()
    resumed: frozenset[datetime] = frozenset()


@dataclass(frozen=True)
class LegendItem:
    """A legend row: a series' colour class, label, newest value and link."""

    label: str
    color: int
    latest: str
    href: str | None
    dashed: bool
    index: int
    extra: bool


@dataclass(frozen=True)
class Tick:
    """An axis label: where it sits (percent of the plot's width or height) and its text."""

    at: float
    text: str


@dataclass(frozen=True)
class TimeChart:
    """A rendered chart: the plot, its axes per range, its legend and its data for charts.js."""

    svg: Markup
    ranges: tuple[str, ...]
    legend: tuple[LegendItem, ...]
    empty: bool
    y_ticks: tuple[Tick, ...]
    y_ticks_all: tuple[Tick, ...]
    x_ticks: dict[str, tuple[Tick, ...]]
    spans: dict[str, str]
    data: str

    @property
    def extra(self) -> int:
        """Return how many lines the default view leaves out."""
        return sum(item.extra for item in self.legend)


@dataclass(frozen=True)
class _Frame:
    """The mapping from data to the plot's user units."""

    start: float
    end: float
    top: float

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start) or 1.0
        return INSET_X + (moment.timestamp() - self.start) / span * (WIDTH - 2 * INSET_X)

    def y(self, value: float) -> float:
        inner = HEIGHT - INSET_TOP - INSET_BOTTOM
        return INSET_TOP + (1 - value / (self.top or 1.0)) * inner


def time_chart(
    series: Sequence[ChartSeries],
    start: datetime,
    end: datetime,
    texts: tuple[ValueText, ValueText],
    title: str,
) -> TimeChart:
    """Return a step chart of series from start to end; texts: (axis label, exact value)."""
    axis_text, exact_text = texts
    values = [v for line in series for _, v in line.points if v is not None]
    end = max(end, start + timedelta(hours=1))
    frame = _Frame(start.timestamp(), end.timestamp(), _nice_top(max(values, default=0.0)))
    # The default view scales y to its own lines: one dear line left out must not flatten them.
    shown = [v for line in series if not line.extra for _, v in line.points if v is not None]
    default_frame = _Frame(frame.start, frame.end, _nice_top(max(shown, default=0.0)))
    ranges = _ranges(start, end)
    style = ";".join(_range_style(frame, start, end, name) for name in ranges if ranges[name])
    style += _y_zoom_style(frame, default_frame)
    svg = "".join(
        [
            f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none" '
            f'aria-hidden="true" focusable="false" style="{style}"><g class="axis">',
            *(f'<line x1="0" x2="{WIDTH}" y1="{frame.y(v):.1f}" y2="{frame.y(v):.1f}"/>'
              for v in _y_values(frame)),
            '</g><g class="yzoom"><g class="plot">',
            *(_line(frame, line, index, end) for index, line in enumerate(series)),
            "</g></g></svg>",
        ]
    )  # fmt: skip
    legend = tuple(
        LegendItem(
            line.label,
            index % COLORS,
            _latest(line, exact_text),
            line.href,
            line.dashed,
            index,
            line.extra,
        )
        for index, line in enumerate(series)
    )
    return TimeChart(
        svg=Markup(svg),
        ranges=tuple(ranges),
        legend=legend,
        empty=not values,
        y_ticks=_y_ticks(default_frame, axis_text),
        y_ticks_all=_y_ticks(frame, axis_text),
        x_ticks={name: _x_ticks(start, end, days) for name, days in ranges.items()},
        spans={
            name: _span_text(_window_start(start, end, days), end) for name, days in ranges.items()
        },
        data=_chart_data(series, (frame, default_frame), exact_text, title),
    )


def status_strip(
    points: Sequence[tuple[datetime, int | None]],
    start: datetime,
    end: datetime,
    title: str,
    gaps: frozenset[datetime] = frozenset(),
) -> Markup:
    """Return a strip of status over time: green normal (0), red otherwise, grey unknown,
    blank where the archive recorded nothing (gaps: where such stretches begin)."""
    frame = _Frame(start.timestamp(), max(end, start + timedelta(hours=1)).timestamp(), 1.0)
    rects = []
    for (moment, status), following in zip(points, [*points[1:], (end, None)], strict=True):
        x0, x1 = frame.x(max(moment, start)), frame.x(following[0])
        if x1 <= x0:
            continue
        kind = "unknown" if status is None else ("ok" if status == 0 else "bad")
        label = "not observed" if status is None else f"status {status}"
        if moment in gaps:
            kind, label = "gap", NOT_RECORDED
        rects.append(
            f'<rect class="st-{kind}" x="{x0:.1f}" y="4" width="{x1 - x0:.1f}" height="22">'
            f"<title>{minute_text(moment)}: {label}</title></rect>"
        )
    return Markup(
        f'<svg class="strip" viewBox="0 0 {WIDTH} 30" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(rects)}</svg>'
    )


def _chart_data(
    series: Sequence[ChartSeries],
    frames: tuple[_Frame, _Frame],
    exact_text: ValueText,
    title: str,
) -> str:
    """Return what charts.js needs as JSON: the frame, and each line's exact values."""
    lines = [
        {
            "label": line.label,
            "color": index % COLORS,
            "extra": line.extra,
            "points": [
                [int(moment.timestamp()), value, _exact(line, moment, value, exact_text)]
                for moment, value in line.points
            ],
        }
        for index, line in enumerate(series)
    ]
    geometry = {"width": WIDTH, "height": HEIGHT, "insetX": INSET_X}
    geometry |= {"insetTop": INSET_TOP, "insetBottom": INSET_BOTTOM}
    frame, default_frame = frames
    frame_data = {"start": frame.start, "end": frame.end, "top": frame.top}
    frame_data["topDefault"] = default_frame.top
    return orjson.dumps({"title": title, **geometry, **frame_data, "series": lines}).decode()


def _exact(
    line: ChartSeries, moment: datetime, value: float | None, exact_text: ValueText
) -> str | None:
    """Return a point's readout text: exact, or why there is none (None: not offered)."""
    if value is not None:
        return exact_text(value)
    return NOT_RECORDED if moment in line.gaps else None


def _ranges(start: datetime, end: datetime) -> dict[str, int]:
    """Return the ranges worth offering: those shorter than the history, and all."""
    span = (end - start).total_seconds() / 86400
    return {name: days for name, days in RANGES.items() if days == 0 or days < span}


def _window_start(start: datetime, end: datetime, days: int) -> datetime:
    """Return where a range's window starts (all: the start of the history)."""
    return max(start, end - timedelta(days=days)) if days else start


def _range_style(frame: _Frame, start: datetime, end: datetime, name: str) -> str:
    """Return the CSS variables that zoom the plot to one range's window."""
    x_window, x_end = frame.x(_window_start(start, end, RANGES[name])), frame.x(end)
    scale = (WIDTH - 2 * INSET_X) / max(x_end - x_window, 1e-6)
    shift = INSET_X - scale * x_window
    return f"--s-{name}:{scale:.5f};--t-{name}:{shift:.2f}"


def _y_values(frame: _Frame) -> list[float]:
    """Return the values of the five horizontal grid lines, 0 to the top."""
    # Near the largest double, top * step is infinite (a line at -inf): a quarter first there.
    return [
        value if math.isfinite(value := frame.top * step / 4) else frame.top / 4 * step
        for step in range(5)
    ]


def _y_ticks(frame: _Frame, axis_text: ValueText) -> tuple[Tick, ...]:
    """Return the labels of the grid lines, in percent of the plot's height."""
    return tuple(Tick(frame.y(v) / HEIGHT * 100, axis_text(v)) for v in _y_values(frame))


def _y_zoom_style(frame: _Frame, default_frame: _Frame) -> str:
    """Return the CSS variables that stretch y from the whole top to the default view's.

    Zero stays where it is: y' = bottom - (bottom - y) * k, a translate then a scale.
    """
    scale = frame.top / (default_frame.top or 1.0)
    bottom = frame.y(0.0)
    return f";--yk:{scale:.6f};--yt:{bottom * (1 - scale):.3f}"


def _x_ticks(start: datetime, end: datetime, days: int) -> tuple[Tick, ...]:
    """Return the date labels of one range, in percent of the plot's width."""
    window_start = _window_start(start, end, days)
    zoom = _Frame(window_start.timestamp(), end.timestamp(), 1.0)
    label_span = end - window_start
    return tuple(
        Tick(zoom.x(tick) / WIDTH * 100, _tick_label(tick, label_span))
        for tick in _date_ticks(window_start, end)
    )


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
        if moment not in line.resumed:  # A value restated after a gap is no change.
            dots.append(f"M{x0:.1f} {y:.1f}h0")
        pen_down = True
    if not steps:
        return ""
    dash = " dashed" if line.dashed else ""
    extra = " extra" if line.extra else ""
    return (
        f'<g class="series s-{index} c-{index % COLORS}{extra}" data-series="{index}">'
        f'<path class="ln{dash}" d="{"".join(steps)}"/><path class="dot" d="{"".join(dots)}"/></g>'
    )


def _latest(line: ChartSeries, value_text: ValueText) -> str:
    """Return the newest value the archive recorded of a series as text (a dash when it ended
    as None: not offered any more); a stretch not recorded after it changes nothing."""
    recorded = [value for moment, value in line.points if moment not in line.gaps]
    if not recorded or recorded[-1] is None:
        return "\u2013"
    return value_text(recorded[-1])


def _nice_top(value: float) -> float:
    """Return a round number a little above value, for the top of the y axis."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude:
            return _as_float(step * magnitude, value)
    return _as_float(10 * magnitude, value)


def _as_float(top: float, value: float) -> float:
    """Return a round top as a float; the value itself when the round one is past a double
    (a figure of 1.7e308 has none: float() raised, and that figure stopped the whole site)."""
    try:
        return float(top)
    except OverflowError:
        return value


def _date_ticks(start: datetime, end: datetime) -> list[datetime]:
    """Return about six hour- or day-aligned ticks between start and end."""
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


def _span_text(start: datetime, end: datetime) -> str:
    """Return the window a range shows: Jun 19 to Jul 19, 2026 (UTC), joined by an en dash."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first = f"{_MONTHS[start.month - 1]} {start.day:02d}"
    if start.year != end.year:
        first += f", {start.year}"
    if end - start < timedelta(days=2):
        first += start.strftime(" %H:%M")
        last = f"{_MONTHS[end.month - 1]} {end.day:02d} {end:%H:%M}, {end.year}"
    else:
        last = f"{_MONTHS[end.month - 1]} {end.day:02d}, {end.year}"
    return f"{first} \u2013 {last} UTC"
