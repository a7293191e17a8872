"""A short soak: hourly syncs of a changing upstream under seeded random faults (audit).

Each hour the upstream changes a little (a price, a provider's record, a model's name, an
endpoint added or removed) and some requests fail (5xx, 429, 404, a cut or empty body,
another listing's body). A second archive syncs the same hours without faults: it is the
oracle of what upstream was. After every hour, each part of each entity file of the faulty
archive is either as it was or upstream's current value; a file is removed only when
upstream removed it; at the end every entity's versions are a subsequence of the oracle's
(a fault may hide a state, never add one), and after a fault-free hour both archives hold
the same bytes. The long run of this is a scratch script; this one is seeded and short (of
the first 40 seeds, these two were among the five that failed before this audit's fixes).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from archiver.capture.faults import Fault
from archiver.capture.files import Capture, CapturedResponse
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.fetch import FetchPolicy
from tests.small_captures import ENDPOINT_LISTING, small_captures
from tests.small_captures import eighth_captures as cut

__all__ = ["cut", "small_captures"]

HOURS = 10
# Fast retries: a fault meant to outlast them does; one meant to be hidden by one is.
POLICY = FetchPolicy(attempts=2, backoff=0.0, max_wait=0.01, cache_bust=False)
LISTINGS = (sources.V1_MODELS, sources.CATALOG_MODELS, sources.ALL_PROVIDERS)
Files = dict[str, bytes]


class Upstream:
    """The upstream's true state, hour by hour, changed by seeded edits."""

    def __init__(self, capture: Capture, rng: random.Random) -> None:
        self.capture, self.rng = capture, rng
        self.bodies = {r.url: copy.deepcopy(r.body) for r in capture.responses}

    def endpoints(self) -> list[dict[str, Any]]:
        return [
            e for u, b in self.bodies.items() if u.startswith(ENDPOINT_LISTING) for e in _data(b)
        ]

    def copies(self, endpoint_id: str) -> list[tuple[list[Any], dict[str, Any]]]:
        """Return every copy of one endpoint (an alias's listing repeats its target's)."""
        return [
            (_data(b), e)
            for u, b in self.bodies.items()
            if u.startswith(ENDPOINT_LISTING)
            for e in _data(b)
            if e["id"] == endpoint_id
        ]

    def change(self) -> None:
        edits: list[Callable[[], None]] = [self.price, self.provider, self.rename, self.add]
        for _ in range(self.rng.randint(0, 2)):
            self.rng.choice([*edits, self.remove])()

    def price(self) -> None:
        chosen = self.rng.choice(self.endpoints())
        for _, endpoint in self.copies(chosen["id"]):
            endpoint["pricing"] = {**endpoint.get("pricing", {}), "prompt": str(self.rng.random())}

    def provider(self) -> None:
        chosen = self.rng.choice(self.endpoints())["provider_info"]["slug"]
        headquarters = self.rng.choice(["US", "FR", "SG"])
        for endpoint in self.endpoints():
            if endpoint["provider_info"]["slug"] == chosen:
                endpoint["provider_info"]["headquarters"] = headquarters

    def rename(self) -> None:
        self.rng.choice(_data(self.bodies[sources.V1_MODELS]))["name"] = str(self.rng.random())

    def add(self) -> None:
        source = self.rng.choice(self.endpoints())
        added = {**copy.deepcopy(source), "id": f"soak-{self.rng.getrandbits(32):08x}"}
        for listing, _ in self.copies(source["id"]):
            listing.append(copy.deepcopy(added))

    def remove(self) -> None:
        featured = {
            (e.get("endpoint") or {}).get("id") for e in _data(self.bodies[sources.CATALOG_MODELS])
        }
        chosen = [e for e in self.endpoints() if e["id"] not in featured]
        if chosen:
            for listing, endpoint in self.copies(self.rng.choice(chosen)["id"]):
                listing.remove(endpoint)

    def at(self, hour: int, swaps: dict[str, str]) -> Capture:
        """Return the capture of this hour, some URLs answering with another's body."""
        responses = tuple(
            CapturedResponse(
                r.method, r.url, r.status, copy.deepcopy(self.bodies[swaps.get(r.url, r.url)])
            )
            for r in self.capture.responses
        )
        return Capture(
            self.capture.time + timedelta(hours=hour), self.capture.source, "soak", responses
        )

    def faults(self) -> tuple[list[Fault], dict[str, str]]:
        """Return this hour's faults and swapped bodies."""
        faults: list[Fault] = []
        swaps: dict[str, str] = {}
        listings = [u for u in self.bodies if u.startswith(ENDPOINT_LISTING)]
        for _ in range(self.rng.randint(0, 3)):
            url = self.rng.choice(list(LISTINGS) if self.rng.random() < 0.4 else listings)
            kind = self.rng.choice(
                ["500", "502-once", "429", "404", "truncated", "empty-data", "swap"]
            )
            if kind == "swap":
                swaps[url] = self.rng.choice([*LISTINGS, *listings])
            elif kind in ("truncated", "empty-data"):
                faults.append(Fault(url, body=kind))
            else:
                status, once = int(kind[:3]), kind.endswith("once")
                faults.append(Fault(url, status=status, retry_after="0", times=1 if once else None))
        return faults, swaps


