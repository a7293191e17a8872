"""Every link of the site resolves when a model leaves but its endpoints are held back.

A model that leaves the catalog goes with its endpoints, unless the removal guard holds
those back (more endpoints at once than `--max-removal-share` allows) while the model's
own removal is within it: the endpoints stay, their model's page is gone. The grid, the
paged tables and each such endpoint's page linked the model's page all the same: 404s (35
broken links for two real models of 17 and 18 endpoints, 108 with the paged tables).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import orjson
import pytest

from archiver.site import build_site
from tests.small_captures import small_daily, sync_small, with_models_only

KEPT, GONE = "openai/gpt-4.1", "z-ai/glm-5.2"
_LINK = re.compile(r'<a href="([^"]*)"')


@pytest.fixture(scope="module")
def held_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Return (archive, site) after GONE left the catalog and its endpoints were held back."""
    root = tmp_path_factory.mktemp("held-endpoints")
    first, second = (with_models_only(c, {KEPT, GONE}) for c in small_daily()[-2:])
    assert sync_small(root / "archive", first).commit_id
    log = sync_small(root / "archive", with_models_only(second, {KEPT}))
    assert any("removed none" in failure for failure in log.failures), log.failures
    assert not (root / "archive" / "data" / "model" / "z-ai" / "glm-5.2.json").exists()
    build_site(root / "archive", root / "site")
    return root / "archive", root / "site"


def _broken_links(site: Path) -> list[tuple[str, str]]:
    """Return (page, link) of every relative link of a page that names no file of the site."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        address = "http://host/" + page.relative_to(site).as_posix()
        for link in _LINK.findall(page.read_text()):
            target = urlsplit(urljoin(address, link))
            if target.netloc == "host" and not (site / unquote(target.path[1:])).exists():
                broken.append((page.relative_to(site).as_posix(), link))
    return broken


def test_the_held_endpoints_are_shown(held_site: tuple[Path, Path]) -> None:
    repo, site = held_site
    grid = orjson.loads((site / "grid.json").read_bytes())
    held = [path.stem for path in (repo / "data" / "endpoint").iterdir()]
    assert set(held) == set(grid["ids"])
    model = grid["columns"]["model"]
    gone = [value for value in model["values"] if value[2] == GONE]
    assert gone and all(value[3] is None for value in gone)  # No page: no link.


def test_every_link_names_a_file(held_site: tuple[Path, Path]) -> None:
    _, site = held_site
    assert _broken_links(site) == []


def test_the_grid_links_only_pages_that_exist(held_site: tuple[Path, Path]) -> None:
    _, site = held_site
    grid = orjson.loads((site / "grid.json").read_bytes())
    for value in grid["columns"]["model"]["values"]:
        if value[3] is not None:
            assert (site / unquote(value[3])).is_file(), value
