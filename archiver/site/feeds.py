"""Atom feeds of the change history: every change, and one feed per model.

One entry per sync (for a model's feed: per sync that touched the model or one of its
endpoints), its content an HTML list of what changed. Built with ElementTree, so every
piece of upstream text is escaped as XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby

from markupsafe import escape

from archiver.site.cards import KIND_LABELS, ChangeCard
from archiver.site.formats import iso, moment, percent, xml_text

__all__ = ["ENTRIES", "atom_feed"]

ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 50
_ID_ROOT = "tag:openrouter-archiver,2026:"


def atom_feed(
    *,
    path: str,
    title: str,
    subject: str,
    cards: Sequence[ChangeCard],
    base_url: str,
    updated: datetime | None,
    page: str,
) -> bytes:
    """Return an Atom feed of cards (newest first), an entry per sync, at most ENTRIES."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", f"{_ID_ROOT}{subject}")
    _text(feed, "title", title)
    _text(feed, "updated", iso(updated or (cards[0].epoch if cards else None)) or _EPOCH0)
    _link(feed, base_url + path, "self")
    _link(feed, base_url + page, "alternate")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "openrouter-archiver")
    for count, (epoch, grouped) in enumerate(groupby(cards, key=lambda card: card.epoch)):
        if count >= ENTRIES:
            break
        _entry(feed, subject, epoch, list(grouped), base_url)
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


_EPOCH0 = "1970-01-01T00:00:00Z"


def _entry(
    feed: ET.Element, subject: str, epoch: datetime, cards: list[ChangeCard], base_url: str
) -> None:
    """Add the entry of one sync's cards."""
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    _text(entry, "id", f"{_ID_ROOT}{subject}/{iso(epoch)}")
    _text(entry, "title", f"{moment(epoch)}: {_summary(cards)}")
    _text(entry, "updated", iso(epoch))
    page = next((card.href for card in cards if card.href), None)
    if page:
        _link(entry, base_url + page, "alternate")
    content = _text(entry, "content", "".join(_card_html(card) for card in cards))
    content.set("type", "html")


def _summary(cards: Sequence[ChangeCard]) -> str:
    """Return how many changes of each kind a sync made: 3 price down, 2 added."""
    counts: dict[str, int] = {}
    for card in cards:
        for kind in card.kinds:
            counts[kind] = counts.get(kind, 0) + 1
    parts = [f"{n} {KIND_LABELS.get(kind, kind)}" for kind, n in counts.items()]
    return ", ".join(parts) or "changes"


def _card_html(card: ChangeCard) -> str:
    """Return one card as a short escaped HTML paragraph and list."""
    who = card.title if card.category != "endpoint" else f"{card.title} on {card.provider_tag}"
    kinds = ", ".join(KIND_LABELS.get(kind, kind) for kind in card.kinds)
    items = [
        f"{escape(line.label)}: {escape(line.old)} \u2192 {escape(line.new)}"
        f"{escape(line.unit)} ({'up' if line.up else 'down'} {percent(line.percent)})"
        for line in card.prices
    ]
    items += [str(escape(line)) for line in card.lines]
    items += [f"{escape(f.label)}: {escape(f.value)}" for f in card.figures]
    body = "".join(f"<li>{item}</li>" for item in items)
    return f"<p><b>{escape(who)}</b> ({escape(card.category)}: {escape(kinds)})</p>" + (
        f"<ul>{body}</ul>" if body else ""
    )


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    """Add a child element holding text."""
    child = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    # ElementTree writes control characters as they are: the feed would not parse.
    child.text = xml_text(text)
    return child


def _link(parent: ET.Element, href: str, rel: str) -> None:
    """Add a link element."""
    link = ET.SubElement(parent, f"{{{ATOM}}}link")
    link.set("rel", rel)
    link.set("href", xml_text(href))
