"""Upstream descriptions as safe HTML: Markdown rendered by markdown-it-py, then sanitised by nh3.

Descriptions are untrusted. Raw HTML in them is shown as text (markdown-it's ``html``
option is off), links are rewritten before rendering (OpenRouter's own ``/models/<key>``
links point at our model pages when we have the model, other site-relative links at
openrouter.ai, anything else loses its link), and nh3 then keeps only a short list of
tags and http(s)/mailto links: nothing upstream sends can run script or load anything.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from archiver.site.formats import xml_text

__all__ = ["render_markdown"]

UPSTREAM_SITE = "https://openrouter.ai"
SAFE_TAGS = frozenset(
    {"p", "a", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "br", "hr"}
    | {"h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "del", "s"}
)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}

# Resolves a modelKey to a link into this site, or None when the site has no such page.
ModelLink = Callable[[str], str | None]

_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str | None, model_link: ModelLink | None = None) -> Markup:
    """Return untrusted Markdown as sanitised HTML, links rewritten with model_link."""
    if not text:
        return Markup("")
    tokens = _PARSER.parse(xml_text(text))
    _images_to_text(tokens)
    for token in _links(tokens):
        href = _rewrite(str(token.attrGet("href") or ""), model_link)
        if href is None:
            token.attrs.pop("href", None)
        else:
            token.attrSet("href", href)
    html = _PARSER.renderer.render(tokens, _PARSER.options, {})
    return Markup(_sanitise(_demote_headings(html)))


def _links(tokens: list[Token]) -> list[Token]:
    """Return every link_open token, inline children included."""
    found = []
    for token in tokens:
        if token.type == "link_open":
            found.append(token)
        found.extend(_links(token.children or []))
    return found


def _images_to_text(tokens: list[Token]) -> None:
    """Turn images into their alt text: the site loads nothing from elsewhere."""
    for token in tokens:
        if token.type == "image":
            alt = "".join(child.content for child in token.children or [])
            token.type, token.tag, token.children = "text", "", None
            token.content = f"[image: {alt}]" if alt else "[image]"
        _images_to_text(token.children or [])


def _rewrite(href: str, model_link: ModelLink | None) -> str | None:
    """Return where a description's link should point, or None to drop the link."""
    parts = urlsplit(href.strip())
    if parts.scheme:
        return href if parts.scheme.lower() in SAFE_SCHEMES else None
    if parts.netloc or not href.startswith("/"):
        return None  # Protocol-relative or page-relative: it has no meaning on this site.
    key = href.removeprefix("/models/") if href.startswith("/models/") else href.lstrip("/")
    local = model_link(key.split("?")[0].split("#")[0]) if model_link else None
    return local or f"{UPSTREAM_SITE}{href}"


def _demote_headings(html: str) -> str:
    """Return html with h1/h2 turned into h3/h4, so a description never outranks the page."""
    for level, lower in (("h2", "h4"), ("h1", "h3")):
        html = html.replace(f"<{level}>", f"<{lower}>").replace(f"</{level}>", f"</{lower}>")
    return html


def _sanitise(html: str) -> str:
    """Return html with only safe tags, attributes and link schemes left."""
    return nh3.clean(
        html,
        tags=set(SAFE_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(SAFE_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
