"""A model whose key holds a space, `<`, `"`, `#` or a stray `%` still has valid feed ids.

An Atom id is an IRI (RFC 4287). The feeds' ids put the model's (or provider's) key in as
it is: `tag:openrouter-archiver,2026:model/evil/a b<c>"d%zz...`, which no IRI may hold, so a
strict reader or validator refused the model's feed. Those characters are now
percent-encoded; other keys' ids are unchanged. A real archive, a model file committed by
a person under a key the path encoding stores, a real site build.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from archiver.paths import key_to_path
from archiver.site import build_site
from tests.archive_helpers import as_person
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]  # Fixtures this module uses.

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_KEY = 'evil/a b<c>"d%zz#e[f]{g}|^`'
# RFC 3987: a scheme, then ipchar, "/" and "?" only; a "%" starts two hex digits.
IRI = re.compile(
    r"[a-z][a-z0-9+.-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?\x80-\U0010ffff]|%[0-9A-F]{2})*"
)


def test_every_feed_id_is_an_iri(small_archive: Path, tmp_path: Path) -> None:
    model = next((small_archive / "data" / "model").rglob("*.json"))
    hostile = small_archive / key_to_path("model", HOSTILE_KEY)
    hostile.parent.mkdir(parents=True)
    hostile.write_text(json.dumps(json.loads(model.read_text()), indent=2, sort_keys=True) + "\n")
    as_person(small_archive, "add", "data")
    as_person(small_archive, "commit", "-q", "-m", "A model under an odd key")
    site = tmp_path / "site"

    build_site(
        small_archive, site, base_url="https://e.org/", built=datetime(2026, 8, 1, tzinfo=UTC)
    )

    ids = {
        feed.relative_to(site).as_posix(): [
            element.text or "" for element in ET.parse(feed).getroot().iter(f"{ATOM}id")
        ]
        for feed in (site / "feeds").rglob("*.xml")
    }
    hostile_feeds = [feed for feed, found in ids.items() if "evil" in feed]
    assert len(hostile_feeds) == 1 and ids[hostile_feeds[0]]
    bad = [(feed, id_) for feed, found in ids.items() for id_ in found if not IRI.fullmatch(id_)]
    assert bad == []
