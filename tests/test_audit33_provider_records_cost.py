"""Reading the archive's provider records costs what the provider files do (audit, scale).

To keep a provider's archived record while an endpoint whose listing failed still carries it,
`provider_records` also answers which records archived endpoints carry. It listed every
endpoint file up front for that: each sync at 50,000 endpoints walked them (0.09 s of CPU)
and held the list (12 MB) until its commit, though the answer is asked only when a listing
failed while a provider's record changed. The files are now listed when asked, from the HEAD
the records were read at.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import orjson
import pygit2

from archiver.archive.provider_records import provider_records
from archiver.archive.store import Store
from archiver.archive.trees import tree_with
from archiver.paths import key_to_path

ENDPOINTS = 5000
RECORD = {"slug": "acme", "headquarters": "US"}


def _endpoint(number: int) -> bytes:
    entity = {"id": f"e{number:05d}", "model_variant_slug": "acme/m", "provider_info": "acme"}
    return orjson.dumps(entity)


def _archive(root: Path) -> Store:
    """Return a store whose HEAD holds one provider file and ENDPOINTS endpoint files."""
    repo = pygit2.init_repository(str(root), initial_head="main")
    provider = orjson.dumps({"slug": "acme", "provider_info": RECORD})
    changes: dict[str, pygit2.Oid | None] = {
        key_to_path("provider", "acme"): repo.create_blob(provider)
    }
    for number in range(ENDPOINTS):
        changes[key_to_path("endpoint", f"e{number:05d}")] = repo.create_blob(_endpoint(number))
    tree = tree_with(repo, None, changes)
    assert tree is not None
    signature = pygit2.Signature("a", "a@example.com", 0, 0)
    repo.create_commit("refs/heads/main", signature, signature, "archive", tree, [])
    return Store(root)


def test_provider_records_hold_nothing_per_endpoint_until_asked(tmp_path: Path) -> None:
    store = _archive(tmp_path / "archive")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        providers = provider_records(store)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert set(providers.records) == {"acme"}
    # Listed up front, the endpoint files' paths and blob ids took over 200 bytes each.
    assert held < 40 * ENDPOINTS, held