def _data(body: Any) -> list[Any]:
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, list) else []


def _sync(repo: Path, capture: Capture, faults: list[Fault]) -> None:
    replay = ReplayTransport(capture, faults)
    options = SyncOptions(
        base_url=replay.base_url, transport=replay, epoch=capture.time, policy=POLICY
    )
    sync(repo, options)


def _files(repo: Path) -> Files:
    folders = [repo / "data" / category for category in ("model", "endpoint", "provider")]
    return {str(p.relative_to(repo)): p.read_bytes() for f in folders for p in f.rglob("*.json")}


def _parts(path: str, data: bytes | None) -> dict[str, bytes]:
    """Return a file's parts by name (an endpoint is one part): each comes from one listing."""
    if data is None:
        return {}
    value = orjson.loads(data)
    if path.startswith("data/endpoint/"):
        return {"": data}
    return {k: orjson.dumps(v, option=orjson.OPT_SORT_KEYS) for k, v in value.items() if k != "key"}


def _subsequence(short: list[Any], long: list[Any]) -> bool:
    rest = iter(long)
    return all(any(item == other for other in rest) for item in short)


def _distinct(values: list[Any]) -> list[Any]:
    return [v for n, v in enumerate(values) if n == 0 or values[n - 1] != v]


def _check_hour(hour: int, before: Files, faulty: Files, clean: Files) -> None:
    """Assert that what the faulty archive changed this hour, upstream changed."""
    for path in before.keys() | faulty.keys():
        if path not in faulty:
            assert path not in clean, f"hour {hour}: {path} removed, upstream still has it"
            continue
        truth, old = _parts(path, clean.get(path)), _parts(path, before.get(path))
        for part, value in _parts(path, faulty[path]).items():
            assert value in (old.get(part), truth.get(part)), f"hour {hour}: {path} {part!r}"


@pytest.mark.parametrize("seed", [4, 17])
def test_faults_hide_upstream_states_and_never_add_one(
    cut: list[Capture], tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    upstream = Upstream(cut[0], rng)
    clean_repo, faulty_repo = tmp_path / "clean", tmp_path / "faulty"
    history: list[tuple[Files, Files]] = []
    for hour in range(HOURS):
        if hour:
            upstream.change()
        fault_free = hour in (0, HOURS - 1)
        faults, swaps = ([], {}) if fault_free else upstream.faults()
        before = _files(faulty_repo) if hour else {}
        _sync(clean_repo, upstream.at(hour, {}), [])
        _sync(faulty_repo, upstream.at(hour, swaps), faults)
        clean, faulty = _files(clean_repo), _files(faulty_repo)
        _check_hour(hour, before, faulty, clean)
        if fault_free:
            assert faulty == clean, f"hour {hour}: fault-free, yet the archives differ"
        history.append((clean, faulty))
    for path in {p for clean, faulty in history for p in clean.keys() | faulty.keys()}:
        parts = {name for clean, faulty in history for name in _parts(path, clean.get(path))}
        for part in parts:
            truth = _distinct([_parts(path, c.get(path)).get(part) for c, _ in history])
            seen = _distinct([_parts(path, f.get(path)).get(part) for _, f in history])
            assert _subsequence(seen, truth), f"{path} {part!r}: a version upstream never had"
