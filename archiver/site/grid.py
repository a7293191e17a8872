"""The catalog as rows: one per endpoint (the grid), per model and per provider.

Each row holds the figures its tables show and sort on, derived from the archived
entities (and telemetry, when the archive has it). Nothing here renders HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from archiver.history.classify import decimal_price
from archiver.site.context import Entity, Projection
from archiver.site.formats import money, per_million
from archiver.site.metrics import EndpointMetrics
from archiver.site.urls import endpoint_page, model_page, provider_page

__all__ = [
    "FEATURES",
    "MODALITIES",
    "Catalog",
    "EndpointRow",
    "ModelRow",
    "ProviderRow",
    "build_catalog",
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

    @property
    def href(self) -> str:
        """Return the path of this endpoint's page."""
        return endpoint_page(self.id)

    @property
    def model_href(self) -> str:
        """Return the path of its model's page."""
        return model_page(self.model_key)

    @property
    def provider_href(self) -> str:
        """Return the path of its provider's page."""
        return provider_page(self.provider_key)

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


def build_catalog(
    projection: Projection,
    metrics: Mapping[str, EndpointMetrics],
    last_changes: Mapping[tuple[str, str], datetime],
) -> Catalog:
    """Return the rows of the projection, endpoints newest model first."""
    endpoints = [
        endpoint_row(key, entity, projection, metrics.get(key))
        for key, entity in projection.endpoints.items()
    ]
    endpoints.sort(key=_grid_order)
    by_model: dict[str, list[EndpointRow]] = {}
    by_provider: dict[str, list[EndpointRow]] = {}
    for row in sorted(endpoints, key=_price_order):
        by_model.setdefault(row.model_key, []).append(row)
        by_provider.setdefault(row.provider_key, []).append(row)
    models = [
        model_row(key, entity, projection, by_model.get(key, []), last_changes.get(("model", key)))
        for key, entity in projection.models.items()
    ]
    models.sort(key=lambda row: (-(row.created.timestamp() if row.created else 0), row.key))
    providers = sorted(
        (
            provider_row(key, entity, by_provider.get(key, []))
            for key, entity in projection.providers.items()
        ),
        key=lambda row: row.name.lower(),
    )
    return Catalog(
        endpoints,
        models,
        providers,
        by_model,
        by_provider,
        {row.key: row for row in models},
        {row.key: row for row in providers},
    )


def _unit_price(display: Any) -> str | None:
    """Return "$0.0043 /minute" for an endpoint priced per unit only (no tokens), else None."""
    if not isinstance(display, list) or not display:
        return None
    if not all(isinstance(d, dict) and d.get("kind") == "unit" for d in display):
        return None
    first = display[0]
    price = decimal_price(first.get("price"))
    if price is None:
        return None
    multiplier = decimal_price(first.get("displayMultiplier")) or Decimal(1)
    label = _text(first.get("unitLabel")) or "/unit"
    return f"{money(price * multiplier)} {label}"


def endpoint_row(
    key: str, entity: Entity, projection: Projection, metrics: EndpointMetrics | None
) -> EndpointRow:
    """Return the grid row of one endpoint."""
    model_key = _text(entity.get("model")) or _text(entity.get("model_variant_slug")) or ""
    model = projection.models.get(model_key, {})
    provider_key = _text(entity.get("provider_info")) or ""
    pricing = _mapping(entity.get("pricing"))
    unit_price = _unit_price(entity.get("display_pricing"))
    if unit_price is not None:
        # Priced per minute, image or request: token prices would read as $/Mtok wrongly.
        pricing = {}
    policy = _mapping(entity.get("data_policy"))
    latest = metrics.latest if metrics else None
    inputs, outputs = model_modalities(model)
    return EndpointRow(
        id=key,
        model_key=model_key,
        model_name=model_name(model, model_key),
        provider_key=provider_key,
        provider_name=_text(entity.get("provider_display_name"))
        or provider_name(projection.providers.get(provider_key, {}), provider_key),
        provider_tag=_text(entity.get("provider_slug")) or provider_key,
        region=_text(entity.get("provider_region")),
        unit_price=unit_price,
        input=per_million(pricing.get("prompt")),
        output=per_million(pricing.get("completion")),
        cache_read=per_million(pricing.get("input_cache_read")),
        cache_write=per_million(pricing.get("input_cache_write")),
        discount=_float(pricing.get("discount")),
        input_modalities=inputs,
        output_modalities=outputs,
        features=endpoint_features(entity),
        context=_int(entity.get("context_length")),
        max_output=_int(entity.get("max_completion_tokens")),
        quantization=_quantization(entity.get("quantization")),
        throughput=latest.throughput if latest else None,
        latency_ms=latest.latency_ms if latest else None,
        status=latest.status if latest else None,
        training=_bool(policy.get("training")),
        retains_prompts=_bool(policy.get("retainsPrompts")),
        retention_days=_int(policy.get("retentionDays")),
        limit_rpm=_int(entity.get("limit_rpm")),
        limit_rpd=_int(entity.get("limit_rpd")),
        created=_time(entity.get("created_at")),
        free=entity.get("is_free") is True,
        disabled=entity.get("is_disabled") is True,
        deranked=entity.get("is_deranked") is True,
        hidden=entity.get("is_hidden") is True,
        entity=entity,
    )


