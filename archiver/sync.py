"""One sync: fetch every source, build entities, write what changed, one commit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

import httpx

from archiver import sources
from archiver.canonical import blob_id
from archiver.entities import Fetched, Observed, endpoint_list_urls, observe
from archiver.fetch import Fetcher, FetchPolicy, Response
from archiver.plan import DEFAULT_MAX_REMOVAL_SHARE, Plan, make_plan
from archiver.store import Store
from archiver.synclog import SyncLog, hour_epoch

GITATTRIBUTES_LINE = b"data/** -text"
# Sources a sync may find missing (HTTP 404) without it being a failure.
OPTIONAL_SOURCES = frozenset({sources.V1_PROVIDERS})


@dataclass
class SyncOptions:
    """How one sync runs."""

    base_url: str = sources.DEFAULT_BASE_URL
    epoch: datetime | None = None
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    max_removal_share: float = DEFAULT_MAX_REMOVAL_SHARE
    transport: httpx.AsyncBaseTransport | None = None


def sync(
    repo: str | Path,
    options: SyncOptions | None = None,
    on_response: Callable[[Response], None] | None = None,
) -> SyncLog:
    """Sync OpenRouter into the archive at repo; return the sync log (commit_id None: no change)."""
    options = options or SyncOptions()
    store = Store(repo)
    log = SyncLog(epoch=hour_epoch(options.epoch))
    recovered = store.recover()
    if recovered:
        log.notes.append(recovered)
    fetched = asyncio.run(fetch_sources(options, on_response))
    _count_requests(fetched, log)
    observed = observe(fetched)
    archive(store, observed, log, options.max_removal_share)
    log.seconds = time.monotonic() - log.started
    return log


def archive(store: Store, observed: Observed, log: SyncLog, max_removal_share: float) -> None:
    """Plan, write and commit what the observed entities change; fill in the log."""
    log.failures += observed.problems
    plan = make_plan(observed, store.tracked(), store.read, max_removal_share=max_removal_share)
    _log_plan(plan, log)
    writes = dict(plan.writes)
    if log.changed:
        writes.update(_archive_files(store))
    log.bytes_written = sum(len(data) for data in writes.values())
    log.files_written = len(writes)
    if not log.changed:
        return
    # The commit message carries the duration: measure it up to the commit.
    log.seconds = time.monotonic() - log.started
    result = store.commit(writes, plan.removals, log.message())
    log.commit_id = result.commit_id if result else None


async def fetch_sources(
    options: SyncOptions, on_response: Callable[[Response], None] | None = None
) -> Fetched:
    """Fetch the listings, then every catalog model's endpoint listing."""
    fetcher = Fetcher(
        options.base_url, options.policy, transport=options.transport, on_response=on_response
    )
    async with fetcher:
        listings = (sources.V1_MODELS, sources.CATALOG_MODELS, sources.ALL_PROVIDERS)
        v1_models, catalog, all_providers, v1_providers = await fetcher.get_many(
            [*listings, sources.V1_PROVIDERS]
        )
        urls = endpoint_list_urls(catalog) if catalog.ok else {}
        lists = await fetcher.get_many(urls.values())
    return Fetched(
        v1_models=v1_models,
        catalog=catalog,
        all_providers=all_providers,
        v1_providers=_unless_absent(v1_providers),
        endpoint_lists=dict(zip(urls, lists, strict=True)),
    )


def _unless_absent(response: Response) -> Response | None:
    """Return None for an optional source the server does not offer (404), else the response."""
    if response.status == 404 and response.url in OPTIONAL_SOURCES:
        return None
    return response


def _count_requests(fetched: Fetched, log: SyncLog) -> None:
    """Add request figures to the log."""
    responses = [
        fetched.v1_models,
        fetched.catalog,
        fetched.all_providers,
        fetched.v1_providers,
        *fetched.endpoint_lists.values(),
    ]
    for response in responses:
        if response is None:
            continue
        log.requests += 1
        log.requests_failed += not response.ok
        log.bytes_fetched += response.size


def _log_plan(plan: Plan, log: SyncLog) -> None:
    """Copy the plan's counts and problems into the log."""
    log.counts = plan.counts
    log.failures += plan.refused + plan.held_back
    log.notes += plan.corrupt


def _archive_files(store: Store) -> dict[str, bytes]:
    """Return the housekeeping files the archive needs and lacks (layout doc, attributes)."""
    files: dict[str, bytes] = {}
    readme = layout_readme()
    if store.blob_at("data/README.md") != blob_id(readme):
        files["data/README.md"] = readme
    attributes_blob = store.blob_at(".gitattributes")
    attributes = store.read(attributes_blob) if attributes_blob else b""
    if GITATTRIBUTES_LINE not in attributes.splitlines():
        # Byte-exact files: git must never rewrite line endings in data/.
        separator = b"" if not attributes or attributes.endswith(b"\n") else b"\n"
        files[".gitattributes"] = attributes + separator + GITATTRIBUTES_LINE + b"\n"
    return files


def layout_readme() -> bytes:
    """Return data/README.md as this version of the archiver writes it."""
    return resources.files("archiver").joinpath("archive_readme.md").read_bytes()
