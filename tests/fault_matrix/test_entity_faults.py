"""Fault matrix, entities: no coupling, removal only on evidence, odd listings.

Each test syncs an edited copy of a small real daily capture into a copy of an archive of
the one before, and checks every file: the entities the fault touches stay byte-identical
(or change exactly as upstream did), the rest is archived as usual.
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.archive.plan import MIN_REMOVALS
from archiver.archive.synclog import SyncLog
from archiver.capture.files import Capture, CapturedResponse
from archiver.capture.replay import Fault
from archiver.capture.transport import ReplayTransport
from archiver.paths import key_to_path
from archiver.sync import SyncOptions, sync
from archiver.upstream.endpoints import PROVIDER_FIELDS, rebuilt_provider_info
from archiver.upstream.entities import catalog_key
from archiver.upstream.fetch import FetchPolicy
from tests.archive_helpers import load, status_clean
from tests.small_captures import copy_archive
from tests.test_sync import files_at

V1 = "/api/v1/models"
CATALOG = "/api/frontend/v1/catalog/models"
STATS = "/api/frontend/v1/stats/endpoint"
Edit = Callable[[str, Any], Any]
# Every attempt of the usual policy, without its waits: a listing that fails 500 was retried
# over 1 + 2 + 4 s of backoff, seconds of the suite that tested nothing (backoff has its own
# tests: tests/test_audit20_net_wire.py).
QUICK_RETRIES = FetchPolicy(backoff=0.01)


def edited(capture: Capture, edit: Edit, *, hours: int = 0) -> Capture:
    """Return a capture whose bodies went through edit(url, body) (None drops the response)."""
    responses = []
    for response in capture.responses:
        body = edit(response.url, response.body)
        if body is not None:
            responses.append(CapturedResponse(response.method, response.url, 200, body))
    return replace(capture, responses=tuple(responses), time=capture.time + timedelta(hours=hours))


def listing_url(capture: Capture, model_key: str) -> str:
    """Return the endpoint listing URL of a model in a capture."""
    for response in capture.responses:
        data = response.body.get("data") if isinstance(response.body, dict) else None
        if (
            response.url.startswith(STATS + "?")
            and data
            and data[0]["model_variant_slug"] == model_key
        ):
            return response.url
    raise AssertionError(f"{model_key} has no endpoint listing in the capture")


def endpoint_files(files: dict[str, bytes], model_key: str) -> dict[str, bytes]:
    """Return {path: bytes} of the endpoint files of one model."""
    return {
        path: data
        for path, data in files.items()
        if path.startswith("data/endpoint/") and load(data)["model"] == model_key
    }


def fsck_clean(repo: Path) -> bool:
    """Tell whether `git fsck --strict` finds nothing wrong."""
    done = subprocess.run(["git", "-C", str(repo), "fsck", "--strict"], capture_output=True)
    return done.returncode == 0


def synced(repo: Path, capture: Capture, *faults: Fault, **options: Any) -> SyncLog:
    """Sync a capture with faults at its own epoch; the archive must stay sound."""
    replay = ReplayTransport(capture, faults=list(faults))
    options.setdefault("policy", QUICK_RETRIES)
    settings = SyncOptions(
        base_url=replay.base_url, transport=replay, epoch=capture.time, **options
    )
    log = sync(repo, settings)
    assert status_clean(repo) and fsck_clean(repo)
    return log


def test_a_provider_field_that_varies_by_family_couples_no_endpoints(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    # google-vertex's adapterName and pricingStrategy differ by model family. Drop the most
    # common family's models: a majority vote would flip and rewrite every other vertex file.
    base = files_at(small_archive, "HEAD")
    families: dict[Any, set[str]] = {}
    for response in small_captures[0].responses:
        for item in response.body["data"] if response.url.startswith(STATS + "?") else []:
            info = item["provider_info"]
            if info["slug"] == "google-vertex":
                family = (info["adapterName"], info["pricingStrategy"])
                families.setdefault(family, set()).add(item["model_variant_slug"])
    assert len(families) > 3
    dropped = max(families.values(), key=len)

    def without(url: str, body: Any) -> Any:
        if (
            url.startswith(STATS + "?")
            and body["data"]
            and body["data"][0]["model_variant_slug"] in dropped
        ):
            return None
        if url in (V1, CATALOG):
            key = "id" if url == V1 else None
            return {"data": [e for e in body["data"] if _key(e, key) not in dropped]}
        return body

    log = synced(small_archive, edited(small_captures[0], without, hours=1), max_removal_share=0.5)
    after = files_at(small_archive, "HEAD")
    assert log.counts["endpoint"].removed > 0 and not log.counts["endpoint"].changed
    for path, data in base.items():
        if path.startswith("data/endpoint/") and path in after:
            assert after[path] == data, path
    provider = key_to_path("provider", "google-vertex")
    assert after[provider] == base[provider]


def test_endpoint_and_provider_files_rebuild_the_upstream_record(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    files = files_at(small_archive, "HEAD")
    checked = 0
    for response in small_captures[0].responses:
        for item in response.body["data"] if response.url.startswith(STATS + "?") else []:
            endpoint = load(files[key_to_path("endpoint", item["id"])])
            provider = load(files[key_to_path("provider", item["provider_info"]["slug"])])
            assert set(provider["provider_info"]) <= PROVIDER_FIELDS
            assert (
                rebuilt_provider_info(endpoint, provider["provider_info"]) == item["provider_info"]
            )
            checked += 1
    assert checked > 200


def test_a_failed_listing_leaves_its_endpoints_byte_identical(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    # The catalog still embeds the featured endpoint, without the listing's `tiers`.
    model = "x-ai/grok-4.5"
    before = endpoint_files(files_at(small_archive, "HEAD"), model)
    assert before
    url = listing_url(small_captures[1], model)
    log = synced(small_archive, small_captures[1], Fault(url, status=500))
    assert any("HTTP 500" in f and model in f for f in log.failures)
    after = files_at(small_archive, "HEAD")
    assert {p: after.get(p) for p in before} == before


def test_a_retried_listing_archives_exactly_what_a_clean_sync_does(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    clean = copy_archive(small_archive, tmp_path / "clean")
    synced(clean, small_captures[1])
    url = listing_url(small_captures[1], "z-ai/glm-5.2")
    log = synced(small_archive, small_captures[1], Fault(url, status=503, times=1))
    assert not log.failures
    assert files_at(small_archive, "HEAD") == files_at(clean, "HEAD")


@pytest.mark.parametrize("listing", ["as recorded", "empty", "missing"])
def test_a_model_without_a_featured_endpoint_keeps_endpoints_until_its_listing_shows_them_gone(
    small_archive: Path, small_captures: list[Capture], listing: str
) -> None:
    model = "z-ai/glm-4.7"
    before = endpoint_files(files_at(small_archive, "HEAD"), model)
    assert before
    url = listing_url(small_captures[1], model)

    def unfeatured(at: str, body: Any) -> Any:
        if at == CATALOG:
            entries = body["data"]
            return {
                "data": [{**e, "endpoint": None} if catalog_key(e) == model else e for e in entries]
            }
        if at == url:
            return {"as recorded": body, "empty": {"data": []}, "missing": None}[listing]
        return body

    log = synced(small_archive, edited(small_captures[1], unfeatured))
    after = endpoint_files(files_at(small_archive, "HEAD"), model)
    if listing == "empty":
        assert not after and log.counts["endpoint"].removed >= len(before)
    elif listing == "missing":
        assert after == before
        assert any("404" in f and model in f for f in log.failures)
    else:
        recorded = listing_items(small_captures[1], url)
        assert set(after) == {key_to_path("endpoint", item["id"]) for item in recorded}
        assert not log.failures


def test_a_part_shrinking_a_little_every_sync_is_held_at_the_window(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    capture = small_captures[0]
    models = [m["id"] for m in next(r.body["data"] for r in capture.responses if r.url == V1)]
    held: list[int] = []
    sizes = []
    step = math.ceil(0.06 * len(models))
    assert step > MIN_REMOVALS
    for hour in range(1, 6):
        # 6% more models missing each hour: each sync alone loses under the 10% allowed.
        gone = set(models[: step * hour])

        def shrunk(url: str, body: Any, gone: set[str] = gone) -> Any:
            return {"data": [m for m in body["data"] if m["id"] not in gone]} if url == V1 else body

        log = synced(small_archive, edited(capture, shrunk, hours=hour))
        held.append(sum("model v1" in f and "removed none" in f for f in log.failures))
        files = files_at(small_archive, "HEAD")
        sizes.append(
            sum(1 for p, d in files.items() if p.startswith("data/model/") and "v1" in load(d))
        )
    assert held[0] == 0 and all(held[1:])
    assert min(sizes) >= 0.9 * len(models)
    peaks = subprocess.run(
        [
            "git",
            "-C",
            str(small_archive),
            "log",
            "-1",
            "--format=%(trailers:key=Sync-Part-Peaks,valueonly)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"model/v1 {len(models)}" in peaks


def test_one_id_twice_in_a_listing_is_reported_and_chosen_by_content(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    model = "openai/gpt-4.1"
    url = listing_url(small_captures[1], model)
    first_order = copy_archive(small_archive, tmp_path / "first-order")

    def doubled(order: int) -> Edit:
        def edit(at: str, body: Any) -> Any:
            if at == V1:
                first = next(m for m in body["data"] if m["id"] == model)
                twins = [first, {**first, "name": first["name"] + " (twin)"}][::order]
                return {"data": [*twins, *(m for m in body["data"] if m["id"] != model)]}
            if at == url:
                item = body["data"][0]
                twins = [item, {**item, "context_length": 1}][::order]
                return {"data": [*twins, *body["data"][1:]]}
            return body

        return edit

    logs = [
        synced(repo, edited(small_captures[1], doubled(order)))
        for repo, order in ((first_order, 1), (small_archive, -1))
    ]
    for log in logs:
        conflicts = [f for f in log.failures if "different content" in f]
        assert len(conflicts) == 2 and model in conflicts[0] + conflicts[1]
    # Whichever copy came first, the same one is archived.
    assert files_at(first_order, "HEAD") == files_at(small_archive, "HEAD")


@pytest.mark.parametrize(
    ("field", "value"),
    [("provider_slug", "../../index"), ("model_variant_slug", "openai/gpt-4.1\nx")],
)
def test_an_unsafe_reference_refuses_that_endpoint_only(
    small_archive: Path, small_captures: list[Capture], field: str, value: str
) -> None:
    model = "anthropic/claude-opus-4.7"
    url = listing_url(small_captures[1], model)
    before = files_at(small_archive, "HEAD")
    victim = listing_item(small_captures[1], url, 0)

    def hostile(at: str, body: Any) -> Any:
        if at != url:
            return body
        item = dict(body["data"][0])
        if field == "provider_slug":
            item["provider_info"] = {**item["provider_info"], "slug": value}
        else:
            item[field] = value
        return {"data": [item, *body["data"][1:]]}

    log = synced(small_archive, edited(small_captures[1], hostile))
    after = files_at(small_archive, "HEAD")
    path = key_to_path("endpoint", victim["id"])
    assert after.get(path) == before.get(path)
    assert any("refused" in f and victim["id"] in f and "\n" not in f for f in log.failures)
    assert not any("index" in p for p in after if p.startswith("data/provider/"))
    assert not (small_archive.parent / "index.json").exists()
    others = endpoint_files(after, model)
    assert len(others) >= 1


def listing_items(capture: Capture, url: str) -> list[Any]:
    """Return the items of a recorded listing."""
    return list(next(r.body["data"] for r in capture.responses if r.url == url))


def listing_item(capture: Capture, url: str, position: int) -> Any:
    """Return one item of a recorded listing."""
    return listing_items(capture, url)[position]


def _key(entry: Any, field: str | None) -> str:
    """Return a v1 model's id (field "id") or a catalog entry's modelKey (field None)."""
    return str(entry[field]) if field else catalog_key(entry)