def model_row(
    key: str,
    entity: Entity,
    projection: Projection,
    endpoints: list[EndpointRow],
    last_change: datetime | None,
) -> ModelRow:
    """Return the models-table row of one model."""
    catalog, v1 = _mapping(entity.get("catalog")), _mapping(entity.get("v1"))
    inputs, outputs = model_modalities(entity)
    prices_in = [row.input for row in endpoints if row.input is not None]
    prices_out = [row.output for row in endpoints if row.output is not None]
    if not endpoints:
        v1_pricing = _mapping(v1.get("pricing"))
        prices_in = [p for p in [per_million(v1_pricing.get("prompt"))] if p is not None]
        prices_out = [p for p in [per_million(v1_pricing.get("completion"))] if p is not None]
    featured = projection.endpoints.get(_text(catalog.get("endpoint")) or "", {})
    target = _text(featured.get("model"))
    return ModelRow(
        key=key,
        name=model_name(entity, key),
        author=_text(catalog.get("author_display_name"))
        or _text(catalog.get("author"))
        or key.lstrip("~").split("/")[0],
        description=_text(catalog.get("description")) or _text(v1.get("description")),
        input_modalities=inputs,
        output_modalities=outputs,
        context=_int(v1.get("context_length")) or _int(catalog.get("context_length")),
        cheapest_input=min(prices_in, default=None),
        dearest_input=max(prices_in, default=None),
        cheapest_output=min(prices_out, default=None),
        dearest_output=max(prices_out, default=None),
        endpoint_count=len(endpoints),
        created=_unix(v1.get("created")) or _time(catalog.get("created_at")),
        last_change=last_change,
        orphan=not v1 and bool(catalog),
        alias_of=target if key.startswith("~") and target and target != key else None,
        entity=entity,
    )


def provider_row(key: str, entity: Entity, endpoints: list[EndpointRow]) -> ProviderRow:
    """Return the providers-table row of one provider."""
    info = _provider_record(entity)
    policy = _mapping(info.get("dataPolicy"))
    return ProviderRow(
        key=key,
        name=provider_name(entity, key),
        headquarters=_text(info.get("headquarters")),
        endpoint_count=len(endpoints),
        model_count=len({row.model_key for row in endpoints}),
        training=_bool(policy.get("training")),
        retains_prompts=_bool(policy.get("retainsPrompts")),
        retention_days=_int(policy.get("retentionDays")),
        status_page=_text(info.get("statusPageUrl")),
        entity=entity,
    )


def model_name(entity: Mapping[str, Any], key: str) -> str:
    """Return a model's display name without its `Author: ` prefix."""
    for part in ("catalog", "v1"):
        name = _text(_mapping(entity.get(part)).get("name"))
        if name:
            return name.split(": ", 1)[1] if ": " in name else name
    return key


def provider_name(entity: Mapping[str, Any], key: str) -> str:
    """Return a provider's display name."""
    return _text(_provider_record(entity).get("displayName")) or key


def model_modalities(entity: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return a model's (input, output) modalities, catalog first, then v1's architecture."""
    catalog = _mapping(entity.get("catalog"))
    architecture = _mapping(_mapping(entity.get("v1")).get("architecture"))
    found = []
    for name in ("input_modalities", "output_modalities"):
        value = catalog.get(name) or architecture.get(name) or []
        found.append(tuple(str(item) for item in value) if isinstance(value, list) else ())
    return found[0], found[1]


def endpoint_features(entity: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the feature ids an endpoint offers, in FEATURES order."""
    params = entity.get("supported_parameters")
    params = set(params) if isinstance(params, list) else set()
    features = _mapping(entity.get("features"))
    pricing = _mapping(entity.get("pricing"))
    has = {
        "reasoning": entity.get("supports_reasoning") is True or "reasoning" in params,
        "tools": "tools" in params,
        "structured": bool(params & {"structured_outputs", "response_format"}),
        "caching": "input_cache_read" in pricing or features.get("supports_implicit_caching"),
        "web": features.get("supports_native_web_search") is True or "web_search_options" in params,
        "moderated": entity.get("moderation_required") is True,
    }
    return tuple(name for name in FEATURES if has[name])


def _provider_record(entity: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the richest record a provider file holds."""
    for part in ("provider_info", "all_providers", "v1"):
        record = _mapping(entity.get(part))
        if record:
            return record
    return {}


def _grid_order(row: EndpointRow) -> tuple[float, str, Decimal, str]:
    """Sort key of the grid without JavaScript: newest endpoint first, then cheapest."""
    created = -(row.created.timestamp() if row.created else 0.0)
    return (created, row.model_key, row.input if row.input is not None else Decimal(10**10), row.id)


def _price_order(row: EndpointRow) -> tuple[Decimal, Decimal, str]:
    """Sort key of a model's endpoints: cheapest input, then output, first."""
    far = Decimal(10**10)
    return (
        row.input if row.input is not None else far,
        row.output if row.output is not None else far,
        row.provider_tag,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _quantization(value: Any) -> str | None:
    text = _text(value)
    return None if text in (None, "unknown") else text


def _time(value: Any) -> datetime | None:
    """Return an upstream ISO time (2025-08-05T17:39:10.586Z), or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _unix(value: Any) -> datetime | None:
    """Return a Unix time in seconds as a datetime, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
