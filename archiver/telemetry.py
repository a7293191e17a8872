"""Which upstream fields are telemetry: they change hourly by nature and stay out of entities."""

from __future__ import annotations

from typing import Any

# Endpoint fields that move with traffic, not with the offering itself.
ENDPOINT_FIELDS = frozenset({"stats", "statsByTier", "status", "routing_heuristics_by_tier"})
ENDPOINT_PREFIXES = ("status_heuristics",)
# Nested model fields (v1 objects) that are measurements, as (parent, child) pairs.
MODEL_FIELDS = (("benchmarks", "design_arena"),)


def is_endpoint_telemetry(field: str) -> bool:
    """Tell whether an endpoint field is telemetry."""
    return field in ENDPOINT_FIELDS or field.startswith(ENDPOINT_PREFIXES)


def split_endpoint(endpoint: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (the endpoint without telemetry, its telemetry fields)."""
    entity: dict[str, Any] = {}
    figures: dict[str, Any] = {}
    for field, value in endpoint.items():
        (figures if is_endpoint_telemetry(field) else entity)[field] = value
    return entity, figures


def split_model(model: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (the v1 model without telemetry, its telemetry as {"parent.child": value})."""
    entity = dict(model)
    figures: dict[str, Any] = {}
    for parent, child in MODEL_FIELDS:
        holder = entity.get(parent)
        if isinstance(holder, dict) and child in holder:
            holder = dict(holder)
            figures[f"{parent}.{child}"] = holder.pop(child)
            entity[parent] = holder
    return entity, figures
