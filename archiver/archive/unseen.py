"""Which archived endpoints a sync's listings did not hold, read from the archive.

A model whose archived endpoints were not all seen in the endpoint listings it fetched needs
its own listing fetched before anything is removed (archiver.sync's fetch asks this).
"""

from __future__ import annotations

from typing import Any

from archiver import jsonvalue
from archiver.archive.store import Store
from archiver.errors import UnsafeKeyError
from archiver.paths import category_dir, path_to_key
from archiver.upstream.entities import Variant
from archiver.upstream.unseen_listings import UnseenEndpoints


def unseen_endpoints(store: Store) -> UnseenEndpoints:
    """Return the archive's answer to "which models hold archived endpoints not seen?"."""
    tracked = store.tracked(f"{category_dir('endpoint')}/")

    def lookup(seen: set[str]) -> dict[str, Variant]:
        models: dict[str, Variant] = {}
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
            model_key = entity.get("model_variant_slug")
            if isinstance(model_key, str):
                models.setdefault(model_key, archived_variant(entity))
        return models

    return lookup


def archived_variant(entity: dict[str, Any]) -> Variant:
    """Return how an archived endpoint's model variant is asked for its listing: its
    `variant`, and the model's permaslug, which is its `model_variant_permaslug` but for the
    variant's suffix (`x-20260403:free` of variant `free`; "" where the fields do not say)."""
    variant = entity.get("variant")
    variant = variant if isinstance(variant, str) else "standard"
    permaslug = entity.get("model_variant_permaslug")
    permaslug = permaslug if isinstance(permaslug, str) else ""
    if variant != "standard":
        suffix = f":{variant}"
        permaslug = permaslug.removesuffix(suffix) if permaslug.endswith(suffix) else ""
    return Variant(permaslug, variant, has_endpoint=False)


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
