"""The provider records the archive holds, as a sync's endpoint listings are matched to them.

A provider file's `provider_info` part is the record the endpoint listings embed. When the
listings of one sync send two records (one changed upstream, some listings not yet), the
archived one stays while any listing still sends it (archiver.upstream.endpoints): which
listings failed that sync, and so sent nothing, must not decide it.
"""

from __future__ import annotations

from collections.abc import Iterator, Set
from typing import Any

import orjson

from archiver import jsonvalue
from archiver.archive.store import Store
from archiver.errors import UnsafeKeyError
from archiver.paths import category_dir, path_to_key
from archiver.upstream.endpoints import ABSENT_FIELD, OWN_FIELD, PROVIDER_FIELDS
from archiver.upstream.provider_choice import ArchivedProviders, Carriers, Records


def provider_records(store: Store) -> ArchivedProviders:
    """Return {providerSlug: its file's `provider_info` part, encoded with sorted keys as
    the endpoint listings' copies are}, for every provider file at HEAD that has one, and
    the lookup of which of them archived endpoints carry."""
    records: dict[str, bytes] = {}
    for path, blob in store.tracked(f"{category_dir('provider')}/").items():
        try:
            slug = path_to_key(path)[1]
            entity = jsonvalue.loads(store.read(blob))  # exact: numbers as upstream sent them
            info = entity.get("provider_info") if isinstance(entity, dict) else None
            if isinstance(info, dict):
                records[slug] = jsonvalue.dumps(info, orjson.OPT_SORT_KEYS)
        except (UnsafeKeyError, jsonvalue.DecodeError, jsonvalue.EncodeError):
            continue  # Not ours, or corrupt (the plan reports it): no record is preferred.
    return ArchivedProviders(records, _archived_carriers(store, records))


def _archived_carriers(store: Store, records: Records) -> Carriers:
    """Return the archive's answer to "which of these providers' archived records does an
    archived endpoint of these models (not listed this sync) carry unchanged?"."""
    tracked = store.tracked(f"{category_dir('endpoint')}/")

    def carriers(
        models: Set[str], slugs: Set[str], listed: Set[str]
    ) -> Iterator[tuple[str, bytes]]:
        for path, blob in tracked.items():
            try:
                key = path_to_key(path)[1]
                entity = jsonvalue.loads(store.read(blob)) if key not in listed else None
            except (UnsafeKeyError, jsonvalue.DecodeError):
                continue  # Not ours, or corrupt: it carries nothing known.
            if not isinstance(entity, dict) or entity.get("model_variant_slug") not in models:
                continue
            slug = entity.get("provider_info")
            if isinstance(slug, str) and slug in slugs and _carries_record(entity):
                yield slug, records[slug]

    return carriers


def _carries_record(endpoint: dict[str, Any]) -> bool:
    """Tell whether an archived endpoint's provider record is its provider file's, unchanged:
    no provider-level field of its own, none absent."""
    own = endpoint.get(OWN_FIELD)
    differs = isinstance(own, dict) and not PROVIDER_FIELDS.isdisjoint(own)
    return not differs and ABSENT_FIELD not in endpoint
