"""The HTML pages: a typed context per page, built from the catalog and the timeline."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from archiver import jsonvalue
from archiver.history.classify import leaves, render_path
from archiver.paths import key_to_path
from archiver.site import formats
from archiver.site.charts import ChartSeries, TimeChart, status_strip, time_chart
from archiver.site.grid import FEATURES, MODALITIES, Catalog, EndpointRow, ModelRow, ProviderRow
from archiver.site.markdown import render_markdown
from archiver.site.metrics import DAYS, EndpointMetrics
from archiver.site.syncs import SyncRecord
from archiver.site.timeline import KIND_LABELS, ChangeCard, PricePoint, SyncGroup, Timeline
from archiver.site.urls import model_feed, model_page, root_of

__all__ = [
    "ChangesPage",
    "EndpointPage",
    "Frame",
    "GridPage",
    "ModelPage",
    "ModelsPage",
    "ProviderPage",
    "ProvidersPage",
    "SiteInfo",
    "StatusPage",
]

CARDS_PER_PAGE = 300
HISTORY_LIMIT = 100
# A model's or provider's page also lists its endpoints' changes: fewer, each has its own page.
OWNER_HISTORY_LIMIT = 60
# The monitor covers this many days before the newest sync; entity pages and git go further.
MONITOR_DAYS = 90
METRIC_LABELS = {
    "input": "Input",
    "output": "Output",
    "cache_read": "Cache read",
    "discount": "Discount",
}


@dataclass(frozen=True)
class SiteInfo:
    """What every page says about the site: what it shows and when it was built."""

    epoch: datetime | None
    commit: str | None
    built: datetime
    at: datetime | None
    base_url: str
    counts: dict[str, int]
    name: str = "OpenRouter archive"


@dataclass(frozen=True)
class Frame:
    """A page's place in the site: its path, title, section and feed."""

    site: SiteInfo
    path: str
    title: str
    section: str
    feed: str | None = None

    @property
    def root(self) -> str:
        """Return the relative link from this page to the site's root."""
        return root_of(self.path)


@dataclass(frozen=True)
class FieldRow:
    """One leaf of an entity: its path and its JSON value as text."""

    path: str
    value: str


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


@dataclass(frozen=True)
class GridPage:
    """The home page: every endpoint, filterable and sortable."""

    frame: Frame
    rows: list[EndpointRow]
    facets: dict[str, dict[str, int]]
    features: dict[str, str]
    modalities: tuple[str, ...]


@dataclass(frozen=True)
class ModelsPage:
    """The table of all models."""

    frame: Frame
    rows: list[ModelRow]


@dataclass(frozen=True)
class ProvidersPage:
    """The table of all providers."""

    frame: Frame
    rows: list[ProviderRow]


@dataclass(frozen=True)
class ModelPage:
    """One model: fields, endpoints side by side, pricing history, changes."""

    frame: Frame
    model: ModelRow
    endpoints: list[EndpointRow]
    description: Markup
    fields: list[FieldRow]
    history: list[ChangeCard]
    history_total: int
    prices: ChartBlock | None
    git_path: str
    features: dict[str, str]


@dataclass(frozen=True)
class EndpointPage:
    """One endpoint: figures, fields, pricing, telemetry, changes."""

    frame: Frame
    row: EndpointRow
    model: ModelRow | None
    provider: ProviderRow | None
    fields: list[FieldRow]
    history: list[ChangeCard]
    history_total: int
    prices: ChartBlock | None
    telemetry: ChartBlock | None
    status: Markup | None
    first_seen: datetime | None
    git_path: str
    features: dict[str, str]


@dataclass(frozen=True)
class ProviderPage:
    """One provider: fields, endpoints, changes."""

    frame: Frame
    provider: ProviderRow
    endpoints: list[EndpointRow]
    fields: list[FieldRow]
    history: list[ChangeCard]
    history_total: int
    git_path: str
    features: dict[str, str]


@dataclass(frozen=True)
class ChangesPage:
    """One page of the change monitor."""

    frame: Frame
    groups: list[SyncGroup]
    number: int
    count: int
    newer: str | None
    older: str | None
    kinds: dict[str, str]
    days: int
    models: list[str]
    providers: list[str]


@dataclass(frozen=True)
class ApiFile:
    """One file of the JSON API, as the API page lists it."""

    path: str
    what: str
    count: int
    bytes: int


@dataclass(frozen=True)
class ApiPage:
    """The API documentation page."""

    frame: Frame
    files: list[ApiFile]


@dataclass(frozen=True)
class StatusPage:
    """The sync log and the age of the newest data."""

    frame: Frame
    syncs: list[SyncRecord]
    total_syncs: int
    newest: datetime | None
    age: str
    problems: list[str] = field(default_factory=list)


# --- builders ---------------------------------------------------------------------------


def grid_page(site: SiteInfo, catalog: Catalog) -> GridPage:
    """Return the endpoints grid."""
    frame = Frame(site, "index.html", "Endpoints", "endpoints", "feeds/changes.xml")
    return GridPage(frame, catalog.endpoints, catalog.facet_counts(), FEATURES, MODALITIES)


def models_page(site: SiteInfo, catalog: Catalog) -> ModelsPage:
    """Return the models table."""
    return ModelsPage(Frame(site, "models.html", "Models", "models"), catalog.models)


def providers_page(site: SiteInfo, catalog: Catalog) -> ProvidersPage:
    """Return the providers table."""
    return ProvidersPage(Frame(site, "providers.html", "Providers", "providers"), catalog.providers)


