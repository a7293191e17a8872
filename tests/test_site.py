"""The static site built from a real archive: pages, JSON API, Atom feeds, --at, safety."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser
import orjson
import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.history.versions import changes
from archiver.site import SiteReport, build_site
from archiver.site.markdown import render_markdown
from archiver.times import parse_time
from tests.archive_helpers import blob, git, keys_at
from tests.site_helpers import EVIL_DESCRIPTION, SITE_BASE_URL, HeadBuild, SiteArchive

OLD_EPOCH = "2026-07-18T15:00:00Z"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Built:
    """A site built once for the run, and what the build reported about it."""

    folder: Path
    report: SiteReport


@pytest.fixture
def archive(site_archive: SiteArchive) -> SiteArchive:
    """Return the session's site archive (tests/conftest.py); read only."""
    return site_archive


@pytest.fixture
def built(site_at_head: HeadBuild) -> Built:
    """Return the site built from HEAD once for the run, with a base URL for the feeds
    (tests/conftest.py `site_at_head`, SITE_BASE_URL), and its report."""
    return Built(site_at_head.folder, site_at_head.report)


@pytest.fixture
def site(built: Built) -> Path:
    """Return the module's site folder (read only)."""
    return built.folder


def _json(path: Path) -> dict[str, Any]:
    value = orjson.loads(path.read_bytes())
    assert isinstance(value, dict)
    return value


def test_every_entity_has_a_page(archive: SiteArchive, site: Path) -> None:
    keys = keys_at(archive.repo)
    api = _json(site / "api" / "endpoints.json")
    pages = {str(item["page"]) for item in api["endpoints"]}
    assert len(pages) == len(keys["endpoint"])
    assert all((site / page).is_file() for page in pages)
    assert len(list((site / "model").rglob("*.html"))) == len(keys["model"])
    assert len(list((site / "provider").rglob("*.html"))) == len(keys["provider"])
    for page in ("index.html", "models.html", "providers.html", "changes/index.html", "api.html"):
        assert (site / page).is_file(), page


def test_report_counts_what_was_written(built: Built) -> None:
    report = built.report
    files = [path for path in built.folder.rglob("*") if path.is_file()]
    assert report.files == len(files)
    assert report.bytes == sum(path.stat().st_size for path in files)
    assert report.pages == sum(path.suffix == ".html" for path in files)
    assert report.epoch == parse_time("2026-07-19T22:00:00Z")


