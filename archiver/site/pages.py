"""The HTML pages: a typed context per page, built from the catalog and the timeline.

The contexts are defined in :mod:`archiver.site.page_contexts` (and re-exported here, where
the site's build reads them); their chart blocks are built by :mod:`archiver.site.chart_blocks`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from archiver import jsonvalue
from archiver.history.classify import leaves, render_path
from archiver.history.kinds import Kind
from archiver.paths import key_to_path
from archiver.site import descriptions, formats
from archiver.site.cards import KIND_LABELS
from archiver.site.chart_blocks import (
    endpoint_price_block,
    model_price_block,
    telemetry_block,
    telemetry_status_strip,
)
from archiver.site.feeds import provider_feed
from archiver.site.grid_data import GRID_PATH
from archiver.site.markdown import render_markdown
from archiver.site.metrics import EndpointMetrics
from archiver.site.page_contexts import (
    ApiFile,
    ApiPage,
    ChangesPage,
    EndpointListPage,
    EndpointPage,
    FieldRow,
    Frame,
    GridPage,
    ModelPage,
    ModelsPage,
    ProviderPage,
    ProvidersPage,
    SiteInfo,
    StatusPage,
)
from archiver.site.pricing_api import Calculator
from archiver.site.rows import FEATURES, MODALITIES, Catalog
from archiver.site.syncs import SyncRecord
from archiver.site.timeline import SyncGroup, Timeline
from archiver.site.urls import model_feed, model_page, root_of

__all__ = [
    "api_page",
    "changes_pages",
    "changes_path",
    "endpoint_list_pages",
    "endpoint_pages",
    "field_rows",
    "grid_page",
    "model_pages",
    "models_page",
    "provider_pages",
    "providers_page",
    "status_page",
]

CARDS_PER_PAGE = 300
# The grid page carries its first rows (a first paint, and a start without JavaScript);
# the paged tables carry every endpoint, this many a page.
GRID_PREVIEW_ROWS = 40
ENDPOINTS_PER_PAGE = 200
HISTORY_LIMIT = 100
# A model's or provider's page also lists its endpoints' changes: fewer, each has its own page.
OWNER_HISTORY_LIMIT = 60
# The monitor covers this many days before the newest sync; entity pages and git go further.
MONITOR_DAYS = 90


def grid_page(site: SiteInfo, catalog: Catalog) -> GridPage:
    """Return the endpoints grid: its first rows in the page, all of them in GRID_PATH."""
    description = descriptions.grid_description(len(catalog.endpoints), site.epoch)
    frame = Frame(site, "index.html", "Endpoints", "endpoints", "feeds/changes.xml", description)
    return GridPage(
        frame=frame,
        rows=catalog.endpoints[:GRID_PREVIEW_ROWS],
        total=len(catalog.endpoints),
        source=GRID_PATH,
        pages=_endpoint_list_paths(len(catalog.endpoints)),
        page_size=ENDPOINTS_PER_PAGE,
        facets=catalog.facet_counts(),
        features=FEATURES,
        modalities=MODALITIES,
    )


def endpoint_list_pages(site: SiteInfo, catalog: Catalog) -> Iterator[EndpointListPage]:
    """Yield the paged tables of every endpoint, in the grid's order, for reading without JS."""
    rows = catalog.endpoints
    paths = _endpoint_list_paths(len(rows))
    for number, path in enumerate(paths, start=1):
        start = (number - 1) * ENDPOINTS_PER_PAGE
        chunk = rows[start : start + ENDPOINTS_PER_PAGE]
        first, last = (start + 1 if chunk else 0), start + len(chunk)
        description = descriptions.endpoint_list_description(first, last, len(rows), site.epoch)
        yield EndpointListPage(
            frame=Frame(
                site, path, f"All endpoints, page {number}", "endpoints", None, description
            ),
            rows=chunk,
            number=number,
            first=first,
            last=last,
            total=len(rows),
            pages=paths,
            features=FEATURES,
        )


