"""The small real captures committed under tests/captures (see tests/captures/trim.py).

A few dozen models of each shared daily sweep and /api/v1/models capture, with every
oddity of the real data kept. Tests that need a real archive use these: they run without
../shared and sync in well under a second.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from archiver.archive.synclog import SyncLog
from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.entities import catalog_key, catalog_variants
from archiver.upstream.fetch import Response

HERE = Path(__file__).resolve().parent / "captures"
SMALL_DAILY = sorted((HERE / "daily").glob("*.jsonl.gz"))
SMALL_V1_MODELS = sorted((HERE / "v1-models").glob("*.jsonl.gz"))
ENDPOINT_LISTING = "/api/frontend/v1/stats/endpoint?"
PER_VARIANT = (sources.ENDPOINT_STATS, sources.EFFECTIVE_PRICING, sources.MODEL_ACTIVITY)


@dataclass(frozen=True)
class SyncedArchive:
    """An archive built by syncing captures in order, with each sync's log, oldest first."""

    path: Path
    captures: list[Capture]
    logs: list[SyncLog]


def small_daily() -> list[Capture]:
    """Return the three small daily captures, oldest first."""
    assert SMALL_DAILY, f"no small captures under {HERE}; run tests/captures/trim.py"
    return [read_capture(path) for path in SMALL_DAILY]


def sync_small(repo: Path, capture: Capture | Path) -> SyncLog:
    """Sync one capture served in-process (no socket), with its capture time as the epoch."""
    if isinstance(capture, Path):
        capture = read_capture(capture)
    replay = ReplayTransport(capture)
    return sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time))


def with_first_endpoints_edited(
    capture: Capture, edits: Sequence[Callable[[dict[str, Any]], dict[str, Any]]]
) -> tuple[Capture, list[str]]:
    """Return a capture whose first endpoint in each of the first non-empty endpoint listings
    is edited (one listing an edit, in order), and those endpoints' ids."""
    responses: list[CapturedResponse] = []
    edited: list[str] = []
    for response in capture.responses:
        items = response.body.get("data") if isinstance(response.body, dict) else None
        if len(edited) < len(edits) and response.url.startswith(ENDPOINT_LISTING) and items:
            first = edits[len(edited)](items[0])
            edited.append(items[0]["id"])
            body = {**response.body, "data": [first, *items[1:]]}
            response = CapturedResponse(response.method, response.url, response.status, body)
        responses.append(response)
    assert len(edited) == len(edits), "the capture has too few endpoint listings"
    return Capture(capture.time, capture.source, "edited", tuple(responses)), edited


def with_endpoint_edited(
    capture: Capture, endpoint_id: str, edit: Callable[[dict[str, Any]], None]
) -> Capture:
    """Return the capture with `edit` applied to a copy of the endpoint whose id starts with
    endpoint_id, in every endpoint listing holding it."""

    def edited(item: Any) -> bool:
        return isinstance(item, dict) and str(item.get("id", "")).startswith(endpoint_id)

    responses: list[CapturedResponse] = []
    for response in capture.responses:
        items = response.body.get("data") if isinstance(response.body, dict) else None
        if response.url.startswith(ENDPOINT_LISTING) and any(map(edited, items or [])):
            body = copy.deepcopy(response.body)
            for item in body["data"]:
                if edited(item):
                    edit(item)
            response = CapturedResponse(response.method, response.url, response.status, body)
        responses.append(response)
    return replace(capture, responses=tuple(responses))


def first_listed_models(capture: Capture, count: int) -> set[str]:
    """Return the models (catalog keys) of the endpoints `with_first_endpoints_edited` edits
    with `count` edits: the first endpoint's of each of the first non-empty endpoint
    listings. Cut to them (`with_models_only`), a capture still holds those endpoints."""
    listings = [
        response.body["data"]
        for response in capture.responses
        if response.url.startswith(ENDPOINT_LISTING)
        and isinstance(response.body, dict)
        and response.body.get("data")
    ][:count]
    assert len(listings) == count, "the capture has too few endpoint listings"
    return {str(items[0]["model_variant_slug"]) for items in listings}


def with_models_only(capture: Capture, keys: set[str]) -> Capture:
    """Return the capture as if the catalog listed only these models (catalog keys): the
    catalog and /api/v1/models cut to them, the other models' per-variant responses left out.

    A capture without the catalog (an /api/v1/models capture, tests/captures/v1-models) keeps
    the /api/v1/models entries of these keys: their ids are catalog keys."""
    catalog = next((r for r in capture.responses if r.url == sources.CATALOG_MODELS), None)
    if catalog is None:
        return _v1_models_only(capture, keys)
    entries = [e for e in catalog.body["data"] if catalog_key(e) in keys]
    kept_body = {**catalog.body, "data": entries}
    slugs = keys | {str(e["slug"]) for e in entries}
    full = catalog_variants(Response(catalog.url, catalog.body, status=200))
    dropped = {
        variant.url(path)
        for key, variant in full.items()
        if key not in keys
        for path in PER_VARIANT
    }
    responses: list[CapturedResponse] = []
    for response in capture.responses:
        body = response.body
        if response.url in dropped:
            continue
        if response.url == sources.CATALOG_MODELS:
            body = kept_body
        elif response.url == sources.V1_MODELS:
            body = {**body, "data": [m for m in body["data"] if m.get("id") in slugs]}
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return Capture(capture.time, capture.source, f"{len(keys)} models only", tuple(responses))


