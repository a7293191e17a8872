"""The catalog's rows: what the site's tables show and sort on, and the Catalog holding them.

One row per endpoint (the grid), per model and per provider, each with the figures its
table shows, plus the indexes between them. :mod:`archiver.site.catalog` builds them from
the archived entities; nothing here reads JSON or renders HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from archiver.site.context import Entity
from archiver.site.urls import endpoint_page, model_page, provider_page

__all__ = [
    "FEATURES",
    "MODALITIES",
    "Catalog",
    "EndpointRow",
    "ModelRow",
    "ProviderRow",
]

# Feature id -> label, in the order the grid shows them.
FEATURES = {
    "reasoning": "reasoning",
    "tools": "tool calling",
    "structured": "structured output",
    "caching": "prompt caching",
    "web": "web search",
    "moderated": "moderated",
}
MODALITIES = ("text", "image", "file", "audio", "video", "embeddings")


@dataclass(frozen=True)
class EndpointRow:
    """One endpoint (model x provider offering) as the grid shows it."""

    id: str
    model_key: str
    model_name: str
    provider_key: str
    provider_name: str
    provider_tag: str
    region: str | None
    unit_price: str | None
    input: Decimal | None
    output: Decimal | None
    cache_read: Decimal | None
    cache_write: Decimal | None
    discount: float | None
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    features: tuple[str, ...]
    context: int | None
    max_output: int | None
    quantization: str | None
    throughput: float | None
    latency_ms: float | None
    status: int | None
    training: bool | None
    retains_prompts: bool | None
    retention_days: int | None
    limit_rpm: int | None
    limit_rpd: int | None
    created: datetime | None
    free: bool
    disabled: bool
    deranked: bool
    hidden: bool
    entity: Entity = field(repr=False, compare=False)
    # Mean hourly uptime in percent over the last 24 hours and 30 days (None: not archived).
    uptime_24h: float | None = None
    uptime_30d: float | None = None
    # The prices of long prompts (pricing.overrides), as the endpoint page shows them.
    long_context: str | None = None
    # Whether its model and provider have pages: an endpoint outlives its model when the
    # removal guard holds back the endpoints of a model that left the catalog.
    model_listed: bool = True
    provider_listed: bool = True

    @property
    def href(self) -> str:
        """Return the path of this endpoint's page."""
        return endpoint_page(self.id)

    @property
    def model_href(self) -> str | None:
        """Return the path of its model's page, if the site has one."""
        return model_page(self.model_key) if self.model_listed else None

    @property
    def provider_href(self) -> str | None:
        """Return the path of its provider's page, if the site has one."""
        return provider_page(self.provider_key) if self.provider_listed else None

    @property
    def label(self) -> str:
        """Return how a chart legend names this endpoint: its provider tag."""
        return self.provider_tag or self.provider_key

    @property
    def flags(self) -> tuple[str, ...]:
        """Return the marks the grid shows: free, disabled, deranked, hidden, degraded."""
        marks = [
            name
            for name, on in (
                ("free", self.free),
                ("disabled", self.disabled),
                ("deranked", self.deranked),
                ("hidden", self.hidden),
            )
            if on
        ]
        if self.status is not None and self.status != 0:
            marks.append("degraded")
        return tuple(marks)


@dataclass(frozen=True)
class ModelRow:
    """One model as the models table and its page show it."""

    key: str
    name: str
    author: str
    description: str | None
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    context: int | None
    cheapest_input: Decimal | None
    dearest_input: Decimal | None
    cheapest_output: Decimal | None
    dearest_output: Decimal | None
    endpoint_count: int
    created: datetime | None
    last_change: datetime | None
    orphan: bool
    alias_of: str | None
    entity: Entity = field(repr=False, compare=False)

    @property
    def alias(self) -> bool:
        """Tell whether this is a `~` alias model."""
        return self.key.startswith("~")

    @property
    def href(self) -> str:
        """Return the path of this model's page."""
        return model_page(self.key)


@dataclass(frozen=True)
class ProviderRow:
    """One provider as the providers table and its page show it."""

    key: str
    name: str
    headquarters: str | None
    endpoint_count: int
    model_count: int
    training: bool | None
    retains_prompts: bool | None
    retention_days: int | None
    status_page: str | None
    entity: Entity = field(repr=False, compare=False)

    @property
    def href(self) -> str:
        """Return the path of this provider's page."""
        return provider_page(self.key)


@dataclass(frozen=True)
class Catalog:
    """Every row of the site's tables, and the indexes between them."""

    endpoints: list[EndpointRow]
    models: list[ModelRow]
    providers: list[ProviderRow]
    by_model: dict[str, list[EndpointRow]]
    by_provider: dict[str, list[EndpointRow]]
    model_index: dict[str, ModelRow]
    provider_index: dict[str, ProviderRow]

    def facet_counts(self) -> dict[str, dict[str, int]]:
        """Return how many endpoints have each modality and feature, for the filters."""
        counts: dict[str, dict[str, int]] = {"input": {}, "output": {}, "feature": {}}
        for row in self.endpoints:
            for name in row.input_modalities:
                counts["input"][name] = counts["input"].get(name, 0) + 1
            for name in row.output_modalities:
                counts["output"][name] = counts["output"].get(name, 0) + 1
            for name in row.features:
                counts["feature"][name] = counts["feature"].get(name, 0) + 1
        return counts
