"""The random-fault soak: real captures in order, a random share of endpoint listings failing.

A clean run (no faults) gives each entity file's true state after each sync. A faulty run
fails a random `rate` of the endpoint listings of each sync (HTTP 500, no retries). Then,
counting a failed capture as "unchanged", the faulty archive must hold:

- each endpoint file: the clean state, or the state it had before where every listing that
  would hold it failed in that sync; never anything else (no noise version);
- each model file: exactly the clean state (endpoint listings never touch models);
- each provider file: each part (`all_providers`, `v1`, `provider_info`) as the clean run
  has it, or as it was before where the listings it comes from failed.

Used by tests/fault_matrix/test_soak.py (small captures) and bench/fault_soak.py (the full
shared daily captures, 10 seeds).
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from archiver.capture.files import Capture
from archiver.capture.replay import Fault
from archiver.capture.transport import ReplayTransport
from archiver.paths import path_to_key
from archiver.sync import SyncOptions, sync
from archiver.upstream.entities import catalog_key
from archiver.upstream.fetch import FetchPolicy
from archiver.upstream.sources import ENDPOINT_STATS, variant_url

CATALOG = "/api/frontend/v1/catalog/models"
States = dict[str, str]  # {path: blob id} of every entity file


@dataclass
class SoakReport:
    """What one seed's faulty run did, and every way it differs from the expected archive."""

    seed: int
    failed_listings: list[int] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    noise: list[str] = field(default_factory=list)


def run(repo: Path, captures: list[Capture], failing: list[set[str]]) -> list[States]:
    """Sync the captures in order, failing the given URLs of each; return the states after each."""
    states = []
    for capture, urls in zip(captures, failing, strict=True):
        faults = [Fault(url, status=500) for url in sorted(urls)]
        replay = ReplayTransport(capture, faults=faults)
        options = SyncOptions(
            base_url=replay.base_url,
            transport=replay,
            epoch=capture.time,
            policy=FetchPolicy(attempts=1),
        )
        sync(repo, options)
        states.append(entity_blobs(repo))
    return states


def entity_blobs(repo: Path) -> States:
    """Return {path: blob id} of every model, endpoint and provider file at HEAD."""
    listing = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "HEAD", "data/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    blobs = {}
    for line in listing.splitlines():
        meta, path = line.split("\t", 1)
        if path.split("/")[1] in ("model", "endpoint", "provider"):
            blobs[path] = meta.split()[2]
    return blobs


def random_failures(captures: list[Capture], rate: float, seed: int) -> list[set[str]]:
    """Return, per capture, a random `rate` share of its endpoint listing URLs."""
    chooser = random.Random(seed)
    chosen = []
    for capture in captures:
        urls = sorted(r.url for r in capture.responses if r.url.startswith(ENDPOINT_STATS + "?"))
        chosen.append(set(chooser.sample(urls, max(1, round(rate * len(urls))))))
    return chosen


def check(
    repo: Path,
    clean: list[States],
    faulty: list[States],
    captures: list[Capture],
    failing: list[set[str]],
) -> list[str]:
    """Return every difference between the faulty run and what it should hold."""
    noise: list[str] = []
    expected: States = {}
    for number, (capture, urls) in enumerate(zip(captures, failing, strict=True)):
        unseen = _unseen_models(capture, urls)
        listed = {catalog_key(entry) for entry in _catalog(capture)}
        aliases_failed = any("permaslug=~" in url or "permaslug=%7E" in url for url in urls)
        contained = _containing_listings(capture)
        before, expected = expected, {}
        paths = clean[number].keys() | before.keys()
        for path in sorted(paths):
            category, key = path_to_key(path)
            if category != "endpoint":
                continue
            listings = contained.get(key)
            if listings is not None:
                failed = listings <= urls
            else:
                # Gone: its model's listing would show it, or an alias's if the model is gone.
                model = _model_of(repo, before.get(path))
                failed = model in unseen or (model not in listed and aliases_failed)
            value = before.get(path) if failed else clean[number].get(path)
            if value is not None:
                expected[path] = value
        for path in sorted(expected.keys() | _endpoints(faulty[number])):
            if faulty[number].get(path) != expected.get(path):
                noise.append(f"sync {number + 1}: {path} differs from its expected state")
        for path in sorted(clean[number].keys() | faulty[number].keys()):
            folder = path.split("/")[1]
            if folder == "model" and faulty[number].get(path) != clean[number].get(path):
                noise.append(f"sync {number + 1}: model file {path} differs from the clean run")
            if folder == "provider":
                previous = faulty[number - 1].get(path) if number else None
                if not _parts_true(
                    repo, faulty[number].get(path), clean[number].get(path), previous
                ):
                    noise.append(
                        f"sync {number + 1}: provider file {path} holds a state never true"
                    )
    return noise