def _v1_models_only(capture: Capture, keys: set[str]) -> Capture:
    """Return a capture without the catalog whose /api/v1/models lists only these keys."""
    responses = [
        CapturedResponse(
            response.method,
            response.url,
            response.status,
            {**response.body, "data": [m for m in response.body["data"] if m.get("id") in keys]},
        )
        if response.url == sources.V1_MODELS and isinstance(response.body, dict)
        else response
        for response in capture.responses
    ]
    return Capture(capture.time, capture.source, f"{len(keys)} models only", tuple(responses))


def some_models(capture: Capture, step: int, featured: int = 0) -> set[str]:
    """Return the catalog keys of one model in `step` (sorted by key) and of the first
    `featured` models with an endpoint (those tests edit first).

    `with_models_only` cut to them, a capture still holds every kind of entity and listing,
    and an archive of it builds its site in a fraction of the time: the build grows with
    the pages, and the site tests that build their own are mostly that build.
    """
    catalog = next(r for r in capture.responses if r.url == sources.CATALOG_MODELS)
    entries = catalog.body["data"]
    keys = sorted(catalog_key(entry) for entry in entries)
    firsts = [catalog_key(entry) for entry in entries if entry.get("endpoint")][:featured]
    return {*keys[::step], *firsts}


def copy_archive(source: Path, target: Path) -> Path:
    """Return a private copy of an archive (a real repository, work tree and .git)."""
    return Path(shutil.copytree(source, target, symlinks=True))


def archives_in_turn(
    factory: pytest.TempPathFactory, name: str, captures: Sequence[Capture]
) -> list[Path]:
    """Return an archive after each capture synced in turn: the first after the first
    capture, each next a copy of the one before with the next capture synced (read only)."""
    archives: list[Path] = []
    for number, capture in enumerate(captures):
        repo = factory.mktemp(f"{name}-{number + 1}") / "archive"
        if archives:
            copy_archive(archives[-1], repo)
        sync_small(repo, capture)
        archives.append(repo)
    return archives


@pytest.fixture(scope="session")
def small_captures() -> list[Capture]:
    """Return the three small daily captures, read once for the session."""
    return small_daily()


@pytest.fixture(scope="session")
def small_base(tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]) -> Path:
    """Return an archive holding the first small daily capture (do not write to it)."""
    repo = tmp_path_factory.mktemp("small-base") / "archive"
    log = sync_small(repo, small_captures[0])
    assert log.commit_id and not log.failures, log.failures
    return repo


@pytest.fixture
def small_archive(small_base: Path, tmp_path: Path) -> Path:
    """Return a private copy of the small base archive, to sync into."""
    return copy_archive(small_base, tmp_path / "archive")


# A quarter of the catalog: one catalog model in QUARTER_STEP, plus the first two featured
# ones (every kind of listing and entity is still there). A module that runs many syncs
# takes these under the names small_captures, small_base and small_archive:
#     from tests.small_captures import quarter_captures as small_captures  (and so on)
# Each module that imports them builds its own, once: a session fixture is cached by its
# definition, not by the captures it was given.
QUARTER_STEP = 4


@pytest.fixture(scope="session")
def quarter_captures() -> list[Capture]:
    """Return the small daily captures cut to one catalog model in QUARTER_STEP (read here,
    not through `small_captures`: a module takes this fixture under that name)."""
    whole = small_daily()
    keys = some_models(whole[1], QUARTER_STEP, featured=2)
    return [with_models_only(capture, keys) for capture in whole]


@pytest.fixture(scope="session")
def quarter_base(tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]) -> Path:
    """Return an archive of the first cut capture (do not write to it); `small_captures`
    is the importing module's own, the cut ones."""
    repo = tmp_path_factory.mktemp("some-models-base") / "archive"
    log = sync_small(repo, small_captures[0])
    assert log.commit_id and not log.failures, log.failures
    return repo


@pytest.fixture
def quarter_archive(small_base: Path, tmp_path: Path) -> Path:
    """Return a private copy of the importing module's base archive, to sync into."""
    return copy_archive(small_base, tmp_path / "archive")


# An eighth of the catalog (one catalog model in 8, plus the first featured one): enough for
# tests of the repository around a sync, not of what it syncs. A module takes them as
#     from tests.small_captures import eighth_base as base, eighth_captures as cut
# (with small_captures): one archive for every such module, built once a session.
def _eighth(captures: list[Capture]) -> list[Capture]:
    """Return the captures cut to one catalog model in 8 and the first featured one."""
    keys = some_models(captures[1], 8, featured=1)
    return [with_models_only(capture, keys) for capture in captures]


@pytest.fixture(scope="session")
def eighth_captures(small_captures: list[Capture]) -> list[Capture]:
    """Return the small daily captures cut to a few models."""
    return _eighth(small_captures)


@pytest.fixture(scope="session")
def eighth_base(tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]) -> Path:
    """Return an archive of the first cut capture (do not write to it: copy it); taken
    under another name, it cannot ask for eighth_captures by its own."""
    repo = tmp_path_factory.mktemp("eighth-base") / "archive"
    assert sync_small(repo, _eighth(small_captures)[0]).commit_id
    return repo


def small_cut_at(hour: datetime, step: int = 16) -> Capture:
    """Return the first small capture cut to every step-th model and the first listing's
    model (so at least one endpoint listing answers), dated at hour."""
    whole = read_capture(SMALL_DAILY[0])
    keys = some_models(whole, step) | first_listed_models(whole, 1)
    return replace(with_models_only(whole, keys), time=hour)


def with_first_price_changed(capture: Capture) -> Capture:
    """Return the capture with its first listed endpoint's prompt price changed."""

    def repriced(endpoint: dict[str, Any]) -> dict[str, Any]:
        return {**endpoint, "pricing": {**endpoint["pricing"], "prompt": "0.00009"}}

    return with_first_endpoints_edited(capture, [repriced])[0]
