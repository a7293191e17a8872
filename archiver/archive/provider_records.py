"""The provider records the archive holds, as a sync's endpoint listings are matched to them.

A provider file's `provider_info` part is the record the endpoint listings embed. When the
listings of one sync send two records (one changed upstream, some listings not yet), the
archived one stays while any listing still sends it (archiver.upstream.endpoints): which
listings failed that sync, and so sent nothing, must not decide it.
"""

from __future__ import annotations

import orjson

from archiver import jsonvalue
from archiver.archive.store import Store
from archiver.errors import UnsafeKeyError
from archiver.paths import category_dir, path_to_key


def provider_records(store: Store) -> dict[str, bytes]:
    """Return {providerSlug: its file's `provider_info` part, encoded with sorted keys as
    the endpoint listings' copies are}, for every provider file at HEAD that has one."""
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
    return records
