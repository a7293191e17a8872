"""Changes read as states: each entity's state after a sync, not every story told of it.

A sync's changes tell more than file moves: a ZDR ledger change is told as a change of the
endpoint it names, with that endpoint's file on both sides. When the endpoint left the
catalog and the list in one sync, that change comes after the removal and carries the
endpoint's last file: read as a state, it brought the endpoint back, priced, until now (a
gone model kept its endpoints, a gone endpoint's pricing interval stayed open).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from archiver.history.versions import SyncChanges

__all__ = ["settled"]


def settled(groups: Sequence[SyncChanges]) -> list[SyncChanges]:
    """Return the groups without the changes that follow their entity's removal in a sync."""
    found = []
    for group in groups:
        removed: set[tuple[str, str]] = set()
        kept = []
        for change in group.changes:
            key = (change.category, change.key)
            if change.after is None:
                removed.add(key)
            elif key in removed:
                continue
            kept.append(change)
        found.append(replace(group, changes=kept) if len(kept) < len(group.changes) else group)
    return found
