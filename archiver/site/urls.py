"""Where each page of the site lives: paths relative to the site's root, and links to them.

Entity keys map to page paths with the archive's own reversible encoding
(:mod:`archiver.paths`), so ``openai/gpt-4.1`` is ``model/openai/gpt-4.1.html`` and a
``:free`` variant is ``model/.../x~free.html``. Links are those paths percent-encoded
and made relative to the page that holds them, so the site works from a folder.

Two more escapes keep every key's file its own, as the archive's paths do for ``.json``
folders: a folder ending in ``.html`` or ``.xml`` has that dot written ``%2E`` (key
``x.html/y`` is ``model/x%2Ehtml/y.html``, clear of key ``x``'s ``model/x.html``), and the
model keyed ``index`` has its pricing file at ``api/pricing/%69ndex.json``, clear of the
index of those files. Both decode back to the key as archive paths do.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from archiver.paths import ROOT, SUFFIX, Category, key_to_path

__all__ = [
    "endpoint_page",
    "href",
    "model_feed",
    "model_page",
    "pricing_file",
    "provider_page",
    "root_of",
]

_SAFE = "/~!-._"
PRICING_INDEX = "api/pricing/index.json"
# A folder named as a page or a feed is (x.html/) would be another key's file (x -> x.html).
_FOLDER_LIKE_A_FILE = re.compile(r"\.(html|xml)/")


def _encoded(category: Category, key: str) -> str:
    """Return the key's encoded path below its category folder, without a suffix."""
    path = key_to_path(category, key)[len(f"{ROOT}/{category}/") : -len(SUFFIX)]
    return _FOLDER_LIKE_A_FILE.sub(r"%2E\1/", path)


def pricing_file(model_key: str) -> str:
    """Return the path of a model's pricing intervals (the index's own name escaped)."""
    path = "api/pricing/" + key_to_path("model", model_key)[len(f"{ROOT}/model/") :]
    return "api/pricing/%69ndex.json" if path == PRICING_INDEX else path


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
