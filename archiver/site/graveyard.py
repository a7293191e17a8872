"""Deprecations and the graveyard: what OpenRouter says will go, and the models that went.

Deprecations are the models and endpoints of the projection whose record carries an end
date: a model's ``catalog.deprecation_date`` (a time) or ``v1.expiration_date`` (a day),
an endpoint's ``deprecation_date``. They are listed soonest first, each with the sync at
which the archive first showed that date ("announced"; for an entity that arrived with
it, the sync it arrived in). The graveyard lists the models the archive held that are no
longer in the projection: when they left, the end date they had, and their last prices
(the list price, and each endpoint's as it left).

Both come from one pass over the change history the site has already read, and each list
has an Atom feed: the change cards of its events (a date set, moved or withdrawn; a model
or provider leaving), written by :func:`archiver.site.feeds.atom_feed`.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from archiver.history.kinds import model_name
from archiver.history.settled import settled
from archiver.history.versions import SyncChanges
from archiver.site.cards import ChangeCard
from archiver.site.catalog import provider_name
from archiver.site.context import Entity, Projection
from archiver.site.feeds import FeedSpec, provider_feed
from archiver.site.formats import per_million
from archiver.site.page_contexts import Frame, SiteInfo
from archiver.site.pricing_api import pricing_file
from archiver.site.rows import Catalog
from archiver.site.timeline import Timeline
from archiver.site.urls import endpoint_page, model_feed, model_page
from archiver.site.values import as_text, dig, iso_time

__all__ = [
    "DEPRECATIONS_FEED",
    "GRAVEYARD_FEED",
    "PAGE",
    "Deprecation",
    "DeprecationsPage",
    "GoneEndpoint",
    "GoneModel",
    "GoneProvider",
    "deprecations_page",
    "lifecycle_feeds",
]

PAGE = "deprecations.html"
DEPRECATIONS_FEED = "feeds/deprecations.xml"
GRAVEYARD_FEED = "feeds/graveyard.xml"
# Where each category keeps its end date, most precise first.
END_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "model": (("catalog", "deprecation_date"), ("v1", "expiration_date")),
    "endpoint": (("deprecation_date",),),
}
Key = tuple[str, str]
Event = tuple[str, str, datetime]


@dataclass(frozen=True)
class Deprecation:
    """One model or endpoint with an end date, and when the archive first showed it."""

    category: str
    key: str
    title: str
    href: str
    provider: str | None
    field: str
    text: str
    date: datetime | None
    announced: datetime | None


@dataclass(frozen=True)
class GoneEndpoint:
    """One endpoint of a gone model: its provider and its last prices per M tokens."""

    provider: str
    input: Decimal | None
    output: Decimal | None
    left: datetime


@dataclass(frozen=True)
class GoneModel:
    """A model no longer listed: when it left, the end date it had, its last prices."""

    key: str
    name: str
    left: datetime
    first_seen: datetime | None
    end_date: str | None
    input: Decimal | None
    output: Decimal | None
    endpoints: list[GoneEndpoint]
    prices: str | None  # None: no pricing archived, so no file to link
    feed: str


@dataclass(frozen=True)
class GoneProvider:
    """A provider no longer listed: when it left, and its feed (kept, telling that)."""

    key: str
    name: str
    left: datetime
    feed: str


@dataclass(frozen=True)
class DeprecationsPage:
    """The deprecations and the graveyard, each with its feed."""

    frame: Frame
    deprecations: list[Deprecation]
    graveyard: list[GoneModel]
    gone_providers: list[GoneProvider]
    deprecations_feed: str
    graveyard_feed: str
    # The syncs at which an end date was set, moved or withdrawn: the deprecations feed.
    announcements: frozenset[Event]


@dataclass
class _Scan:
    """What one pass over the history found: end dates and when each was shown first."""

    shown: dict[Key, tuple[tuple[str | None, ...], datetime]]
    events: set[Event]
    last: dict[Key, tuple[datetime, Entity | None, Entity | None]]
    first_seen: dict[Key, datetime]


def deprecations_page(
    site: SiteInfo,
    projection: Projection,
    catalog: Catalog,
    groups: Sequence[SyncChanges],
    written: Container[str],
) -> DeprecationsPage:
    """Return the deprecations and graveyard page of the projection (written: the pricing
    files the build wrote, the only ones it links)."""
    scan = _scan(groups)
    frame = Frame(site, PAGE, "Deprecations and graveyard", "deprecations", DEPRECATIONS_FEED)
    return DeprecationsPage(
        frame=frame,
        deprecations=_deprecations(projection, catalog, scan),
        graveyard=_graveyard(projection, catalog, scan, written),
        gone_providers=_gone_providers(projection, groups),
        deprecations_feed=DEPRECATIONS_FEED,
        graveyard_feed=GRAVEYARD_FEED,
        announcements=frozenset(scan.events),
    )


def lifecycle_feeds(
    site_name: str, page: DeprecationsPage, timeline: Timeline
) -> Iterator[FeedSpec]:
    """Yield the feeds of both lists: end dates set, moved or withdrawn; models and
    providers that left (the graveyard lists both: its feed tells both)."""
    announced = _cards(timeline, page.announcements)
    gone = frozenset(
        [("model", model.key, model.left) for model in page.graveyard]
        + [("provider", provider.key, provider.left) for provider in page.gone_providers]
    )
    yield FeedSpec(DEPRECATIONS_FEED, f"{site_name}: deprecations", "deprecations", announced, PAGE)
    yield FeedSpec(
        GRAVEYARD_FEED,
        f"{site_name}: models and providers gone",
        "graveyard",
        _cards(timeline, gone),
        PAGE,
    )


def _scan(groups: Sequence[SyncChanges]) -> _Scan:
    """Return every entity's end dates over time, its last change, and its first sync."""
    scan = _Scan({}, set(), {}, {})
    for group in reversed(settled(groups)):
        for change in group.changes:
            if change.category not in END_FIELDS:
                continue
            key = (change.category, change.key)
            scan.first_seen.setdefault(key, change.epoch)
            scan.last[key] = (change.epoch, change.before, change.after)
            if change.after is None:
                continue  # Leaving is not a new date; a return with the same date is not either.
            dates = _end_dates(change.category, change.after)
            known = scan.shown.get(key)
            if (known is None and any(dates)) or (known is not None and known[0] != dates):
                scan.shown[key] = (dates, change.epoch)
                scan.events.add((change.category, change.key, change.epoch))
    return scan


