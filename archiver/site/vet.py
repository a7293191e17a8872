"""Leave out of the site the archived entities it cannot show, each reported in one line.

The archive is written by the archiver, but a clone can hold anything: a file edited by
hand, a commit from another tool. One such file must cost its own page, never the site:
an entity is left out when it cannot be written back as JSON (nested deeper than JSON
files hold), when a reference in it (its model, its provider) is not a key that can
become a path (``../../index``, a newline), or when the site's own row of it fails.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from archiver import jsonvalue
from archiver.errors import UnsafeKeyError
from archiver.paths import Category, key_to_path
from archiver.site.catalog import endpoint_row, model_row, provider_row
from archiver.site.context import Entity, Projection

__all__ = ["vetted"]

_FOLDERS: dict[Category, str] = {
    "model": "models",
    "endpoint": "endpoints",
    "provider": "providers",
}


def vetted(projection: Projection, problems: list[str]) -> Projection:
    """Return the projection without the entities the site cannot show, reporting each."""
    kept = {
        category: {
            key: entity
            for key, entity in getattr(projection, folder).items()
            if _fit(category, key, entity, projection, problems)
        }
        for category, folder in _FOLDERS.items()
    }
    return dataclasses.replace(
        projection,
        models=kept["model"],
        endpoints=kept["endpoint"],
        providers=kept["provider"],
    )


def _fit(
    category: Category, key: str, entity: Entity, projection: Projection, problems: list[str]
) -> bool:
    """Tell whether the site can show one entity; if not, say why in problems."""
    problem = _problem(category, key, entity, projection)
    if problem is None:
        return True
    path = key_to_path(category, key)
    problems.append(f"{path}: {problem}; its page was not built: fix or revert that commit")
    return False


def _problem(category: Category, key: str, entity: Entity, projection: Projection) -> str | None:
    """Return why the site cannot show an entity, or None."""
    try:
        jsonvalue.dumps(entity)
    except jsonvalue.EncodeError as error:
        return str(error)
    references = _references(category, entity)
    if category == "endpoint" and not any(other == "model" for other, _ in references):
        # Its row, its grid cell and its model page link all need the model's key.
        return "it names no model (no model_variant_slug)"
    for other, reference in references:
        try:
            key_to_path(other, reference)
        except UnsafeKeyError as error:
            return f"its {other} reference is unsafe ({error})"
    try:
        _ROWS[category](key, entity, projection)
    except Exception as error:
        return f"the site cannot read it ({type(error).__name__}: {error})"
    return None


def _references(category: Category, entity: Entity) -> list[tuple[Category, str]]:
    """Return the (category, key) of every entity this one names, for its links."""
    if category != "endpoint":
        return []
    names: list[tuple[Category, Any]] = [
        ("model", entity.get("model")),
        ("model", entity.get("model_variant_slug")),
        ("provider", entity.get("provider_info")),
    ]
    return [(other, value) for other, value in names if isinstance(value, str) and value]


_ROWS: dict[str, Callable[[str, Entity, Projection], Any]] = {
    "endpoint": lambda key, entity, projection: endpoint_row(key, entity, projection, None),
    "model": lambda key, entity, projection: model_row(key, entity, projection, [], None),
    "provider": lambda key, entity, projection: provider_row(key, entity, []),
}
