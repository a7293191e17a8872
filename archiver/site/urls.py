"""Where each page of the site lives: paths relative to the site's root, and links to them.

Entity keys map to page paths with the archive's own reversible encoding
(:mod:`archiver.paths`), so ``openai/gpt-4.1`` is ``model/openai/gpt-4.1.html`` and a
``:free`` variant is ``model/.../x~free.html``. Links are those paths percent-encoded
and made relative to the page that holds them, so the site works from a folder.
"""

from __future__ import annotations

from urllib.parse import quote

from archiver.paths import ROOT, SUFFIX, Category, key_to_path

__all__ = [
    "endpoint_page",
    "href",
    "model_feed",
    "model_page",
    "provider_page",
    "root_of",
]

_SAFE = "/~!-._"


def _encoded(category: Category, key: str) -> str:
    """Return the key's encoded path below its category folder, without a suffix."""
    return key_to_path(category, key)[len(f"{ROOT}/{category}/") : -len(SUFFIX)]


def model_page(key: str) -> str:
    """Return the path of a model's page."""
    return f"model/{_encoded('model', key)}.html"


def endpoint_page(key: str) -> str:
    """Return the path of an endpoint's page."""
    return f"endpoint/{_encoded('endpoint', key)}.html"


def provider_page(key: str) -> str:
    """Return the path of a provider's page."""
    return f"provider/{_encoded('provider', key)}.html"


def model_feed(key: str) -> str:
    """Return the path of a model's Atom feed."""
    return f"feeds/model/{_encoded('model', key)}.xml"


def href(path: str) -> str:
    """Return a site path as it goes in a link (percent-encoded; `%` in names included)."""
    return quote(path, safe=_SAFE)


def root_of(path: str) -> str:
    """Return the relative link from the page at path back to the site's root."""
    return "../" * path.count("/")
