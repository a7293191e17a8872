"""`archiver site --base-url` with a space, non-ASCII, `?` or `#`: valid links, or one line.

The address went into every feed link as typed: `https://example.com/my archive/` gave
hrefs with a space (no URI, no IRI: readers cut the link there) and the api page's curl
examples split in two; a `?` or `#` was dropped without a word (the links then pointed
elsewhere than asked), or kept in a relative address, making every link a fragment. Now a
space or non-ASCII letter is percent-encoded (a host in its IDNA form) and an address with
a query, a fragment or another scheme is refused in one line. One small real sync, the
real CLI, the feeds read back with xml.etree and urllib.parse.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from archiver.capture.files import read_capture
from archiver.cli import main
from archiver.site.pages_address import pages_base_url
from tests.small_captures import SMALL_DAILY, sync_small, with_models_only

ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
GIVEN = "https://Exämple.com/my archive/ñ"
BASE = "https://xn--exmple-cua.com/my%20archive/%C3%B1/"
# RFC 3986: what a URI may hold, `%` only as an escape.
URI = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("base-url") / "archive"
    capture = with_models_only(read_capture(SMALL_DAILY[0]), {"z-ai/glm-5.2"})
    assert sync_small(repo, capture).commit_id
    return repo


def _site(archive: Path, out: Path, base_url: str) -> tuple[int, str]:
    command = ["site", "--repo", str(archive), "--out", str(out), "--no-cache"]
    result = CliRunner().invoke(main, [*command, "--base-url", base_url])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_feed_links_are_valid_addresses_of_the_site(archive: Path, tmp_path: Path) -> None:
    code, output = _site(archive, tmp_path / "site", GIVEN)
    assert code == 0, output
    links = [
        link.get("href", "")
        for feed in sorted((tmp_path / "site" / "feeds").rglob("*.xml"))
        for link in ET.parse(feed).getroot().iter(ATOM_LINK)
    ]
    assert links
    for address in links:
        assert URI.fullmatch(address) and address.startswith(BASE), address
        # What the server does: the path after the site's folder, decoded, is a file.
        served = unquote(urlsplit(address).path.removeprefix(urlsplit(BASE).path))
        assert (tmp_path / "site" / served).is_file(), address
    api = (tmp_path / "site" / "api.html").read_text()
    assert f"curl -s {BASE}api/endpoints.json |" in api


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("https://example.com/archive/#top", "query or fragment"),
        ("https://example.com/archive/?v=1", "query or fragment"),
        ("/archive#top", "query or fragment"),
        ("javascript:alert(1)//", "not a web address"),
        ("https://exa mple.com/", "not a web address"),
    ],
)
def test_an_address_links_cannot_grow_from_is_refused_in_one_line(
    archive: Path, tmp_path: Path, given: str, said: str
) -> None:
    code, output = _site(archive, tmp_path / "site", given)
    assert code != 0
    errors = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and said in errors[0], output
    assert not (tmp_path / "site").exists()


def test_a_custom_domain_with_a_port_still_names_the_site() -> None:
    # A domain is given without a scheme (a CNAME file): `host:port` is no scheme there.
    assert (
        pages_base_url("me/archive", "rates.example.com:8443") == "https://rates.example.com:8443/"
    )
