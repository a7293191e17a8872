"""The provider records the archive holds, as a sync's endpoint listings are matched to them.

A provider file's `provider_info` part is the record the endpoint listings embed. When the
listings of one sync send two records (one changed upstream, some listings not yet), the
archived one stays while any listing still sends it (archiver.upstream.endpoints): which
listings failed that sync, and so sent nothing, must not decide it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from typing import Any

import orjson
import pygit2

from archiver import jsonvalue
from archiver.archive.store import Store
from archiver.archive.trees import walk_files
from archiver.errors import UnsafeKeyError
from archiver.paths import category_dir, path_to_key
from archiver.upstream.endpoints import PROVIDER_FIELDS, rebuilt_provider_info
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
    archived endpoint of these failed listings' models carry, while another endpoint
    already carried the other record now listed (the change was under way last sync)?".

    A record that changed everywhere at once is no change under way: a failed listing then
    keeps nothing, or every endpoint of the provider would note the new record for an hour.
    """
    # The endpoint files are listed when asked, which is rare (a listing failed while its
    # provider's record changed), from the HEAD the records came from: listed up front, every
    # sync at 50,000 endpoints walked them (0.09 s) and held the list (12 MB) to its commit.
    head = store.head

    def carriers(
        models: Set[str], listed: Mapping[str, Set[bytes]], ids: Set[str]
    ) -> Iterator[tuple[str, bytes]]:
        carried, under_way = set(), set()
        for path, blob in _endpoint_files(store, head):
            try:
                key = path_to_key(path)[1]
                entity = jsonvalue.loads(store.read(blob))
                slug = entity.get("provider_info") if isinstance(entity, dict) else None
                if not isinstance(slug, str) or slug not in listed:
                    continue
                record = _carried_record(entity, records[slug])
            except (UnsafeKeyError, jsonvalue.DecodeError, jsonvalue.EncodeError):
                continue  # Not ours, or corrupt: it carries nothing known.
            if record == records[slug]:
                model_key = entity.get("model_variant_slug")
                if key not in ids and isinstance(model_key, str) and model_key in models:
                    carried.add(slug)
            elif record in listed[slug]:
                under_way.add(slug)
        yield from ((slug, records[slug]) for slug in sorted(carried & under_way))

    return carriers


def _carried_record(endpoint: dict[str, Any], record: bytes) -> bytes:
    """Return the provider-level record an archived endpoint carried, encoded as listed."""
    info = rebuilt_provider_info(endpoint, jsonvalue.loads(record))
    shared = {k: v for k, v in info.items() if k in PROVIDER_FIELDS}
    return jsonvalue.dumps(shared, orjson.OPT_SORT_KEYS)


def _endpoint_files(store: Store, head: pygit2.Commit | None) -> Iterator[tuple[str, str]]:
    """Yield (path, blob id) of every endpoint file in head's tree."""
    folder = category_dir("endpoint")
    try:
        tree = head.tree[folder] if head is not None else None
    except KeyError:
        return
    if isinstance(tree, pygit2.Tree):
        yield from walk_files(store.repo, tree, f"{folder}/")
