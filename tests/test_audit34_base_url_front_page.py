"""`archiver site --base-url` given the site's front page links the site, not past it.

README (`archiver site`): `--base-url URL` is "where the site is served
(`https://USER.github.io/REPO/`)". An address copied from a browser showing the site's
front page (`https://USER.github.io/REPO/index.html`) was taken as a folder: every feed
link read `.../REPO/index.html/models/...`, a page no server has, and notify's link to the
change monitor (`--site-url`, read the same way) too. The front page now names its folder.
One small real sync, the real CLI, the feeds read back with xml.etree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from archiver.capture.files import read_capture
from archiver.cli import main
from archiver.site.pages_address import configured_base_url
from tests.small_captures import SMALL_DAILY, sync_small, with_models_only

ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
SITE = "https://someone.github.io/openrouter-archive/"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("front-page") / "archive"
    capture = with_models_only(read_capture(SMALL_DAILY[0]), {"z-ai/glm-5.2"})
    assert sync_small(repo, capture).commit_id
    return repo


def test_feed_links_from_the_front_page_address_are_the_sites(
    archive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    command = ["site", "--repo", str(archive), "--out", str(out), "--no-cache"]
    result = CliRunner().invoke(main, [*command, "--base-url", f"{SITE}index.html"])
    assert result.exit_code == 0, result.output
    links = [
        link.get("href", "")
        for feed in sorted((out / "feeds").rglob("*.xml"))
        for link in ET.parse(feed).getroot().iter(ATOM_LINK)
    ]
    assert links
    for address in links:
        assert address.startswith(SITE) and "index.html/" not in address, address
        page = urlsplit(address).path.removeprefix(urlsplit(SITE).path)
        assert (out / page).is_file(), address


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("https://example.com/index.html", "https://example.com/"),
        ("https://example.com/my archive/index.html", "https://example.com/my%20archive/"),
        ("/archive/index.html", "/archive/"),
        ("/index.html", "/"),
        # Only the front page's own name: a folder or page named otherwise stays.
        ("https://example.com/a/myindex.html", "https://example.com/a/myindex.html/"),
    ],
)
def test_a_front_page_address_names_its_folder(given: str, base: str, tmp_path: Path) -> None:
    assert configured_base_url(given, tmp_path) == base
