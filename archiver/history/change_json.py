"""One JSON shape for a sync's classified changes: `archiver changes --json` and the site's API.

A change reads as its kinds (most important first), a one-line summary, its facts, the
exact price moves and the JSON Patch from the version before (null when JSON cannot hold
it). The site's browser index (archiver/site/change_index.py) is a compact projection of
the same facts, for size.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from archiver import jsonvalue
from archiver.history.kinds import Described, describe_change, importance
from archiver.history.versions import Change, SyncChanges
from archiver.times import format_epoch

__all__ = ["change_json", "described_changes", "sync_json"]


def described_changes(
    group: SyncChanges, model_names: Mapping[str, str], wanted: Collection[str] = ()
) -> list[tuple[Change, Described]]:
    """Return a sync's changes with their meaning, most important first, of the wanted kinds."""
    found = [(change, describe_change(change, model_names)) for change in group.changes]
    found = [item for item in found if not wanted or set(wanted) & set(item[1].kinds)]
    found.sort(key=lambda item: importance(item[1]))
    return found


def change_json(change: Change, about: Described) -> dict[str, Any]:
    """Return one change as JSON-ready data."""
    return {
        "category": change.category,
        "key": change.key,
        "kinds": [kind.value for kind in about.kinds],
        "classes": list(change.kinds),
        "summary": about.summary,
        "details": [{"kind": d.kind.value, "text": d.text} for d in about.details],
        "prices": [p.to_json() for p in change.prices],
        "patch": _writable_patch(change),
    }


def _writable_patch(change: Change) -> Any:
    """Return the change's JSON Patch, or None when JSON cannot hold it (nested too deep:
    a hostile value the archive keeps as its old version); the summary still tells."""
    try:
        jsonvalue.dumps(change.patch)
    except jsonvalue.EncodeError:
        return None
    return change.patch


def sync_json(group: SyncChanges, found: list[tuple[Change, Described]]) -> dict[str, Any]:
    """Return one sync's changes (as `described_changes` gives them) as JSON-ready data."""
    return {
        "epoch": format_epoch(group.epoch),
        "commit": group.commit,
        "changes": [change_json(change, about) for change, about in found],
    }
