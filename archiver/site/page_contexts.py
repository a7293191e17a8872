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
