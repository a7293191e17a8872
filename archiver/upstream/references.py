"""Which entities an upstream endpoint refers to, and whether the archive can hold them.

An endpoint names its model (`model_variant_slug`) and its provider (`provider_info.slug`);
every reader finds them by those keys, so an endpoint whose keys no file can be archived under
is refused, and a model's listing that holds another model's endpoints is no listing of it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from archiver.errors import UnsafeKeyError
from archiver.paths import Category, key_to_path


def foreign_model(model_key: str, items: list[dict[str, Any]]) -> str | None:
    """Return the first other model a real model's listing holds an endpoint of (None: none;
    a `~` alias lists its target's endpoints; a key that is no model key is refused apart)."""
    if model_key.startswith("~"):
        return None
    for item in items:
        other = item.get("model_variant_slug")
        if isinstance(other, str) and other != model_key and not _reference_problem("model", other):
            return other
    return None


@functools.lru_cache(maxsize=4096)
def _reference_problem(category: Category, key: str) -> str | None:
    """Return why a key an endpoint refers to cannot be archived, or None (keys repeat)."""
    try:
        key_to_path(category, key)
    except UnsafeKeyError as error:
        return str(error)
    return None


def archivable(category: Category, key: str) -> bool:
    """Tell whether a key can name an archive file (a request about one that cannot is
    wasted: whatever it answers is refused with its entity)."""
    return _reference_problem(category, key) is None


def unsafe_reference(entity: Mapping[str, Any]) -> str | None:
    """Return why an endpoint's model or provider reference is unsafe, or None."""
    model_key = entity.get("model_variant_slug")
    if not isinstance(model_key, str) or not model_key:
        # Every reader (removals, the site, prices) finds an endpoint's model by this key.
        return f"its model_variant_slug {model_key!r} is not a model key"
    info = entity.get("provider_info")
    if isinstance(info, str):
        # An endpoint file holds its provider's slug there: text kept as sent would read as
        # a reference to a provider upstream never named. Any other type is kept as sent.
        return f"its provider_info {info!r} is text, not a provider object"
    references = (
        ("model", entity.get("model_variant_slug")),
        ("provider", info.get("slug") if isinstance(info, dict) else None),
    )
    for category, key in references:
        if isinstance(key, str):
            problem = _reference_problem(category, key)
            if problem:
                return problem
    return None
