"""The typed context of each HTML page: what its template shows, and nothing else.

Every page has a :class:`Frame` (its path, title, section and feed, and the
:class:`SiteInfo` every page shows); the rest is the page's own. The builders in
:mod:`archiver.site.pages` fill them in; the templates read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup

from archiver.site.cards import ChangeCard
from archiver.site.chart_blocks import ChartBlock
from archiver.site.pricing_api import Calculator
from archiver.site.rows import EndpointRow, ModelRow, ProviderRow
from archiver.site.syncs import SyncRecord
from archiver.site.timeline import SyncGroup
from archiver.site.urls import root_of

__all__ = [
    "ApiFile",
    "ApiPage",
    "ChangesPage",
    "EndpointListPage",
    "EndpointPage",
    "FieldRow",
    "Frame",
    "GridPage",
    "ModelPage",
    "ModelsPage",
    "ProviderPage",
    "ProvidersPage",
    "SiteInfo",
    "StatusPage",
]


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


# What a page of each section is about, for pages whose builder gives no description of
# their own: search engines and link previews show it under the title.
SECTION_DESCRIPTIONS = {
    "endpoints": "OpenRouter endpoints with their prices per million tokens, context and status.",
    "models": "OpenRouter models with their prices per million tokens on every provider.",
    "providers": "OpenRouter providers with their endpoints, models and data policies.",
    "changes": "Changes to OpenRouter's catalog: prices, endpoints added and removed, limits.",
    "deprecations": (
        "Models and endpoints OpenRouter says will go, with their end dates and when they were"
        " announced; and the models that went, with their last prices."
    ),
    "api": "Static JSON files of OpenRouter's catalog, pricing intervals and changes.",
    "status": "When this archive of OpenRouter's catalog last synced, and its sync log.",
}


@dataclass(frozen=True)
class Frame:
    """A page's place in the site: its path, title, section, feed and description."""

    site: SiteInfo
    path: str
    title: str
    section: str
    feed: str | None = None
    # One or two sentences on what this page holds (its meta description); empty: the
    # section's (SECTION_DESCRIPTIONS).
    description: str = ""

    @property
    def root(self) -> str:
        """Return the relative link from this page to the site's root."""
        return root_of(self.path)

    @property
    def summary(self) -> str:
        """Return this page's meta description: its own, else its section's, else the site's."""
        return (
            self.description
            or SECTION_DESCRIPTIONS.get(self.section)
            or f"{self.site.name}: an hour-by-hour history of OpenRouter's public catalog."
        )


@dataclass(frozen=True)
class FieldRow:
    """One leaf of an entity: its path and its JSON value as text."""

    path: str
    value: str


@dataclass(frozen=True)
class GridPage:
    """The home page: every endpoint, filterable and sortable (rows from `source`).

    `rows` are the first few, in the page for a first paint and for readers without
    JavaScript; `pages` are the paged tables that list all `total` of them.
    """

    frame: Frame
    rows: list[EndpointRow]
    total: int
    source: str
    pages: list[str]
    page_size: int
    facets: dict[str, dict[str, int]]
    features: dict[str, str]
    modalities: tuple[str, ...]


@dataclass(frozen=True)
class EndpointListPage:
    """One page of every endpoint as a plain table, for reading without JavaScript."""

    frame: Frame
    rows: list[EndpointRow]
    number: int
    first: int
    last: int
    total: int
    pages: list[str]
    features: dict[str, str]


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
    calculator: Calculator | None = None


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
    # The change kinds of api/changes.json, most important first (archiver.history.kinds).
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusPage:
    """The sync log and the age of the newest data."""

    frame: Frame
    syncs: list[SyncRecord]
    total_syncs: int
    newest: datetime | None
    age: str
    problems: list[str] = field(default_factory=list)
