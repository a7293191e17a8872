"""Hostile values: each gets a clear per-entity error, everything else is archived exactly."""

from __future__ import annotations

import copy
import dataclasses
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from archiver import jsonvalue
from archiver import telemetry as telemetry_store
from archiver.canonical import json_bytes
from archiver.capture.files import Capture, CapturedResponse, canonical_url
from archiver.capture.replay import ReplayServer
from archiver.capture.routes import CACHE_BUSTER
from archiver.cli import main
from archiver.jsonvalue import ExactNumber
from archiver.paths import key_to_path
from archiver.telemetry import endpoint_series
from tests.archive_helpers import blob, commit_count, git, head, status_clean
from tests.small_captures import some_models, sync_small, with_models_only

LISTING = "/api/frontend/v1/stats/endpoint"
CATALOG = "/api/frontend/v1/catalog/models"
EXACT_DECIMAL = "0.1000000000000000055511151231257827"
BIG_INTEGER = 123456789012345678901234567890
# Every character str.splitlines takes for a line break that JSON writes raw or escaped.
LINE_BREAKS = ("\u2028", "\u2029", "\u0085", "\x1c", "\x1d", "\x1e", "\x0b", "\x0c")


def edited(capture: Capture, hours: int, edit: Callable[[str, Any], Any]) -> Capture:
    """Return the capture an hour-count later, each body passed through edit(url, body)."""
    responses = tuple(
        dataclasses.replace(r, body=edit(r.url, copy.deepcopy(r.body))) for r in capture.responses
    )
    return dataclasses.replace(
        capture, time=capture.time + timedelta(hours=hours), responses=responses
    )


def run_sync(repo: Path, capture: Capture, raw: dict[str, bytes] | None = None) -> Result:
    """Run `archiver sync` on the command line against a replay of the capture, at its time.

    raw: bodies to send as these bytes (JSON the archiver could not write itself), by URL.
    """
    with ReplayServer(capture) as server:
        for url, body in (raw or {}).items():
            server._routes.table[canonical_url(url, ignore=(CACHE_BUSTER,))] = (200, body)
        command = ["sync", "--repo", str(repo), "--base-url", server.base_url, "--retries", "1"]
        command += ["--epoch", capture.time.isoformat()]
        return CliRunner().invoke(main, command)


def with_deep_values(body: Any) -> bytes:
    """Return a body's JSON with every DEEP string replaced by an array nested 300 deep."""
    return json_bytes(body).replace(b'"DEEP"', b"[" * 300 + b"1" + b"]" * 300)


def first_listing(capture: Capture) -> CapturedResponse:
    """Return the first endpoint listing of a capture with at least two endpoints."""
    return next(
        r
        for r in capture.responses
        if r.url.startswith(LISTING) and r.status == 200 and len(r.body["data"]) >= 2
    )


def assert_fsck_clean(repo: Path) -> None:
    """git fsck finds nothing wrong and the work tree matches HEAD."""
    done = subprocess.run(["git", "-C", str(repo), "fsck", "--strict"], capture_output=True)
    assert done.returncode == 0, done.stderr
    assert status_clean(repo)


def endpoint_path(endpoint_id: str) -> str:
    return key_to_path("endpoint", endpoint_id)


