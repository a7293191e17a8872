"""Which provider record a provider file keeps while a record changes upstream.

A record changing upstream reaches some endpoint listings hours before others, so one sync
may see two records of one provider. The archived one stays while an endpoint still carries
it, else the commonest: the endpoints carrying the other note their difference
(archiver.upstream.endpoints). While a change is under way (an endpoint carried the new
record last sync already), an endpoint whose listing failed this sync still carries what it
carried when last read: which listings failed must not decide which record stays, or one
failed request rewrites the provider file and every endpoint of the provider, twice. A
record that changed everywhere at once is no change under way: the new one is taken.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass, field

# {providerSlug: a provider-level record, encoded with sorted keys as an endpoint's copy is}.
Records = Mapping[str, bytes]
# (failed listings' modelKeys, {providerSlug: records listed this sync}, endpoint ids listed)
# -> the (slug, archived record) pairs an archived endpoint of one of those models, not
# listed, still carries while the change to a listed record was under way already
# (archiver.archive.provider_records).
Carriers = Callable[[Set[str], Mapping[str, Set[bytes]], Set[str]], Iterable[tuple[str, bytes]]]


@dataclass(frozen=True)
class ArchivedProviders:
    """The archive's provider records, and which of them its endpoints carry."""

    records: Records = field(default_factory=dict)
    carriers: Carriers | None = None


def usual_providers(
    listed: Iterable[tuple[str, bytes] | None],
    old: Records,
    failed: Set[str] = frozenset(),
    carriers: Carriers | None = None,
    listed_ids: Set[str] = frozenset(),
) -> Records:
    """Return {slug: the provider-level record}: the archived one (`old`) while an endpoint
    listed, or kept because its listing (one of `failed`) failed, carries it; else the
    commonest (ties: the smallest canonical form)."""
    counts: Counter[tuple[str, bytes]] = Counter(p for p in listed if p is not None)
    # Only a provider listed with another record than its archived one can change: ask the
    # archive about those alone (reading its endpoint files costs a moment).
    wanted: dict[str, set[bytes]] = {}
    for slug, record in counts:
        if slug in old and (slug, old[slug]) not in counts:
            wanted.setdefault(slug, set()).add(record)
    if wanted and failed and carriers is not None:
        counts.update(set(carriers(failed, wanted, listed_ids)))
    usual: dict[str, bytes] = {}
    for slug, record in sorted(counts, key=lambda p: (old.get(p[0]) != p[1], -counts[p], p[1])):
        usual.setdefault(slug, record)
    return usual
