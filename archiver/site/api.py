"""The JSON API: the projection as static files, each entity with its archived data.

``api/models.json``, ``api/endpoints.json`` and ``api/providers.json`` list every entity
with a few derived figures and its archived object unchanged under ``data``;
``api/changes.json`` lists the changes of the last CHANGES_DAYS days by sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from archiver.canonical import json_bytes
from archiver.history.change_json import described_changes, sync_json
from archiver.history.kinds import model_name
from archiver.history.versions import SyncChanges
from archiver.site.formats import iso
from archiver.site.rows import Catalog, EndpointRow, ModelRow, ProviderRow
from archiver.site.urls import model_feed

__all__ = ["CHANGES_DAYS", "api_documents"]

CHANGES_DAYS = 90
_OPTIONS = orjson.OPT_SORT_KEYS


def api_documents(
    catalog: Catalog,
    groups: Sequence[SyncChanges],
    meta: dict[str, Any],
    end: datetime | None,
) -> dict[str, tuple[bytes, int, str]]:
    """Return {path: (bytes, item count, description)} of every API file."""
    since = end - timedelta(days=CHANGES_DAYS) if end else None
    recent = [group for group in groups if since is None or group.epoch >= since]
    names = {row.key: model_name(row.entity, row.key) for row in catalog.models}
    docs = {
        "api/models.json": (
            "models",
            [_model(row) for row in catalog.models],
            "every model: key, name, author, modalities, price range, endpoints, data",
        ),
        "api/endpoints.json": (
            "endpoints",
            [_endpoint(row) for row in catalog.endpoints],
            "every endpoint: model, provider, prices per million tokens, limits, data",
        ),
        "api/providers.json": (
            "providers",
            [_provider(row) for row in catalog.providers],
            "every provider: slug, name, endpoint and model counts, data",
        ),
        "api/changes.json": (
            "syncs",
            [sync_json(group, described_changes(group, names)) for group in recent],
            f"changes of the last {CHANGES_DAYS} days, by sync, newest first",
        ),
    }
    found = {}
    for path, (name, items, what) in docs.items():
        body = {**meta, "count": len(items), name: items}
        if name == "syncs":
            body["since"] = iso(since) if since else None
        found[path] = (json_bytes(body, _OPTIONS), len(items), what)
    return found


def _model(row: ModelRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "name": row.name,
        "author": row.author,
        "page": row.href,
        "feed": model_feed(row.key),
        "input_modalities": list(row.input_modalities),
        "output_modalities": list(row.output_modalities),
        "context_length": row.context,
        "input_per_mtok": {"min": _price(row.cheapest_input), "max": _price(row.dearest_input)},
        "output_per_mtok": {"min": _price(row.cheapest_output), "max": _price(row.dearest_output)},
        "endpoint_count": row.endpoint_count,
        "orphan": row.orphan,
        "alias": row.alias,
        "created": iso(row.created) or None,
        "last_change": iso(row.last_change) or None,
        "data": row.entity,
    }


def _endpoint(row: EndpointRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "model": row.model_key,
        "provider": row.provider_key,
        "provider_tag": row.provider_tag,
        "page": row.href,
        "input_per_mtok": _price(row.input),
        "output_per_mtok": _price(row.output),
        "cache_read_per_mtok": _price(row.cache_read),
        "cache_write_per_mtok": _price(row.cache_write),
        "features": list(row.features),
        "context_length": row.context,
        "max_output": row.max_output,
        "quantization": row.quantization,
        "flags": list(row.flags),
        "p50_latency_ms": row.latency_ms,
        "p50_throughput": row.throughput,
        "data": row.entity,
    }


def _provider(row: ProviderRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "name": row.name,
        "page": row.href,
        "endpoint_count": row.endpoint_count,
        "model_count": row.model_count,
        "data": row.entity,
    }


def _price(value: Decimal | None) -> str | None:
    """Return a price per million tokens as a decimal string (exact, unlike a float)."""
    return None if value is None else format(value, "f")
