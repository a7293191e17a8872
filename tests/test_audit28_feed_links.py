"""Every link in every Atom feed reaches a file of the site, `~` alias models' included.

A page's file is named by the archive's path encoding, which writes `%XX`: every `~` alias
model of the real catalog (`~openai/gpt-mini-latest`) has its page at
model/%7Eopenai/gpt-mini-latest.html and its feed at feeds/model/%7Eopenai/... The pages
link there percent-encoded (%257E), but the feeds put the file's name into the URL as it
is: https://someone.github.io/model/%7Eopenai/gpt-mini-latest.html, which every server
decodes to ~openai and answers 404, for the feed's own address, its page and the entries
of those models and of their endpoints.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from archiver.site import build_site
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]  # Fixtures this module uses.

ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
# A fork named <user>.github.io: served at the root, no repository in its path.
BASE_URL = "https://someone.github.io/"


def test_every_feed_link_names_a_file_the_site_has(small_archive: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(small_archive, site, base_url=BASE_URL, built=datetime(2026, 8, 1, tzinfo=UTC))
    feeds = sorted((site / "feeds").rglob("*.xml"))
    # The case that broke: the feed of a `~` alias model, its file named with %7E.
    assert any("%7E" in feed.as_posix() for feed in feeds)

    missing = []
    for feed in feeds:
        for link in ET.parse(feed).getroot().iter(ATOM_LINK):
            address = link.get("href", "")
            assert address.startswith(BASE_URL), address
            # What a web server does with the address: the path, percent-decoded.
            served = unquote(urlsplit(address).path.removeprefix("/"))
            if not (site / served).is_file():
                missing.append(f"{feed.relative_to(site)}: {address}")

    assert missing == []