def test_numbers_beyond_double_and_int64_are_archived_digit_for_digit(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    base = small_captures[0]
    listing = first_listing(base)
    target = listing.body["data"][0]["id"]

    def exact(url: str, body: Any) -> Any:
        if url == listing.url:
            item = body["data"][0]
            item["pricing"]["discount"] = ExactNumber(EXACT_DECIMAL)
            item["numeric_id"] = BIG_INTEGER
            item["stats"] = {**(item.get("stats") or {}), "p50_latency": ExactNumber("1e400")}
        return body

    hostile = edited(base, 1, exact)
    result = run_sync(small_archive, hostile)
    assert result.exit_code == 0, result.output
    data = blob(small_archive, "HEAD", endpoint_path(target))
    assert f'"discount": {EXACT_DECIMAL},'.encode() in data
    assert f'"numeric_id": {BIG_INTEGER},'.encode() in data
    shown = git(small_archive, "show", "HEAD", "--", endpoint_path(target))
    assert f'+    "discount": {EXACT_DECIMAL},' in shown
    assert f'+  "numeric_id": {BIG_INTEGER},' in shown
    tsv = git(small_archive, "show", "--format=", "--name-only", "HEAD", "--", "data/telemetry")
    assert any("\t1e400" in git(small_archive, "show", f"HEAD:{path}") for path in tsv.split()), (
        "the telemetry file holds the literal 1e400"
    )
    samples = endpoint_series(small_archive, target)
    last = samples[-1]["stats"]["p50_latency"]
    assert isinstance(last, ExactNumber) and last.literal == "1e400"
    # The same data an hour later: nothing changed, so no commit.
    before = head(small_archive)
    again = run_sync(small_archive, edited(hostile, 1, lambda url, body: body))
    assert again.exit_code == 0, again.output
    assert head(small_archive) == before
    assert_fsck_clean(small_archive)


def test_a_value_nested_too_deep_costs_only_its_own_entity(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    base = small_captures[0]
    listing = first_listing(base)
    victim, neighbour = (item["id"] for item in listing.body["data"][:2])
    old_victim = blob(small_archive, "HEAD", endpoint_path(victim))
    old_neighbour = blob(small_archive, "HEAD", endpoint_path(neighbour))
    commits = commit_count(small_archive)
    body = copy.deepcopy(listing.body)
    body["data"][0]["pricing"]["deep"] = "DEEP"
    body["data"][1]["context_length"] = 4242
    body["data"][1]["stats"] = {**(body["data"][1].get("stats") or {}), "x": "DEEP"}

    hostile = edited(base, 1, lambda url, body: body)
    result = run_sync(small_archive, hostile, {listing.url: with_deep_values(body)})
    assert result.exit_code == 1, result.output
    failed = [line.strip() for line in result.stderr.splitlines() if "FAILED:" in line]
    prefix = "FAILED: endpoints of " + listing.body["data"][0]["model_variant_slug"]
    assert failed == [
        f"{prefix}: endpoint {victim!r}: value nested deeper than 255 levels at "
        "pricing/deep/0/0/0/...(248 more).../0; not written (its archived version, if any, is "
        "kept)",
        f"{prefix}: endpoint {neighbour!r} telemetry: value nested deeper than 255 levels at "
        "stats/x/0/0/0/...(248 more).../0; skipped this sync",
    ]
    assert commit_count(small_archive) == commits + 1
    assert blob(small_archive, "HEAD", endpoint_path(victim)) == old_victim
    changed = blob(small_archive, "HEAD", endpoint_path(neighbour))
    assert changed != old_neighbour and b'"context_length": 4242,' in changed
    assert_fsck_clean(small_archive)


@pytest.mark.parametrize("where", ["value", "key"])
def test_line_breaks_in_telemetry_keep_the_days_file_readable(
    small_archive: Path, small_captures: list[Capture], where: str
) -> None:
    base = small_captures[0]
    listing = first_listing(base)
    target, other = (item["id"] for item in listing.body["data"][:2])
    sent = {
        f"s{n}{char}x" if where == "key" else f"s{n}": f"a{char}b"
        for n, char in enumerate(LINE_BREAKS)
    }

    def breaks(url: str, body: Any) -> Any:
        if url == listing.url:
            body["data"][0]["stats"] = {**(body["data"][0].get("stats") or {}), **sent}
        return body

    hours = [1, 2]
    first = run_sync(small_archive, edited(base, hours[0], breaks))
    assert first.exit_code == 0, first.output
    # The next hourly run (a new command: a new telemetry writer, nothing cached) appends to
    # the same day's file, parsed from the repository.
    changed = edited(base, hours[1], lambda url, body: _bump(breaks(url, body), url, listing.url))
    second = run_sync(small_archive, changed)
    assert second.exit_code == 0, second.output
    assert "not a telemetry file" not in second.output
    by_key = [s for k, s in telemetry_store.iter_samples(small_archive, "endpoint") if k == target]
    for samples in (endpoint_series(small_archive, target), by_key):
        assert [s["stats"]["request_count"] == 424242 for s in samples[-2:]] == [False, True]
        assert all({k: s["stats"][k] for k in sent} == sent for s in samples[-2:])
    recent = telemetry_store.recent_endpoint_series(small_archive)
    assert recent[target][-1]["stats"]["request_count"] == 424242
    others = endpoint_series(small_archive, other)
    assert others and not any(k in others[-1].get("stats", {}) for k in sent)
    assert others == [
        s for k, s in telemetry_store.iter_samples(small_archive, "endpoint") if k == other
    ]
    assert_fsck_clean(small_archive)


def _bump(body: Any, url: str, listing: str) -> Any:
    """Return a body with the listing's first endpoint's request count changed."""
    if url == listing:
        body["data"][0]["stats"]["request_count"] = 424242
    return body


HOSTILE_TEXT = "a\x00b\x1bc\x0bd\ufffee\u2028f </script><script>alert(1)</script>"
HOSTILE_DESCRIPTION = f"{HOSTILE_TEXT} [go](javascript:alert(1)) <a href='javascript:x'>x</a>"


# The site's own scripts: files in its static folder, by a relative path; nothing inline.
SITE_SCRIPT = re.compile(r"(?:\.\./)*static/[a-z]+\.js")


class _ScriptFinder(HTMLParser):
    """Collect what could run in a page: inline scripts, handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not SITE_SCRIPT.fullmatch(values.get("src") or ""):
            self.found.append(f"<script {attrs}>")
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")


def inert(html: str) -> bool:
    """Tell whether a page holds no script but the site's own."""
    finder = _ScriptFinder()
    finder.feed(html)
    return not finder.found


def build_site(repo: Path, out: Path) -> Result:
    """Run `archiver site` on the command line."""
    return CliRunner().invoke(main, ["site", "--repo", str(repo), "--out", str(out)])


# One catalog model in SITE_MODEL_STEP is kept where a test builds a site: the build and the
# reading of every page it writes grow with the models, and every kind of page is there.
SITE_MODEL_STEP = 4


def synced_for_a_site(capture: Capture, repo: Path) -> Capture:
    """Sync the capture cut to one model in SITE_MODEL_STEP (and its first featured one) into
    a new archive at repo; return the capture as synced."""
    kept = with_models_only(capture, some_models(capture, SITE_MODEL_STEP, featured=1))
    assert sync_small(repo, kept).commit_id
    return kept


def test_control_characters_and_script_in_text_leave_feeds_valid_and_pages_inert(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    base = synced_for_a_site(small_captures[0], repo)
    catalog = next(r for r in base.responses if r.url == CATALOG)
    entry = next(e for e in catalog.body["data"] if e.get("endpoint"))

    def hostile(url: str, body: Any) -> Any:
        if url == CATALOG:
            found = next(e for e in body["data"] if e["slug"] == entry["slug"])
            found["name"] = HOSTILE_TEXT
            found["description"] = HOSTILE_DESCRIPTION
        return body

    assert run_sync(repo, edited(base, 1, hostile)).exit_code == 0
    result = build_site(repo, tmp_path / "site")
    assert result.exit_code == 0, result.output
    feeds = sorted((tmp_path / "site").rglob("*.xml"))
    assert len(feeds) > 2
    texts = []
    for feed in feeds:
        root = ET.fromstring(feed.read_bytes())  # strict: a forbidden character raises
        texts += [element.text or "" for element in root.iter()]
    assert any("a\ufffdb\ufffdc\ufffdd\ufffde\u2028f" in text for text in texts)
    pages = sorted((tmp_path / "site").rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        html = page.read_text()
        assert "<script>alert" not in html, page
        assert inert(html), page
        assert "\x00" not in html and "\x1b" not in html, page
    model_pages = [p for p in pages if "a\ufffdb\ufffdc" in p.read_text()]
    assert model_pages, "the hostile name is shown, cleaned"


def _commit_files(repo: Path, files: dict[str, bytes], epoch: str) -> None:
    """Commit files into an archive as a sync would (a Sync-Epoch trailer), with the git CLI."""
    for path, data in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        git(repo, "add", "--", path)
    git(repo, "commit", "-q", "-m", f"hostile files\n\nSync-Epoch: {epoch}")


def test_the_site_builds_around_bad_files_and_reports_each(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    synced_for_a_site(small_captures[0], repo)
    clean = build_site(repo, tmp_path / "clean")
    assert clean.exit_code == 0, clean.output
    deep = b'{"key": "evil/deep", "v1": {"id": "evil/deep", "x": ' + b"[" * 300 + b"]" * 300
    bad = {
        "data/model/evil/not-json.json": b"not json\n",
        "data/model/evil/array.json": b"[1, 2]\n",
        "data/model/evil/deep.json": deep + b"}}\n",
        "data/endpoint/00000000-0000-4000-8000-000000000001.json": json_bytes(
            {"id": "x", "provider_info": "../../index", "model_variant_slug": "openai/gpt-4.1"}
        ),
        "data/endpoint/00000000-0000-4000-8000-000000000002.json": json_bytes(
            {"id": "y", "provider_info": "openai", "model_variant_slug": "a\nb"}
        ),
    }
    # A file that lacks every field the site reads is shown as it is, not left out.
    bare = {"data/provider/bare.json": b"{}\n"}
    epoch = (small_captures[0].time + timedelta(hours=1)).strftime("%Y-%m-%dT%H:00:00Z")
    _commit_files(repo, {**bad, **bare}, epoch)
    out = tmp_path / "out" / "site"
    result = build_site(repo, out)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    problems = [line.strip() for line in result.stderr.splitlines() if "problem:" in line]
    assert len(problems) == len(bad), problems
    for path in bad:
        (line,) = (line for line in problems if line.startswith(f"problem: {path}"))
        assert line.endswith("fix or revert that commit"), line
    assert "../../index" in "".join(problems) and "'a\\nb'" in "".join(problems)
    built = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    before = {p.relative_to(tmp_path / "clean") for p in (tmp_path / "clean").rglob("*")}
    assert {p for p in before if (tmp_path / "clean" / p).is_file()} <= built
    assert Path("provider/bare.html") in built
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["site"]
    # A reference never becomes an output path: nothing beside or above the site.
    # (changes/index/ is the site's own: the monitor's month-sharded change index.)
    strays = [p for p in (tmp_path / "out").rglob("index") if p != out / "changes" / "index"]
    assert not strays and not (tmp_path / "index.html").exists()


@pytest.mark.parametrize(
    "text",
    [
        b'{"a": 123456789012345678901234567890, "b": [-1e400, 1e-400]}',
        b'{"p": 0.1000000000000000055511151231257827, "q": 0.10000000000000001}',
        b"[18446744073709551616, -9223372036854775809, 9007199254740993.0]",
    ],
)
def test_the_codec_reads_and_writes_every_number_digit_for_digit(text: bytes) -> None:
    value = jsonvalue.loads(text)
    assert jsonvalue.dumps(value) == text.replace(b": ", b":").replace(b", ", b",")
    assert jsonvalue.loads(jsonvalue.dumps(value)) == value


def test_the_codec_keeps_orjsons_bytes_and_types_for_ordinary_numbers() -> None:
    text = b'{"a":0.1,"b":186.61000000000013,"c":18446744073709551615,"u":"15e994f2-0d3a"}'
    value = jsonvalue.loads(text)
    assert value == orjson.loads(text) and all(type(v) is not ExactNumber for v in value.values())
    indented = orjson.OPT_INDENT_2
    assert jsonvalue.dumps(value, indented) == orjson.dumps(value, option=indented)


def test_the_codec_refuses_what_orjson_refuses_even_beside_a_big_number() -> None:
    for text in (b"[NaN, 1e400]", b'["\\ud800", 1e400]', b"[1e400,]"):
        with pytest.raises(jsonvalue.DecodeError):
            jsonvalue.loads(text)