def model_pages(
    site: SiteInfo, catalog: Catalog, timeline: Timeline, end: datetime
) -> Iterator[ModelPage]:
    """Yield the page of every model."""
    for model in catalog.models:
        path = model_page(model.key)
        endpoints = catalog.by_model.get(model.key, [])
        history = timeline.history("model", model.key)
        yield ModelPage(
            frame=Frame(site, path, model.name, "models", model_feed(model.key)),
            model=model,
            endpoints=endpoints,
            description=render_markdown(model.description, _model_linker(catalog, path)),
            fields=field_rows(model.entity),
            history=history[:OWNER_HISTORY_LIMIT],
            history_total=len(history),
            prices=model_price_block(model, endpoints, history, timeline, end),
            git_path=key_to_path("model", model.key),
            features=FEATURES,
        )


def endpoint_pages(
    site: SiteInfo,
    catalog: Catalog,
    timeline: Timeline,
    metrics: dict[str, EndpointMetrics],
    end: datetime,
) -> Iterator[EndpointPage]:
    """Yield the page of every endpoint."""
    for row in catalog.endpoints:
        history = timeline.history("endpoint", row.id)
        found = metrics.get(row.id)
        yield EndpointPage(
            frame=Frame(site, row.href, f"{row.model_name} on {row.provider_name}", "endpoints"),
            row=row,
            model=catalog.model_index.get(row.model_key),
            provider=catalog.provider_index.get(row.provider_key),
            fields=field_rows(row.entity),
            history=history[:HISTORY_LIMIT],
            history_total=len(history),
            prices=endpoint_price_block(row, timeline, end),
            telemetry=telemetry_block(found, end) if found else None,
            status=_status(found, end) if found else None,
            first_seen=timeline.first_seen.get(("endpoint", row.id)),
            git_path=key_to_path("endpoint", row.id),
            features=FEATURES,
        )


def provider_pages(site: SiteInfo, catalog: Catalog, timeline: Timeline) -> Iterator[ProviderPage]:
    """Yield the page of every provider."""
    for provider in catalog.providers:
        history = timeline.history("provider", provider.key)
        yield ProviderPage(
            frame=Frame(site, provider.href, provider.name, "providers"),
            provider=provider,
            endpoints=catalog.by_provider.get(provider.key, []),
            fields=field_rows(provider.entity),
            history=history[:OWNER_HISTORY_LIMIT],
            history_total=len(history),
            git_path=key_to_path("provider", provider.key),
            features=FEATURES,
        )


def changes_pages(site: SiteInfo, timeline: Timeline, end: datetime) -> Iterator[ChangesPage]:
    """Yield the monitor's pages: whole syncs of the last MONITOR_DAYS days, newest first."""
    since = end - timedelta(days=MONITOR_DAYS)
    chunks = list(_chunks([group for group in timeline.groups if group.epoch >= since]))
    for number, groups in enumerate(chunks, start=1):
        path = changes_path(number)
        cards = [card for group in groups for card in group.cards]
        bulk = [card for group in groups for found in group.bulk.values() for card in found]
        yield ChangesPage(
            frame=Frame(site, path, "Changes", "changes", "feeds/changes.xml"),
            groups=groups,
            number=number,
            count=len(chunks),
            newer=changes_path(number - 1) if number > 1 else None,
            older=changes_path(number + 1) if number < len(chunks) else None,
            kinds=KIND_LABELS,
            days=MONITOR_DAYS,
            models=sorted({card.title for card in cards + bulk if card.category != "provider"}),
            providers=sorted({card.provider_name for card in cards + bulk if card.provider_name}),
        )


def changes_path(number: int) -> str:
    """Return the path of the monitor's page number (1: the newest)."""
    return "changes/index.html" if number == 1 else f"changes/{number}.html"


def status_page(site: SiteInfo, syncs: list[SyncRecord], problems: list[str]) -> StatusPage:
    """Return the status page."""
    newest = syncs[0].epoch if syncs else None
    return StatusPage(
        frame=Frame(site, "status.html", "Status", "status"),
        syncs=syncs[:HISTORY_LIMIT],
        total_syncs=len(syncs),
        newest=newest,
        age=formats.ago(newest, site.built) if newest else "",
        problems=problems,
    )


def api_page(site: SiteInfo, files: list[ApiFile]) -> ApiPage:
    """Return the API page."""
    return ApiPage(Frame(site, "api.html", "API", "api"), files)


# --- parts ------------------------------------------------------------------------------


def field_rows(entity: dict[str, Any]) -> list[FieldRow]:
    """Return every leaf of an entity as (path, JSON text), in sorted-key order."""
    rows = []
    for parts, value in leaves(entity):
        text = jsonvalue.dumps(value).decode() if not isinstance(value, str) else value
        rows.append(FieldRow(render_path(parts), text))
    return rows


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


def _status(metrics: EndpointMetrics, end: datetime) -> Markup | None:
    """Return the status strip of an endpoint's telemetry."""
    points = [(p.epoch, p.status) for p in metrics.points]
    if not any(status is not None for _, status in points):
        return None
    return status_strip(points, points[0][0], end, "Status over time")


def _chunks(groups: Sequence[SyncGroup]) -> Iterator[list[SyncGroup]]:
    """Yield whole syncs in pages of about CARDS_PER_PAGE cards (at least one page)."""
    page: list[SyncGroup] = []
    size = 0
    for group in groups:
        page.append(group)
        size += len(group.cards) + len(group.bulk)
        if size >= CARDS_PER_PAGE:
            yield page
            page, size = [], 0
    if page or not groups:
        yield page


def _model_linker(catalog: Catalog, path: str) -> Callable[[str], str | None]:
    """Return a resolver from a modelKey in a description to a link from the page at path."""
    root = root_of(path)

    def link(key: str) -> str | None:
        return f"{root}{model_page(key)}" if key in catalog.model_index else None

    return link


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
