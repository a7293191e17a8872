"""Every valid key gets its own page, feed and pricing file; none lands on another's file.

The archive escapes a folder named ``*.json`` so that key ``a/b.json/c`` cannot clash with
key ``a/b``; the site's pages end in ``.html`` and its feeds in ``.xml``, and its pricing
index sits where the pricing file of a model keyed ``index`` would. A model ``x`` beside a
model ``x.html/y`` (both valid keys) stopped the whole site build ("File exists:
.../model/x.html"); a model ``index`` silently replaced ``api/pricing/index.json``, the
list of every model's pricing file, with its own intervals.
"""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
import pytest

from archiver.capture.files import Capture, CapturedResponse
from archiver.site import build_site
from archiver.upstream import sources
from tests.small_captures import small_daily, sync_small, with_models_only

SOURCE_MODEL = "openai/gpt-4.1"
# Valid keys (SPEC's safe paths) whose site files would be another's.
ODD_KEYS = ("x", "x.html/y", "x.xml/z", "index", "x.html", "x.xml")


def _with_clones(capture: Capture, keys: tuple[str, ...]) -> Capture:
    """Return the capture with a copy of SOURCE_MODEL (catalog, v1, endpoints) per key."""
    responses = list(capture.responses)
    catalog = next(r for r in responses if r.url == sources.CATALOG_MODELS).body
    v1 = next(r for r in responses if r.url == sources.V1_MODELS).body
    entry = next(e for e in catalog["data"] if e["slug"] == SOURCE_MODEL)
    variant = entry["endpoint"]["variant"]
    listing_url = sources.variant_url(sources.ENDPOINT_STATS, entry["permaslug"], variant)
    listing = next(r for r in responses if r.url == listing_url).body
    catalog, v1 = copy.deepcopy(catalog), copy.deepcopy(v1)
    for number, key in enumerate(keys):
        permaslug = f"clone-{number}"
        clone = copy.deepcopy(entry)
        clone.update(slug=key, permaslug=permaslug, name=f"Clone {key}")
        body = copy.deepcopy(listing)
        for index, endpoint in enumerate(body["data"]):
            endpoint_id = f"00000000-0000-4000-8000-{number:06d}{index:06d}"
            if endpoint["id"] == entry["endpoint"]["id"]:
                clone["endpoint"] = {**clone["endpoint"], "id": endpoint_id}
            endpoint.update(id=endpoint_id, model_variant_slug=key)
            endpoint["model_variant_permaslug"] = permaslug
        clone["endpoint"].update(model_variant_slug=key, model_variant_permaslug=permaslug)
        catalog["data"].append(clone)
        listed = copy.deepcopy(next(m for m in v1["data"] if m["id"] == SOURCE_MODEL))
        listed.update(id=key, canonical_slug=permaslug, name=f"Clone {key}")
        v1["data"].append(listed)
        url = sources.variant_url(sources.ENDPOINT_STATS, permaslug, variant)
        responses.append(CapturedResponse("GET", url, 200, body))
    replaced = {sources.CATALOG_MODELS: catalog, sources.V1_MODELS: v1}
    responses = [
        CapturedResponse(r.method, r.url, r.status, replaced.get(r.url, r.body)) for r in responses
    ]
    return Capture(capture.time, capture.source, "clones with odd keys", tuple(responses))


@pytest.fixture(scope="module")
def odd_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the site of an archive holding SOURCE_MODEL and its clones under ODD_KEYS."""
    root = tmp_path_factory.mktemp("odd-keys")
    capture = with_models_only(small_daily()[-1], {SOURCE_MODEL})
    log = sync_small(root / "archive", _with_clones(capture, ODD_KEYS))
    assert log.commit_id and not log.failures, log.failures
    report = build_site(root / "archive", root / "site")
    assert not report.skipped and not report.problems, (report.skipped, report.problems)
    return root / "site"


def _api(site: Path, name: str) -> dict[str, dict[str, object]]:
    """Return an API file's items by key."""
    items = orjson.loads((site / "api" / f"{name}.json").read_bytes())[name]
    return {str(item["key"]): item for item in items}


def test_each_model_has_its_own_page_and_feed(odd_site: Path) -> None:
    """Each model's page and feed is a file of its own that names that model."""
    models = _api(odd_site, "models")
    assert set(ODD_KEYS) <= set(models)
    pages = {str(models[key]["page"]) for key in ODD_KEYS}
    feeds = {str(models[key]["feed"]) for key in ODD_KEYS}
    assert len(pages) == len(feeds) == len(ODD_KEYS)
    for key in ODD_KEYS:
        page = odd_site / str(models[key]["page"])
        assert page.is_file(), key
        assert f'<code class="key">{key}</code>' in page.read_text(), key
        feed = odd_site / str(models[key]["feed"])
        assert feed.is_file() and f"Clone {key}" in feed.read_text(), key


def test_the_pricing_index_and_every_models_pricing_file_survive(odd_site: Path) -> None:
    """api/pricing/index.json lists every model; each listed file holds that model's intervals."""
    index = orjson.loads((odd_site / "api" / "pricing" / "index.json").read_bytes())
    listed = {item["key"]: item["file"] for item in index["models"]}
    assert set(listed) == {SOURCE_MODEL, *ODD_KEYS}
    assert len(set(listed.values())) == len(listed)
    for key, file in listed.items():
        pricing = orjson.loads((odd_site / file).read_bytes())
        assert pricing["model"] == key
        assert pricing["count"] == 3 and pricing["endpoints"], key
