"""Which upstream fields are telemetry: they change hourly by nature and stay out of entities."""

from __future__ import annotations

import functools
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
    entity = dict(endpoint)
    figures = {field: entity.pop(field) for field in _telemetry_fields(tuple(endpoint))}
    return entity, figures


@functools.lru_cache(maxsize=256)
def _telemetry_fields(fields: tuple[str, ...]) -> tuple[str, ...]:
    """Return which of an object's fields are telemetry (objects share a few field sets)."""
    return tuple(field for field in fields if is_endpoint_telemetry(field))


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
