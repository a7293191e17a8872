"""Atom feeds of the change history: every change, per model, per provider, per kind.

One entry per sync (for a model's or provider's feed: per sync that touched it or one of
its endpoints; for a kind's: per sync with a change of that kind), titled by what the sync
did ("3 price, 2 new") and holding each change's one-line summary and facts. Built with
ElementTree, so every piece of upstream text is escaped as XML, and the entry HTML is
escaped again by markupsafe: a feed reader shows upstream text, never runs it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import escape

from archiver.site.cards import KIND_LABELS, ChangeCard
from archiver.site.formats import iso, moment, page_text, xml_text
from archiver.site.rows import Catalog
from archiver.site.timeline import Timeline
from archiver.site.urls import href, model_feed, provider_page

__all__ = [
    "ENTRIES",
    "FeedSpec",
    "atom_feed",
    "kind_feed",
    "kind_feeds",
    "provider_feed",
    "site_feeds",
]

ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 50
_ID_ROOT = "tag:openrouter-archiver,2026:"
# The ASCII characters an IRI path may not hold as they are (RFC 3987's ipchar and "/").
_NOT_IN_IRI = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/\x80-\U0010ffff]")


def atom_feed(
    *,
    path: str,
    title: str,
    subject: str,
    cards: Sequence[ChangeCard],
    base_url: str,
    updated: datetime | None,
    page: str,
    commits: Sequence[str] = (),
) -> bytes:
    """Return an Atom feed of cards (newest first), an entry per sync, at most ENTRIES.

    commits: the archive's commits, newest first, which orders two syncs of one hour.
    updated: the feed's date when it has no entry.
    """
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", f"{_ID_ROOT}{_iri(subject)}")
    _text(feed, "title", title)
    # Dated by its newest entry (RFC 4287: when it last changed), not by the build: dated by
    # the build's sync, every feed's bytes changed every hour though its entries had not.
    newest = max((card.epoch for card in cards), default=updated)
    _text(feed, "updated", iso(newest) or _EPOCH0)
    _link(feed, _address(base_url, path), "self")
    _link(feed, _address(base_url, page), "alternate")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "openrouter-archiver")
    for entry_id, epoch, grouped in _syncs(subject, cards, commits)[:ENTRIES]:
        _entry(feed, entry_id, epoch, grouped, base_url)
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


_EPOCH0 = "1970-01-01T00:00:00Z"


def _syncs(
    subject: str, cards: Sequence[ChangeCard], commits: Sequence[str]
) -> list[tuple[str, datetime, list[ChangeCard]]]:
    """Return each sync's entry id, epoch and cards, newest first.

    An entry is a sync, not an hour: two syncs in one hour (a rerun, a late schedule) made
    one entry whose content grew under the same id and date, so a feed reader that had it
    never showed the later sync's changes. The hour's first sync keeps the id every entry
    had (`<subject>/<epoch>`); a later one adds its commit, a new entry.
    """
    rank = {commit: index for index, commit in enumerate(commits)}
    by_sync: dict[tuple[datetime, str], list[ChangeCard]] = {}
    for card in cards:
        by_sync.setdefault((card.epoch, card.commit), []).append(card)
    # Newest epoch first, then the newer commit; stable, so unranked ones keep their order.
    ordered = sorted(by_sync, key=lambda sync: (sync[0], -rank.get(sync[1], -1)), reverse=True)
    first_of_hour: dict[datetime, str] = {}
    for epoch, commit in reversed(ordered):
        first_of_hour.setdefault(epoch, commit)
    found = []
    for epoch, commit in ordered:
        entry_id = f"{_ID_ROOT}{_iri(subject)}/{iso(epoch)}"
        if first_of_hour[epoch] != commit:
            entry_id += f"/{commit}"
        found.append((entry_id, epoch, by_sync[(epoch, commit)]))
    return found


def _iri(subject: str) -> str:
    """Return a feed's subject (a model's or provider's key in it) as it may stand in an IRI.

    An id is an IRI (RFC 4287): a key holding a space, `<`, `"`, `#` or a `%` not followed by
    two hex digits made the feed's and its entries' ids invalid. Those ASCII characters are
    percent-encoded; every other character stays, so the ids of other keys do not change.
    """
    return _NOT_IN_IRI.sub(lambda found: "".join(f"%{b:02X}" for b in found[0].encode()), subject)


def _entry(
    feed: ET.Element, entry_id: str, epoch: datetime, cards: list[ChangeCard], base_url: str
) -> None:
    """Add the entry of one sync's cards."""
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    _text(entry, "id", entry_id)
    _text(entry, "title", f"{moment(epoch)}: {_summary(cards)}")
    _text(entry, "updated", iso(epoch))
    page = next((card.href for card in cards if card.href), None)
    if page:
        _link(entry, _address(base_url, page), "alternate")
    content = _text(entry, "content", "".join(_card_html(card) for card in cards))
    content.set("type", "html")