def _end_dates(category: str, entity: Mapping[str, Any]) -> tuple[str | None, ...]:
    """Return the entity's end dates as archived, one per field of END_FIELDS."""
    return tuple(as_text(dig(entity, path)) for path in END_FIELDS[category])


def _deprecations(projection: Projection, catalog: Catalog, scan: _Scan) -> list[Deprecation]:
    """Return every listed model and endpoint with an end date, soonest first."""
    found = []
    for category, entities in (("model", projection.models), ("endpoint", projection.endpoints)):
        for key, entity in entities.items():
            dates = _end_dates(category, entity)
            index = next((i for i, text in enumerate(dates) if text), None)
            if index is None:
                continue
            text = dates[index] or ""
            shown = scan.shown.get((category, key))
            announced = shown[1] if shown and shown[0] == dates else None
            field = ".".join(END_FIELDS[category][index])
            found.append(_deprecation(category, key, entity, catalog, field, text, announced))
    found.sort(key=lambda d: (d.date is None, d.date.timestamp() if d.date else 0.0, d.title))
    return found


def _deprecation(
    category: str,
    key: str,
    entity: Entity,
    catalog: Catalog,
    field: str,
    text: str,
    announced: datetime | None,
) -> Deprecation:
    """Return one deprecation with the names the page shows."""
    if category == "model":
        row = catalog.model_index.get(key)
        title = row.name if row else model_name(entity, key)
        return Deprecation(
            category, key, title, model_page(key), None, field, text, iso_time(text), announced
        )
    model = as_text(entity.get("model")) or ""
    model_row = catalog.model_index.get(model)
    provider_key = as_text(entity.get("provider_info")) or ""
    provider_row = catalog.provider_index.get(provider_key)
    provider = provider_row.name if provider_row else provider_key
    tag = as_text(entity.get("provider_slug")) or provider
    title = model_row.name if model_row else model
    return Deprecation(
        category, key, title, endpoint_page(key), tag, field, text, iso_time(text), announced
    )