def _endpoint_list_paths(total: int) -> list[str]:
    """Return the paths of the paged endpoint tables (at least one, even when empty)."""
    count = max(1, -(-total // ENDPOINTS_PER_PAGE))
    return [f"endpoints/page-{number}.html" for number in range(1, count + 1)]


def models_page(site: SiteInfo, catalog: Catalog) -> ModelsPage:
    """Return the models table."""
    description = descriptions.models_description(len(catalog.models), site.epoch)
    return ModelsPage(
        Frame(site, "models.html", "Models", "models", None, description), catalog.models
    )


def providers_page(site: SiteInfo, catalog: Catalog) -> ProvidersPage:
    """Return the providers table."""
    description = descriptions.providers_description(len(catalog.providers), site.epoch)
    frame = Frame(site, "providers.html", "Providers", "providers", None, description)
    return ProvidersPage(frame, catalog.providers)


def model_pages(
    site: SiteInfo,
    catalog: Catalog,
    timeline: Timeline,
    end: datetime,
    metrics: Mapping[str, EndpointMetrics] | None = None,
    calculators: Mapping[str, Calculator] | None = None,
) -> Iterator[ModelPage]:
    """Yield the page of every model (metrics: endpoint telemetry, to rank chart lines by use).

    calculators: each model's cost calculator (archiver.site.pricing_api), by modelKey.
    """
    for model in catalog.models:
        path = model_page(model.key)
        endpoints = catalog.by_model.get(model.key, [])
        history = timeline.history("model", model.key)
        yield ModelPage(
            frame=Frame(
                site,
                path,
                model.name,
                "models",
                model_feed(model.key),
                descriptions.model_description(model),
            ),
            model=model,
            endpoints=endpoints,
            description=render_markdown(model.description, _model_linker(catalog, path)),
            fields=field_rows(model.entity),
            history=history[:OWNER_HISTORY_LIMIT],
            history_total=len(history),
            prices=model_price_block(model, endpoints, history, timeline, end, metrics),
            git_path=key_to_path("model", model.key),
            features=FEATURES,
            calculator=calculators.get(model.key) if calculators else None,
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
            frame=Frame(
                site,
                row.href,
                f"{row.model_name} on {row.provider_name}",
                "endpoints",
                None,
                descriptions.endpoint_description(row),
            ),
            row=row,
            model=catalog.model_index.get(row.model_key),
            provider=catalog.provider_index.get(row.provider_key),
            fields=field_rows(row.entity),
            history=history[:HISTORY_LIMIT],
            history_total=len(history),
            prices=endpoint_price_block(row, timeline, end),
            telemetry=telemetry_block(found, end) if found else None,
            status=telemetry_status_strip(found, end) if found else None,
            first_seen=timeline.first_seen.get(("endpoint", row.id)),
            git_path=key_to_path("endpoint", row.id),
            features=FEATURES,
        )


def provider_pages(site: SiteInfo, catalog: Catalog, timeline: Timeline) -> Iterator[ProviderPage]:
    """Yield the page of every provider."""
    for provider in catalog.providers:
        history = timeline.history("provider", provider.key)
        yield ProviderPage(
            frame=Frame(
                site,
                provider.href,
                provider.name,
                "providers",
                provider_feed(provider.key),
                descriptions.provider_description(provider),
            ),
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
            frame=Frame(
                site,
                path,
                "Changes" if number == 1 else f"Changes, page {number}",
                "changes",
                "feeds/changes.xml",
                descriptions.changes_description(MONITOR_DAYS, end, number, len(chunks)),
            ),
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
        frame=Frame(
            site,
            "status.html",
            "Status",
            "status",
            None,
            descriptions.status_description(newest, len(syncs)),
        ),
        syncs=syncs[:HISTORY_LIMIT],
        total_syncs=len(syncs),
        newest=newest,
        age=formats.ago(newest, site.built) if newest else "",
        problems=problems,
    )


def api_page(site: SiteInfo, files: list[ApiFile]) -> ApiPage:
    """Return the API page."""
    kinds = tuple(kind.value for kind in Kind)
    frame = Frame(site, "api.html", "API", "api", None, descriptions.api_description(len(files)))
    return ApiPage(frame, files, kinds)


def field_rows(entity: dict[str, Any]) -> list[FieldRow]:
    """Return every leaf of an entity as (path, JSON text), in sorted-key order."""
    rows = []
    for parts, value in leaves(entity):
        text = jsonvalue.dumps(value).decode() if not isinstance(value, str) else value
        rows.append(FieldRow(render_path(parts), text))
    return rows


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