def _summary(cards: Sequence[ChangeCard]) -> str:
    """Return how many changes of each kind a sync made, most important first: 3 price, 2 new."""
    counts: dict[str, int] = {}
    for card in cards:
        for kind in card.change_kinds:
            counts[kind] = counts.get(kind, 0) + 1
    order = list(KIND_LABELS)
    parts = [
        f"{counts[kind]} {KIND_LABELS[kind]}"
        for kind in sorted(counts, key=lambda kind: order.index(kind) if kind in order else 99)
    ]
    return ", ".join(parts) or "changes"


def _card_html(card: ChangeCard) -> str:
    """Return one change as an escaped HTML paragraph (its summary) and list (its facts)."""
    kinds = ", ".join(KIND_LABELS.get(kind, kind) for kind in card.change_kinds)
    items = "".join(f"<li>{escape(detail.text)}</li>" for detail in card.details[1:])
    head = f"<p><b>{escape(card.summary)}</b> ({escape(card.category)}: {escape(kinds)})</p>"
    return head + (f"<ul>{items}</ul>" if items else "")


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    """Add a child element holding text."""
    child = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    # ElementTree writes control characters as they are: the feed would not parse.
    child.text = page_text(text)
    return child


def _address(base_url: str, path: str) -> str:
    """Return the absolute address of a site path (a query or fragment kept as it is).

    A path is the file's name, and names hold `%` (a `~` alias model is at
    model/%7Eopenai/...): percent-encoded as the pages' links are, or a server decodes
    `%7E` to `~` and answers 404. A file's name never holds `?` or `#` (archiver.paths
    writes them as %3F, %23), so the first one starts a query or fragment.
    """
    cut = min((at for at in (path.find("?"), path.find("#")) if at >= 0), default=len(path))
    return base_url + href(path[:cut]) + path[cut:]


def _link(parent: ET.Element, address: str, rel: str) -> None:
    """Add a link element."""
    link = ET.SubElement(parent, f"{{{ATOM}}}link")
    link.set("rel", rel)
    link.set("href", xml_text(address))


@dataclass(frozen=True)
class FeedSpec:
    """One feed to write: where, its title and id, its cards (newest first), its page."""

    path: str
    title: str
    subject: str
    cards: list[ChangeCard]
    page: str


def provider_feed(key: str) -> str:
    """Return the path of a provider's Atom feed (beside its page's path, under feeds/)."""
    return "feeds/" + provider_page(key).removesuffix(".html") + ".xml"


def kind_feed(kind: str) -> str:
    """Return the path of the Atom feed of one kind of change."""
    return f"feeds/kind/{kind}.xml"


def kind_feeds(site_name: str, cards: Sequence[ChangeCard]) -> Iterator[FeedSpec]:
    """Yield a feed per kind of change, of every card (newest first) with that kind."""
    for kind, label in KIND_LABELS.items():
        yield FeedSpec(
            path=kind_feed(kind),
            title=f"{site_name}: {label} changes",
            subject=f"kind/{kind}",
            cards=[card for card in cards if kind in card.change_kinds],
            page=f"changes/index.html?kind={kind}",
        )


def site_feeds(site_name: str, catalog: Catalog, timeline: Timeline) -> Iterator[FeedSpec]:
    """Yield every feed of the site: all changes, then per model, provider and kind."""
    cards = [card for group in timeline.groups for card in group.cards]
    cards += [card for group in timeline.groups for found in group.bulk.values() for card in found]
    cards.sort(key=lambda card: card.epoch, reverse=True)  # Stable: each sync keeps its order.
    yield FeedSpec(
        "feeds/changes.xml", f"{site_name}: all changes", "changes", cards, "changes/index.html"
    )
    for model in catalog.models:
        title = f"{site_name}: {model.name} ({model.key})"
        history = timeline.history("model", model.key)
        yield FeedSpec(model_feed(model.key), title, f"model/{model.key}", history, model.href)
    yield from _gone_feeds(site_name, "model", {model.key for model in catalog.models}, timeline)
    for provider in catalog.providers:
        title = f"{site_name}: {provider.name} ({provider.key})"
        history = timeline.history("provider", provider.key)
        subject = f"provider/{provider.key}"
        yield FeedSpec(provider_feed(provider.key), title, subject, history, provider.href)
    listed = {provider.key for provider in catalog.providers}
    yield from _gone_feeds(site_name, "provider", listed, timeline)
    yield from kind_feeds(site_name, cards)


# archiver.site.graveyard.PAGE (which imports this module): where gone models are listed.
_GRAVEYARD_PAGE = "deprecations.html"
_FEED_PATHS = {"model": model_feed, "provider": provider_feed}


def _gone_feeds(
    site_name: str, category: str, listed: set[str], timeline: Timeline
) -> Iterator[FeedSpec]:
    """Yield the feed of each model or provider the archive held that is no longer listed.

    Its page goes with it, but not its feed: that vanished too, so whoever followed it
    never got the entry saying it left (nor, later, that it came back). Its page link is
    the graveyard's.
    """
    for (found, key), cards in timeline.by_entity.items():
        if found != category or key in listed or not cards:
            continue
        title = f"{site_name}: {cards[0].title} ({key})"
        history = timeline.history(category, key)
        path = _FEED_PATHS[category](key)
        yield FeedSpec(path, title, f"{category}/{key}", history, _GRAVEYARD_PAGE)
