"""The graveyard links a gone model's prices only when the site wrote its pricing file.

Every gone model linked `api/pricing/<key>.json`, but that file is written only for a model
with a pricing history (a v1 list price, or an endpoint's pricing): a model that left
without ever having one (a catalog-only model without an endpoint) linked a 404. Real
captures, a real archive and real builds; every link of the page must resolve.
"""

from __future__ import annotations

import copy
import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urlsplit

from archiver.capture.files import Capture, CapturedResponse
from archiver.site import build_site
from archiver.site.urls import pricing_file
from archiver.upstream import sources
from tests.small_captures import small_daily, sync_small, with_models_only

KEPT = "openai/gpt-4.1"
GHOST = "ghost/image-1"


def _with_ghost(capture: Capture) -> Capture:
    """Return the capture with GHOST in the catalog only (not in v1), without an endpoint."""
    bodies = {r.url: copy.deepcopy(r.body) for r in capture.responses}
    catalog = bodies[sources.CATALOG_MODELS]["data"]
    entry = next(e for e in catalog if e["slug"] == KEPT)
    catalog.append({**entry, "slug": GHOST, "permaslug": "ghost-image-1", "endpoint": None})
    responses = tuple(
        CapturedResponse(r.method, r.url, r.status, bodies[r.url]) for r in capture.responses
    )
    return Capture(capture.time, capture.source, "a catalog-only model", responses)


def _broken_links(site: Path, page: str) -> list[str]:
    """Return the links of a page that name no file of the site."""
    broken = []
    for link in re.findall(r'(?:href|src)="([^"]*)"', (site / page).read_text()):
        parts = urlsplit(unescape(link))
        if parts.scheme or parts.netloc or not parts.path:
            continue  # Another site, data: or a fragment of this page.
        if not (site / page).parent.joinpath(unquote(parts.path)).is_file():
            broken.append(link)
    return broken


def test_the_graveyard_links_only_pricing_files_the_site_wrote(tmp_path: Path) -> None:
    captures = [with_models_only(capture, {KEPT}) for capture in small_daily()[1:]]
    repo = tmp_path / "archive"
    assert not sync_small(repo, _with_ghost(captures[0])).failures
    assert (repo / "data" / "model" / "ghost" / "image-1.json").is_file()
    assert not sync_small(repo, captures[1]).failures
    site = tmp_path / "site"
    build_site(repo, site)

    page = (site / "deprecations.html").read_text()
    assert f'<tr data-key="{GHOST}"' in page  # Gone, in the graveyard.
    assert not (site / pricing_file(GHOST)).exists()  # No pricing archived: no file.
    assert "api/pricing/ghost" not in page
    assert _broken_links(site, "deprecations.html") == []