def _graveyard(
    projection: Projection, catalog: Catalog, scan: _Scan, written: Container[str]
) -> list[GoneModel]:
    """Return the models whose last change removed them, most recently gone first."""
    gone_endpoints: dict[str, list[GoneEndpoint]] = {}
    for (category, key), (epoch, before, after) in scan.last.items():
        if category != "endpoint" or after is not None or before is None:
            continue
        if key not in projection.endpoints:
            owner = as_text(before.get("model")) or ""
            gone_endpoints.setdefault(owner, []).append(_gone_endpoint(before, epoch, catalog))
    found = []
    for (category, key), (epoch, before, after) in scan.last.items():
        if category != "model" or after is not None or before is None:
            continue
        if key in projection.models:
            continue
        endpoints = sorted(
            gone_endpoints.get(key, []), key=lambda e: (e.input is None, e.input or 0)
        )
        dates = [text for text in _end_dates("model", before) if text]
        found.append(
            GoneModel(
                key=key,
                name=model_name(before, key),
                left=epoch,
                first_seen=scan.first_seen.get((category, key)),
                end_date=dates[0] if dates else None,
                input=per_million(dig(before, ("v1", "pricing", "prompt"))),
                output=per_million(dig(before, ("v1", "pricing", "completion"))),
                endpoints=endpoints,
                prices=pricing_file(key) if pricing_file(key) in written else None,
                feed=model_feed(key),
            )
        )
    found.sort(key=lambda model: (model.left, model.name), reverse=True)
    return found


def _gone_providers(projection: Projection, groups: Sequence[SyncChanges]) -> list[GoneProvider]:
    """Return the providers whose last change removed them, most recently gone first."""
    last: dict[str, tuple[datetime, Entity | None, Entity | None]] = {}
    for group in settled(groups):  # Newest first: an entity's first change seen is its last.
        for change in group.changes:
            if change.category == "provider":
                last.setdefault(change.key, (change.epoch, change.before, change.after))
    found = [
        GoneProvider(key, provider_name(before, key), epoch, provider_feed(key))
        for key, (epoch, before, after) in last.items()
        if after is None and before is not None and key not in projection.providers
    ]
    found.sort(key=lambda provider: (provider.left, provider.name), reverse=True)
    return found


def _gone_endpoint(entity: Entity, left: datetime, catalog: Catalog) -> GoneEndpoint:
    """Return a gone endpoint's provider and last prices."""
    provider_key = as_text(entity.get("provider_info")) or ""
    row = catalog.provider_index.get(provider_key)
    tag = as_text(entity.get("provider_slug")) or (row.name if row else provider_key)
    return GoneEndpoint(
        tag,
        per_million(dig(entity, ("pricing", "prompt"))),
        per_million(dig(entity, ("pricing", "completion"))),
        left,
    )


def _cards(timeline: Timeline, events: frozenset[Event]) -> list[ChangeCard]:
    """Return the change cards of the given (category, key, epoch) events, newest first."""
    cards = [
        card
        for category, key in {(category, key) for category, key, _ in events}
        for card in timeline.by_entity.get((category, key), [])
        if (card.category, card.key, card.epoch) in events
    ]
    return sorted(cards, key=lambda card: (card.epoch, card.key), reverse=True)
