"""An endpoint listing that is cut short or is another URL's response removes nothing and
changes nothing.

- 200 `{"data": []}` while the catalog still features one of the model's endpoints was
  taken as a whole listing: the model's other endpoints were removed (and came back the next
  hour, as new versions), its featured endpoint was rewritten from the catalog's slimmer
  copy (and back), and the sync reported no failure. A real model's own listing always holds
  its featured endpoint (every daily sweep of 2026-07; only `~` aliases' do not).
- The listing of a model the catalog no longer features (fetched to confirm its archived
  endpoints are gone) answered with another model's endpoints (a cache that drops the query
  string) removed its endpoints. A real model's listing only ever holds its own.

The faulty listings served over HTTP by the replay server.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from archiver.capture.files import Capture, CapturedResponse
from archiver.capture.replay import Fault, ReplayServer
from archiver.cli import main
from archiver.paths import key_to_path
from archiver.times import format_epoch
from tests.archive_helpers import git, load, status_clean
from tests.small_captures import small_archive, small_base, small_captures
from tests.test_sync import files_at

__all__ = ["small_archive", "small_base", "small_captures"]

STATS = "/api/frontend/v1/stats/endpoint"
CATALOG = "/api/frontend/v1/catalog/models"


def _featured_listing(capture: Capture) -> tuple[str, str, set[str]]:
    """Return (model key, listing URL, endpoint ids) of the first real (not `~`) model whose
    listing holds its featured endpoint and at least one more."""
    catalog = next(r for r in capture.responses if r.url == CATALOG).body["data"]
    featured = {e["endpoint"]["id"] for e in catalog if e["endpoint"]}
    for response in capture.responses:
        items = response.body.get("data") if isinstance(response.body, dict) else None
        if not response.url.startswith(STATS + "?") or not items or len(items) < 2:
            continue
        model = items[0]["model_variant_slug"]
        ids = {item["id"] for item in items}
        if not model.startswith("~") and ids & featured:
            return model, response.url, ids
    raise AssertionError("no real model lists its featured endpoint and another one")


def test_an_empty_listing_of_a_featured_model_keeps_its_endpoints(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    first = small_captures[0]
    hour = dataclasses.replace(small_captures[1], time=first.time + timedelta(hours=1))
    model, url, ids = _featured_listing(first)
    before = files_at(small_archive, "HEAD")
    paths = {key_to_path("endpoint", endpoint_id) for endpoint_id in ids}
    paths |= {
        p
        for p, data in before.items()
        if p.startswith("data/endpoint/") and load(data)["model_variant_slug"] == model
    }
    assert len(paths) >= 2 and paths <= before.keys()

    with ReplayServer(hour, faults=[Fault(url, body="empty-data")]) as server:
        command = ["sync", "--repo", str(small_archive), "--base-url", server.base_url]
        result = CliRunner().invoke(main, [*command, "--epoch", format_epoch(hour.time)])

    assert result.exit_code == 1, result.output
    failed = [line for line in result.stderr.splitlines() if "FAILED:" in line]
    assert [line for line in failed if f"endpoints of {model}:" in line], failed
    after = files_at(small_archive, "HEAD")
    assert {p: after.get(p) for p in paths} == {p: before[p] for p in paths}
    assert git(small_archive, "log", "-1", "--format=%H", "--", *sorted(paths)) == git(
        small_archive, "log", "-1", "--skip=1", "--format=%H"
    )
    assert status_clean(small_archive)


def _unfeatured_with_foreign_listing(capture: Capture) -> tuple[Capture, str, str]:
    """Return the capture an hour later with its first real featured model shown without an
    endpoint and that model's listing answered with the next listing's body; and the two
    models' keys."""
    model, url, _ = _featured_listing(capture)
    other = next(
        r
        for r in capture.responses
        if r.url.startswith(STATS + "?")
        and r.url != url
        and r.body["data"]
        and not r.body["data"][0]["model_variant_slug"].startswith("~")
    )
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url == CATALOG:
            entries = [
                {**e, "endpoint": None}
                if e["endpoint"] and e["endpoint"]["model_variant_slug"] == model
                else e
                for e in body["data"]
            ]
            body = {**body, "data": entries}
        elif response.url == url:
            body = other.body
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    later = dataclasses.replace(
        capture, responses=tuple(responses), time=capture.time + timedelta(hours=1)
    )
    return later, model, other.body["data"][0]["model_variant_slug"]


def test_a_listing_answered_with_another_models_endpoints_removes_nothing(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    hour, model, other = _unfeatured_with_foreign_listing(small_captures[0])
    before = files_at(small_archive, "HEAD")
    endpoints = {
        p: data
        for p, data in before.items()
        if p.startswith("data/endpoint/") and load(data)["model_variant_slug"] in (model, other)
    }
    assert {load(data)["model_variant_slug"] for data in endpoints.values()} == {model, other}

    with ReplayServer(hour) as server:
        command = ["sync", "--repo", str(small_archive), "--base-url", server.base_url]
        result = CliRunner().invoke(main, [*command, "--epoch", format_epoch(hour.time)])

    assert result.exit_code == 1, result.output
    failed = [line for line in result.stderr.splitlines() if "FAILED:" in line]
    assert len(failed) == 1 and f"endpoints of {model}:" in failed[0], failed
    after = files_at(small_archive, "HEAD")
    assert {p: after.get(p) for p in endpoints} == endpoints
    assert status_clean(small_archive)