def _parts_true(repo: Path, faulty: str | None, clean: str | None, previous: str | None) -> bool:
    """Tell whether each part of a provider file is as upstream sent it, or as it was before
    (its record comes from endpoint listings: a failed one leaves that part unchanged)."""
    if faulty in (clean, previous):
        return True
    now, true, before = (_parts(repo, blob) for blob in (faulty, clean, previous))
    return all(
        now.get(part) in (true.get(part), before.get(part)) for part in now.keys() | true.keys()
    )


def _parts(repo: Path, blob: str | None) -> dict[str, object]:
    """Return the parts of an archived provider file (empty when absent)."""
    if blob is None:
        return {}
    data = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "blob", blob], capture_output=True, check=True
    ).stdout
    parts = orjson.loads(data)
    return dict(parts) if isinstance(parts, dict) else {}


def versions_per_file(states: list[States]) -> dict[str, int]:
    """Return how many versions each file has across the syncs (add, change, remove, return)."""
    paths = {p for s in states for p in s}
    return {path: _versions(states, path) for path in paths}


def _versions(states: list[States], path: str) -> int:
    """Return how often a file's state changed across the syncs."""
    previous: str | None = None
    count = 0
    for state in states:
        if state.get(path) != previous:
            count += 1
            previous = state.get(path)
    return count


def _endpoints(states: States) -> set[str]:
    """Return the endpoint file paths of a state."""
    return {path for path in states if path.startswith("data/endpoint/")}


def _containing_listings(capture: Capture) -> dict[str, set[str]]:
    """Return {endpoint id: URLs of the listings that hold it} (a featured endpoint no
    listing holds counts as held by its model's listing)."""
    held: dict[str, set[str]] = {}
    for response in capture.responses:
        if response.url.startswith(ENDPOINT_STATS + "?"):
            for item in response.body["data"]:
                held.setdefault(item["id"], set()).add(response.url)
    for entry in _catalog(capture):
        featured = entry["endpoint"]
        if not featured:
            continue
        assert isinstance(featured, dict)
        if featured["id"] not in held:
            held[featured["id"]] = {_listing_url(entry)}
    return held


def _unseen_models(capture: Capture, urls: set[str]) -> set[str]:
    """Return the modelKeys whose listing failed in this sync."""
    return {catalog_key(e) for e in _catalog(capture) if e["endpoint"] and _listing_url(e) in urls}


def _catalog(capture: Capture) -> list[dict[str, object]]:
    """Return a capture's catalog entries."""
    return list(next(r.body["data"] for r in capture.responses if r.url == CATALOG))


def _listing_url(entry: dict[str, object]) -> str:
    """Return the endpoint listing URL of a catalog entry with a featured endpoint."""
    featured = entry["endpoint"]
    assert isinstance(featured, dict)
    return variant_url(ENDPOINT_STATS, str(entry["permaslug"]), str(featured["variant"]))


def _model_of(repo: Path, blob: str | None) -> str | None:
    """Return the modelKey an archived endpoint blob refers to."""
    if blob is None:
        return None
    data = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "blob", blob], capture_output=True, check=True
    ).stdout
    model = orjson.loads(data).get("model_variant_slug")
    return model if isinstance(model, str) else None
