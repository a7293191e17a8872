"""The endpoint listings a sync asks for archived endpoints that no other listing held.

A removal needs a listing that shows the endpoint gone (SPEC). The catalog names the
listings of its models with a featured endpoint; two kinds of model still hold archived
endpoints without one: a catalog model shown with `endpoint: null`, and a model that left
the catalog while /api/v1/models still lists it. The first is asked with the catalog's
permaslug, the second with the one its archived endpoints carry (the catalog no longer
gives it); without that, its endpoints stood as present, their figures too, for good.
"""

from __future__ import annotations

from collections.abc import Callable

from archiver.upstream import sources
from archiver.upstream.entities import Observer, Variant
from archiver.upstream.fetch import Fetcher, Response
from archiver.upstream.listing import listing_items

# {endpoint ids some listing held} -> {modelKey: Variant} of archived endpoints not among
# them (the permaslug "" where their files do not give it).
UnseenEndpoints = Callable[[set[str]], dict[str, Variant]]


async def fetch_unseen_listings(
    fetcher: Fetcher,
    observer: Observer,
    variants: dict[str, Variant],
    unseen: UnseenEndpoints,
    offered: Callable[[Response], Response | None],
) -> None:
    """Fetch the listing of each model that still has archived endpoints no listing held:
    shown by the catalog with `endpoint: null`, or gone from the catalog (read) but not
    from /api/v1/models (their variant is the one those endpoints carry)."""
    v1_keys = _v1_keys(observer.v1_models) if variants else set()
    wanted: dict[str, str] = {}
    off_catalog: set[str] = set()
    for key, archived in sorted(unseen(observer.seen_endpoints()).items()):
        listed = variants.get(key)
        if listed is not None and not listed.has_endpoint:
            wanted[key] = sources.variant_url(
                sources.ENDPOINT_STATS, listed.permaslug, archived.variant
            )
        elif listed is None and key in v1_keys and archived.permaslug:
            wanted[key] = archived.url(sources.ENDPOINT_STATS)
            off_catalog.add(key)
    keys = list(wanted)

    def take(position: int, response: Response) -> None:
        key = keys[position]
        if key in off_catalog and response.status == 404:
            # A model the catalog no longer lists may have no listing: no evidence either
            # way, and no failure; its endpoints stay as they were, as before it was asked.
            return
        if offered(response) is not None:
            observer.endpoint_listing(key, response)
        else:
            observer.endpoint_listing_not_offered(key)

    if wanted:
        await fetcher.get_many(wanted.values(), take)


def _v1_keys(response: Response | None) -> set[str]:
    """Return the modelKeys /api/v1/models lists (none when it was not read)."""
    items = listing_items(response, "v1 models", ("id",), []) or []
    return {item["id"] for item in items}
