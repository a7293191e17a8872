"""Building the catalog: the rows of a projection, derived from the archived entities.

Reads each endpoint, model and provider file (and the endpoint's telemetry, when the
archive has it) into the row its table shows, sorts the rows as the pages list them
without JavaScript, and indexes endpoints by model and by provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from archiver.history.classify import decimal_price
from archiver.history.price_sheet import ROUTED
from archiver.site.context import Entity, Projection
from archiver.site.formats import money, per_million
from archiver.site.metrics import EndpointMetrics
from archiver.site.rows import FEATURES, Catalog, EndpointRow, ModelRow, ProviderRow
from archiver.site.values import (
    as_bool,
    as_float,
    as_int,
    as_mapping,
    as_text,
    iso_time,
    unix_time,
)
from archiver.textsafe import name_text

__all__ = [
    "build_catalog",
    "endpoint_features",
    "endpoint_row",
    "model_modalities",
    "model_name",
    "model_row",
    "provider_name",
    "provider_row",
    "unit_price",
]


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


def _routed(pricing: Mapping[str, Any]) -> str | None:
    """Return what `archiver price` says of OpenRouter's -1 token prices (priced by the model
    a request is routed to), else None: the grid and the page read an en dash, "no price"."""
    prices = [decimal_price(pricing.get(name)) for name in ("prompt", "completion")]
    return ROUTED if any(price is not None and price < 0 for price in prices) else None


def unit_price(display: Any) -> str | None:
    """Return what an endpoint priced per unit only (no tokens) costs, else None.

    "$0.0043 /minute"; each price named by its label where there are several ("Video (with
    audio): $0.40 /second · Video (no audio): $0.20 /second"): the first alone hid the rest.
    """
    if not isinstance(display, list) or not display:
        return None
    if not all(isinstance(d, dict) and d.get("kind") == "unit" for d in display):
        return None
    texts = []
    for item in display:
        price = decimal_price(item.get("price"))
        if price is None:
            continue
        multiplier = decimal_price(item.get("displayMultiplier")) or Decimal(1)
        label = as_text(item.get("unitLabel")) or "/unit"
        name = as_text(item.get("sku_label"))
        text = f"{money(price * multiplier)} {label}"
        texts.append(f"{name}: {text}" if name and len(display) > 1 else text)
    return " \u00b7 ".join(texts) or None


def endpoint_row(
    key: str, entity: Entity, projection: Projection, metrics: EndpointMetrics | None
) -> EndpointRow:
    """Return the grid row of one endpoint."""
    model_key = as_text(entity.get("model")) or as_text(entity.get("model_variant_slug")) or ""
    model = projection.models.get(model_key, {})
    provider_key = as_text(entity.get("provider_info")) or ""
    pricing = as_mapping(entity.get("pricing"))
    unit_price_text = unit_price(entity.get("display_pricing")) or _routed(pricing)
    if unit_price_text is not None:
        # Priced per minute, image or request: token prices would read as $/Mtok wrongly.
        pricing = {}
    policy = as_mapping(entity.get("data_policy"))
    latest = metrics.latest if metrics else None
    inputs, outputs = model_modalities(model)
    return EndpointRow(
        id=key,
        model_key=model_key,
        model_name=model_name(model, model_key),
        provider_key=provider_key,
        provider_name=name_text(entity.get("provider_display_name"))
        or provider_name(projection.providers.get(provider_key, {}), provider_key),
        provider_tag=as_text(entity.get("provider_slug")) or provider_key,
        region=as_text(entity.get("provider_region")),
        unit_price=unit_price_text,
        input=per_million(pricing.get("prompt")),
        output=per_million(pricing.get("completion")),
        cache_read=per_million(pricing.get("input_cache_read")),
        cache_write=per_million(pricing.get("input_cache_write")),
        discount=as_float(pricing.get("discount")),
        input_modalities=inputs,
        output_modalities=outputs,
        features=endpoint_features(entity),
        context=as_int(entity.get("context_length")),
        max_output=as_int(entity.get("max_completion_tokens")),
        quantization=_quantization(entity.get("quantization")),
        throughput=latest.throughput if latest else None,
        latency_ms=latest.latency_ms if latest else None,
        status=latest.status if latest else None,
        training=as_bool(policy.get("training")),
        retains_prompts=as_bool(policy.get("retainsPrompts")),
        retention_days=as_int(policy.get("retentionDays")),
        limit_rpm=as_int(entity.get("limit_rpm")),
        limit_rpd=as_int(entity.get("limit_rpd")),
        created=iso_time(entity.get("created_at")),
        free=entity.get("is_free") is True,
        disabled=entity.get("is_disabled") is True,
        deranked=entity.get("is_deranked") is True,
        hidden=entity.get("is_hidden") is True,
        entity=entity,
        uptime_24h=metrics.uptime_24h if metrics else None,
        uptime_30d=metrics.uptime_30d if metrics else None,
        long_context=_long_context(pricing.get("overrides")),
        model_listed=model_key in projection.models,
        provider_listed=provider_key in projection.providers,
    )


def _long_context(overrides: Any) -> str | None:
    """Return the long-prompt prices ("from 200,000 prompt tokens: $4.00 in, $12.00 out")."""
    tiers = []
    for item in overrides if isinstance(overrides, list) else []:
        tier = as_mapping(item)
        threshold = as_int(tier.get("min_prompt_tokens"))
        if threshold is None:
            continue
        prices = [
            f"{money(per_million(tier.get(name)))} {label}"
            for name, label in (("prompt", "in"), ("completion", "out"))
            if per_million(tier.get(name)) is not None
        ]
        if prices:
            tiers.append(f"from {threshold:,} prompt tokens: {', '.join(prices)} /Mtok")
    return "; ".join(tiers) or None


def model_row(
    key: str,
    entity: Entity,
    projection: Projection,
    endpoints: list[EndpointRow],
    last_change: datetime | None,
) -> ModelRow:
    """Return the models-table row of one model."""
    catalog, v1 = as_mapping(entity.get("catalog")), as_mapping(entity.get("v1"))
    inputs, outputs = model_modalities(entity)
    prices_in = [row.input for row in endpoints if row.input is not None]
    prices_out = [row.output for row in endpoints if row.output is not None]
    if not endpoints:
        v1_pricing = as_mapping(v1.get("pricing"))
        prices_in = [p for p in [per_million(v1_pricing.get("prompt"))] if p is not None]
        prices_out = [p for p in [per_million(v1_pricing.get("completion"))] if p is not None]
    featured = projection.endpoints.get(as_text(catalog.get("endpoint")) or "", {})
    target = as_text(featured.get("model"))
    return ModelRow(
        key=key,
        name=model_name(entity, key),
        author=as_text(catalog.get("author_display_name"))
        or as_text(catalog.get("author"))
        or key.lstrip("~").split("/")[0],
        description=as_text(catalog.get("description")) or as_text(v1.get("description")),
        input_modalities=inputs,
        output_modalities=outputs,
        context=as_int(v1.get("context_length")) or as_int(catalog.get("context_length")),
        cheapest_input=min(prices_in, default=None),
        dearest_input=max(prices_in, default=None),
        cheapest_output=min(prices_out, default=None),
        dearest_output=max(prices_out, default=None),
        endpoint_count=len(endpoints),
        created=unix_time(v1.get("created")) or iso_time(catalog.get("created_at")),
        last_change=last_change,
        orphan=not v1 and bool(catalog),
        alias_of=target if key.startswith("~") and target and target != key else None,
        entity=entity,
    )


def provider_row(key: str, entity: Entity, endpoints: list[EndpointRow]) -> ProviderRow:
    """Return the providers-table row of one provider."""
    info = _provider_record(entity)
    policy = as_mapping(info.get("dataPolicy"))
    return ProviderRow(
        key=key,
        name=provider_name(entity, key),
        headquarters=as_text(info.get("headquarters")),
        endpoint_count=len(endpoints),
        model_count=len({row.model_key for row in endpoints}),
        training=as_bool(policy.get("training")),
        retains_prompts=as_bool(policy.get("retainsPrompts")),
        retention_days=as_int(policy.get("retentionDays")),
        status_page=as_text(info.get("statusPageUrl")),
        entity=entity,
    )


def model_name(entity: Mapping[str, Any], key: str) -> str:
    """Return a model's display name without its `Author: ` prefix; a blank one is no name
    (its key, as `archiver changes` and the feeds name it: history.kinds.model_name)."""
    for part in ("catalog", "v1"):
        name = name_text(as_mapping(entity.get(part)).get("name"))
        if name:
            short = name.split(": ", 1)[1].strip() if ": " in name else ""
            return short or name
    return key


def provider_name(entity: Mapping[str, Any], key: str) -> str:
    """Return a provider's display name: upstream's `displayName` from whichever record holds
    one, else its slug.

    The record endpoints embed (`provider_info`) often has no displayName while the
    all-providers record has it: read from the first record alone, 55 of 74 real providers
    showed their slug ("io-net" where OpenRouter and the endpoint rows say "io.net"). Not
    `name`: a sub-provider's (`wafer/fast`) is its parent's ("Wafer"), two pages one title.
    A blank displayName is none: the page would have an empty title and heading.
    """
    for part in ("provider_info", "all_providers", "v1"):
        name = name_text(as_mapping(entity.get(part)).get("displayName"))
        if name:
            return name
    return key


def model_modalities(entity: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return a model's (input, output) modalities, catalog first, then v1's architecture."""
    catalog = as_mapping(entity.get("catalog"))
    architecture = as_mapping(as_mapping(entity.get("v1")).get("architecture"))
    found = []
    for name in ("input_modalities", "output_modalities"):
        value = catalog.get(name) or architecture.get(name) or []
        found.append(tuple(str(item) for item in value) if isinstance(value, list) else ())
    return found[0], found[1]


def endpoint_features(entity: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the feature ids an endpoint offers, in FEATURES order."""
    params = entity.get("supported_parameters")
    # Names only: a list holding an object (a schema change upstream) cost the page.
    params = {p for p in params if isinstance(p, str)} if isinstance(params, list) else set()
    features = as_mapping(entity.get("features"))
    pricing = as_mapping(entity.get("pricing"))
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
        record = as_mapping(entity.get(part))
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


def _quantization(value: Any) -> str | None:
    text = as_text(value)
    return None if text in (None, "unknown") else text
