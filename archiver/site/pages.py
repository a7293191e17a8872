"""The HTML pages: a typed context per page, built from the catalog and the timeline.

The contexts are defined in :mod:`archiver.site.page_contexts` (and re-exported here, where
the site's build reads them); their chart blocks are built by :mod:`archiver.site.chart_blocks`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from archiver import jsonvalue
from archiver.history.classify import leaves, render_path
from archiver.paths import key_to_path
from archiver.site import formats
from archiver.site.cards import KIND_LABELS
from archiver.site.chart_blocks import (
    endpoint_price_block,
    model_price_block,
    telemetry_block,
    telemetry_status_strip,
)
from archiver.site.markdown import render_markdown
from archiver.site.metrics import EndpointMetrics
from archiver.site.page_contexts import (
    ApiFile,
    ApiPage,
    ChangesPage,
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
from archiver.site.rows import FEATURES, MODALITIES, Catalog
from archiver.site.syncs import SyncRecord
from archiver.site.timeline import SyncGroup, Timeline
from archiver.site.urls import model_feed, model_page, root_of

__all__ = [
    "api_page",
    "changes_pages",
    "changes_path",
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
HISTORY_LIMIT = 100
# A model's or provider's page also lists its endpoints' changes: fewer, each has its own page.
OWNER_HISTORY_LIMIT = 60
# The monitor covers this many days before the newest sync; entity pages and git go further.
MONITOR_DAYS = 90


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
