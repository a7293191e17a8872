"""Which archived endpoints a sync's listings did not hold, read from the archive.

A model whose archived endpoints were not all seen in the endpoint listings it fetched needs
its own listing fetched before anything is removed (archiver.sync's fetch asks this).
"""

from __future__ import annotations

from collections.abc import Callable

from archiver import jsonvalue
from archiver.archive.store import Store
from archiver.errors import UnsafeKeyError
from archiver.paths import category_dir, path_to_key

# {endpoint ids some listing held} -> {modelKey: variant} of archived endpoints not among them.
UnseenEndpoints = Callable[[set[str]], dict[str, str]]


def unseen_endpoints(store: Store) -> UnseenEndpoints:
    """Return the archive's answer to "which models hold archived endpoints not seen?"."""
    tracked = store.tracked(f"{category_dir('endpoint')}/")

    def lookup(seen: set[str]) -> dict[str, str]:
        models: dict[str, str] = {}
        for path, blob in tracked.items():
            try:
                key = path_to_key(path)[1]
            except UnsafeKeyError:
                continue  # Not ours; the plan leaves it alone too.
            if key in seen:
                continue
            try:
                entity = jsonvalue.loads(store.read(blob))  # exact: a file may hold 1e400
            except jsonvalue.DecodeError:
                continue  # The plan reports a corrupt file and rewrites it.
            if not isinstance(entity, dict):
                continue
            model_key, variant = entity.get("model_variant_slug"), entity.get("variant")
            if isinstance(model_key, str):
                models.setdefault(model_key, variant if isinstance(variant, str) else "standard")
        return models

    return lookup


def archived_models(store: Store) -> frozenset[str]:
    """Return the modelKeys with a file at HEAD: a variant not among them has no figures
    standing, so its daily-bucket telemetry is due in this sync, whatever its slot."""
    keys: set[str] = set()
    for path in store.tracked(f"{category_dir('model')}/"):
        try:
            keys.add(path_to_key(path)[1])
        except UnsafeKeyError:
            continue  # Not ours: no model of the catalog is archived under it.
    return frozenset(keys)