def test_json_api_is_the_archive(archive: SiteArchive, site: Path) -> None:
    for category, name in (
        ("endpoint", "endpoints"),
        ("model", "models"),
        ("provider", "providers"),
    ):
        api = _json(site / "api" / f"{name}.json")
        items = api[name]
        assert isinstance(items, list)
        assert api["count"] == len(items) == len(keys_at(archive.repo)[category])
        assert api["commit"] == git(archive.repo, "rev-parse", "HEAD").strip()
        for item in items[:: max(1, len(items) // 40)]:
            key = item["id"] if category == "endpoint" else item["key"]
            path = git(archive.repo, "ls-files", "--", f"data/{category}/").splitlines()
            found = [p for p in path if _key_of(p) == key]
            assert found, key
            assert item["data"] == orjson.loads(blob(archive.repo, "HEAD", found[0]))


def _key_of(path: str) -> str:
    from archiver.paths import path_to_key

    return path_to_key(path)[1]


def test_endpoint_prices_are_per_million_tokens(site: Path) -> None:
    api = _json(site / "api" / "endpoints.json")
    for item in api["endpoints"]:
        prompt = item["data"]["pricing"]["prompt"]
        if item["input_per_mtok"] is not None:
            assert abs(float(item["input_per_mtok"]) - float(prompt) * 1e6) < 1e-6


def test_unit_priced_endpoints_show_their_unit_not_per_million(
    archive: SiteArchive, site: Path
) -> None:
    """Per-minute or per-character prices never read as dollars per million tokens."""
    endpoints = orjson.loads((site / "api" / "endpoints.json").read_bytes())["endpoints"]
    # Every endpoint's row, from the plain pages that list them all without JavaScript.
    grid = "".join(page.read_text() for page in sorted((site / "endpoints").glob("page-*.html")))
    unit_only = [e for e in endpoints if _unit_priced_only(e["data"])]
    # Counted from the archive's own files, not the site's API: every such endpoint is checked.
    archived = {
        path.stem
        for path in (archive.repo / "data" / "endpoint").glob("*.json")
        if _unit_priced_only(orjson.loads(path.read_bytes()))
    }
    assert archived, "the captures hold no endpoint priced per unit only"
    assert {e["id"] for e in unit_only} == archived
    for endpoint in unit_only:
        assert endpoint["input_per_mtok"] is None, endpoint["id"]
        label = endpoint["data"]["display_pricing"][0]["unitLabel"]
        row = grid[grid.index(f'href="../endpoint/{endpoint["id"]}.html"') :][:4000]
        assert f" {label}</td>" in row, endpoint["id"]


def _unit_priced_only(endpoint: dict[str, Any]) -> bool:
    """Tell whether every display price of an endpoint is per unit (minute, image, character)."""
    prices = endpoint.get("display_pricing") or []
    return bool(prices) and all(price.get("kind") == "unit" for price in prices)


def test_changes_api_matches_history(archive: SiteArchive, site: Path) -> None:
    api = _json(site / "api" / "changes.json")
    groups = changes(archive.repo)
    syncs = api["syncs"]
    assert isinstance(syncs, list)
    assert [s["epoch"] for s in syncs] == [g.epoch.strftime("%Y-%m-%dT%H:%M:%SZ") for g in groups]
    assert [len(s["changes"]) for s in syncs] == [len(g.changes) for g in groups]
    drops = [c for s in syncs for c in s["changes"] if "price_down" in c["classes"]]
    assert drops and all(any(float(p["new"]) < float(p["old"]) for p in c["prices"]) for c in drops)
    # One JSON shape for a sync's changes: the API's is what `archiver changes --json` prints.
    printed = CliRunner().invoke(main, ["changes", "--repo", str(archive.repo), "--json"])
    assert printed.exit_code == 0, printed.output
    assert syncs == orjson.loads(printed.output)


def test_atom_feeds_parse(archive: SiteArchive, site: Path) -> None:
    feed = feedparser.parse((site / "feeds" / "changes.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    groups = changes(archive.repo)
    assert len(feed.entries) == min(50, len(groups))
    newest = feed.entries[0]
    assert newest.updated_parsed[:4] == groups[0].epoch.timetuple()[:4]
    assert newest.link.startswith(SITE_BASE_URL)
    model = feedparser.parse(
        (site / "feeds" / "model" / "thinkingmachines" / "inkling.xml").read_bytes()
    )
    assert not model.bozo
    assert model.feed.title.endswith("(thinkingmachines/inkling)")
    assert model.entries and "<script>" not in model.entries[0].content[0].value


@pytest.mark.parametrize("kind", ["zdr", "data_policy"])
def test_zdr_and_data_policy_changes_have_their_own_feeds(
    archive: SiteArchive, site: Path, kind: str
) -> None:
    printed = CliRunner().invoke(
        main, ["changes", "--repo", str(archive.repo), "--kind", kind, "--json"]
    )
    assert printed.exit_code == 0, printed.output
    syncs = orjson.loads(printed.output)
    assert syncs, f"the site archive has {kind} changes"
    feed = feedparser.parse((site / "feeds" / "kind" / f"{kind}.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == len(syncs)
    for entry, sync in zip(feed.entries, syncs, strict=True):
        assert entry.updated_parsed[:5] == parse_time(sync["epoch"]).timetuple()[:5]
        text = entry.content[0].value
        for change in sync["changes"]:
            assert kind in change["kinds"]
            summary = change["summary"].replace("&", "&amp;").replace("<", "&lt;")
            assert summary.replace(">", "&gt;") in text
    if kind == "data_policy":
        (change,) = syncs[0]["changes"]
        assert change["key"] == archive.policy_endpoint
        assert {"op": "replace", "path": "/data_policy/training", "value": True} in change["patch"]


def test_at_an_old_epoch_builds_the_site_as_it_was(archive: SiteArchive, tmp_path: Path) -> None:
    out = tmp_path / "old"
    report = build_site(archive.repo, out, at=parse_time(OLD_EPOCH))
    commit = git(archive.repo, "log", "--format=%H", "--grep", f"Sync {OLD_EPOCH}").split()[0]
    then = keys_at(archive.repo, commit)
    api = _json(out / "api" / "endpoints.json")
    assert {item["id"] for item in api["endpoints"]} == then["endpoint"]
    assert api["commit"] == commit and api["epoch"] == OLD_EPOCH
    now = keys_at(archive.repo)
    gone = sorted(then["endpoint"] - now["endpoint"])
    assert gone and (out / "endpoint" / f"{gone[0]}.html").is_file()
    assert report.epoch == parse_time(OLD_EPOCH)
    index = (out / "index.html").read_text()
    assert "as it was at" in index
    status = (out / "status.html").read_text()
    assert "2026-07-19" not in status.split("<main", 1)[1].split("</main>")[0]


def test_markdown_is_rendered_and_nothing_can_run() -> None:
    html = str(render_markdown(EVIL_DESCRIPTION))
    assert "<strong>model</strong>" in html
    assert '<a href="https://example.com/docs"' in html
    assert "mailto:a@example.com" in html
    assert not re.search(r"<(script|img|svg|iframe)", html, re.IGNORECASE)
    assert not re.search(r"<[^>]+\son\w+=", html, re.IGNORECASE)
    assert not re.search(r"<a\s[^>]*href=\"(?!https?:|mailto:)", html)
    assert "&lt;script&gt;" in html


def test_description_links_to_models_point_into_the_site() -> None:
    html = str(render_markdown("See [X](/models/a/b) and [Y](/c/d)", lambda key: f"../{key}.html"))
    assert 'href="../a/b.html"' in html
    assert 'href="../c/d.html"' in html or 'href="https://openrouter.ai/c/d"' in html


class _Links(HTMLParser):
    """Every href and src of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)
        if tag == "script":
            self.scripts.append(dict(attrs))


def test_pages_work_offline_from_the_folder(archive: SiteArchive, site: Path) -> None:
    pages = ["index.html", "models.html", "changes/index.html", "status.html", "api.html"]
    pages += ["model/thinkingmachines/inkling.html", f"endpoint/{archive.telemetry_endpoint}.html"]
    pages += ["deprecations.html"]
    for page in pages:
        parser = _Links()
        parser.feed((site / page).read_text())
        for script in parser.scripts:
            # Only the site's own scripts, from its folder: no inline code, nothing remote.
            source = script.get("src") or ""
            assert urlsplit(source).scheme == "" and "/static/" in f"/{source}", (page, script)
            assert (site / page).parent.joinpath(source).resolve().is_file(), (page, source)
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme in ("https", "mailto", "data") or link.startswith("#"):
                assert parts.scheme != "http" or page.startswith("model/")
                continue
            target = (site / page).parent / unquote(parts.path)
            assert target.resolve().is_file(), (page, link)


def test_hostile_text_is_escaped_everywhere(archive: SiteArchive, site: Path) -> None:
    for path in site.rglob("*.html"):
        text = path.read_text()
        assert "<script>window" not in text, path
        assert 'onmouseover="window' not in text, path
        assert "javascript:" not in text.replace("javascript:window", ""), path


def test_cli_builds_and_reports(archive: SiteArchive, site_folder: Path, tmp_path: Path) -> None:
    # Into a copy of a site an earlier build made: the command replaces its own output.
    out = Path(shutil.copytree(site_folder, tmp_path / "cli-site"))
    result = CliRunner().invoke(main, ["site", "--repo", str(archive.repo), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert re.search(r"\d+ pages, \d+ files, [\d.]+ MB, in [\d.]+s", result.output)
    assert (out / "index.html").is_file() and files_under(out) == files_under(site_folder)


def files_under(folder: Path) -> set[str]:
    """Return the relative paths of every file in a folder."""
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def test_cli_refuses_a_folder_it_did_not_build(archive: SiteArchive, tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["site", "--repo", str(archive.repo), "--out", str(tmp_path)])
    assert result.exit_code == 3
    assert "not built by `archiver site`" in result.output
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_cli_at_before_the_archive_is_an_error(archive: SiteArchive, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["site", "--repo", str(archive.repo), "--out", str(tmp_path / "x"), "--at", "2020-01-01"],
    )
    assert result.exit_code == 1
    assert "before the archive began" in result.output


def test_wheel_carries_the_templates(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    done = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("base.html", "index.html", "static/site.css", "static/site.js"):
        assert f"archiver/site/templates/{name}" in names


def test_status_page_lists_syncs_from_trailers(archive: SiteArchive, site: Path) -> None:
    status = (site / "status.html").read_text()
    epochs = git(archive.repo, "log", "--format=%(trailers:key=Sync-Epoch,valueonly)").split()
    assert len(epochs) >= 6
    for epoch in epochs[:5]:
        moment = datetime.fromisoformat(epoch.replace("Z", "+00:00"))
        assert moment.strftime("%Y-%m-%d %H:%M UTC") in status
    assert "Newest data" in status


def test_providers_are_named_as_their_endpoints_name_them(archive: SiteArchive, site: Path) -> None:
    # Upstream's own display name: each endpoint carries it (`provider_display_name`). The
    # provider's page, the providers table and the JSON API must say the same; the record
    # endpoints embed lacks it for most providers, which once made the site show slugs.
    names: dict[str, set[str]] = {}
    for path in git(archive.repo, "ls-tree", "-r", "--name-only", "HEAD", "data/endpoint/").split():
        endpoint = orjson.loads(blob(archive.repo, "HEAD", path))
        provider, name = endpoint.get("provider_info"), endpoint.get("provider_display_name")
        if isinstance(provider, str) and isinstance(name, str) and name:
            names.setdefault(provider, set()).add(name)
    # Providers on upstream's provider list (a sub-provider such as `wafer/fast` is not, and
    # no record of it holds a display name: its page shows its slug).
    listed = {
        key
        for key in names
        if "all_providers" in orjson.loads(blob(archive.repo, "HEAD", f"data/provider/{key}.json"))
    }
    agreed = {key: next(iter(found)) for key, found in names.items() if len(found) == 1}
    agreed = {key: name for key, name in agreed.items() if key in listed}
    assert len(agreed) >= 10 and any(name != key for key, name in agreed.items())
    listing = _json(site / "api" / "providers.json")["providers"]
    api = {item["key"]: item["name"] for item in listing}
    table = (site / "providers.html").read_text()
    for key, name in agreed.items():
        page = (site / "provider" / f"{key}.html").read_text()
        shown = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
        assert shown and html.unescape(re.sub(r"<[^>]+>", "", shown[1])).strip() == name, key
        assert api[key] == name, key
        assert f">{html.escape(name)}<" in table, key


def test_model_and_provider_pages_link_their_own_feed(site: Path) -> None:
    # A provider page named its feed only in <head>: a reader without feed discovery found
    # no way to follow a provider, where a model page shows the link.
    pages = [*(site / "model").rglob("*.html"), *(site / "provider").rglob("*.html")]
    assert pages
    for page in pages:
        found = re.search(r'<a class="feed" href="([^"]*)">Atom feed</a>', page.read_text())
        assert found, page
        target = (page.parent / unquote(html.unescape(found[1]))).resolve()
        assert target.is_file() and target.suffix == ".xml", (page, found[1])
        kind = page.relative_to(site).parts[0]
        assert target.relative_to(site.resolve()).parts[:2] == ("feeds", kind), target
