"""One sync: fetch every source, build entities, write what changed, one commit."""

from __future__ import annotations

import dataclasses
import numbers
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from archiver.archive.epoch_order import refuse_epoch_out_of_order, refuse_overtaken
from archiver.archive.plan import DEFAULT_MAX_REMOVAL_SHARE, RemovalGuard, make_plan
from archiver.archive.provider_records import provider_records
from archiver.archive.removal_window import RemovalWindow
from archiver.archive.store import Store
from archiver.archive.synclog import SyncLog
from archiver.archive.trailers import latest_sync_trailers
from archiver.archive.unread_parts import read_unread_since, unread_since_text
from archiver.archive.unseen import archived_models, unseen_endpoints
from archiver.archive.zdr_ledger import LEDGER_PATH, ledger_write
from archiver.canonical import blob_id
from archiver.errors import ArchiverError
from archiver.gc_pause import paused_gc
from archiver.telemetry import TelemetryWriter, packer, telemetry_writes
from archiver.times import given_time, hour_epoch
from archiver.upstream import sources
from archiver.upstream.entities import Observed, Observer, Variant, catalog_variants
from archiver.upstream.extra_sources import EXTRA_SOURCES, ExtraSources, fetch_extra_sources
from archiver.upstream.fetch import Fetcher, FetchPolicy, Response
from archiver.upstream.loop import run_to_end
from archiver.upstream.provider_choice import ArchivedProviders
from archiver.upstream.references import archivable
from archiver.upstream.schedule import Schedule
from archiver.upstream.unseen_listings import UnseenEndpoints, fetch_unseen_listings
from archiver.upstream.zdr import ZdrLedger, read_ledger

GITATTRIBUTES_LINE = b"data/** -text"
# Per-variant telemetry sources, by the name their figures are kept under.
VARIANT_TELEMETRY = {
    "effective_pricing": sources.EFFECTIVE_PRICING,
    "model_activity": sources.MODEL_ACTIVITY,
}
# Sources a sync may find missing (HTTP 404) without it being a failure.
OPTIONAL_SOURCES = frozenset(
    {sources.V1_PROVIDERS, sources.ZDR_ENDPOINTS, *VARIANT_TELEMETRY.values(), *EXTRA_SOURCES}
)
EVERY_SOURCE = OPTIONAL_SOURCES | {*sources.LISTINGS.values(), sources.ENDPOINT_STATS}


@dataclass
class SyncOptions:
    """How one sync runs."""

    # Where OpenRouter is: ARCHIVER_BASE_URL when set (as for the command line), else its own.
    base_url: str = field(default_factory=sources.base_url_from_environment)
    epoch: datetime | None = None
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    max_removal_share: float = DEFAULT_MAX_REMOVAL_SHARE
    transport: httpx.AsyncBaseTransport | None = None
    telemetry: bool = True
    # Kept by every sync run with these options (an import of many captures in one process):
    # the telemetry files it parsed and the shapes of figures it found clean.
    telemetry_writer: TelemetryWriter = field(default_factory=TelemetryWriter)
    # Paths whose 404 means "not offered here" (a capture that did not record them), not a failure.
    optional_sources: frozenset[str] = OPTIONAL_SOURCES

    def __post_init__(self) -> None:
        # The guard against half-empty listings: NaN (which --max-removal-share's range let
        # through) compared false with every count and removed all a listing left out.
        share = self.max_removal_share
        if not isinstance(share, numbers.Real) or not 0 <= share <= 1:
            raise ArchiverError(f"max_removal_share {share!r} is not a share from 0 to 1")


@dataclass(frozen=True)
class Upstream:
    """What one sync fetched and observed: archive it once, or again on a moved branch."""

    observed: Observed
    responses: tuple[Response, ...]
    options: SyncOptions
    started: float
    extras: FetchExtras = field(default_factory=lambda: FetchExtras())

    def new_log(self) -> SyncLog:
        """Return a fresh sync log holding this fetch's epoch and request figures."""
        log = SyncLog(epoch=hour_epoch(self.options.epoch), started=self.started)
        log.count_requests(self.responses, self.options.optional_sources)
        return log


@dataclass
class FetchExtras:
    """What a fetch learns besides entities: variants left for later, the ZDR ledger."""

    # Variants whose daily-bucket telemetry was not due this sync (their figures stand).
    unfetched: frozenset[str] = frozenset()
    # The ZDR ledger read this sync (None: the source was not offered).
    zdr: ZdrLedger | None = None
    # Uptime windows and documented listings (archiver.upstream.extra_sources).
    extra: ExtraSources = field(default_factory=ExtraSources)


def fetch_upstream(
    options: SyncOptions,
    on_response: Callable[[Response], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
    unseen: UnseenEndpoints | None = None,
    schedule: Schedule | None = None,
    providers: ArchivedProviders | None = None,
) -> Upstream:
    """Fetch every source once and build the entities.

    unseen, given the archive, names the models whose archived endpoints no listing held:
    their listings are fetched too, so a removal always rests on a listing that shows it.
    schedule picks the variants whose daily-bucket telemetry is due (None: every one);
    providers, the archive's provider records and who carries them (provider_records).
    """
    started = time.monotonic()
    responses: list[Response] = []

    def record(response: Response) -> None:
        # Keep the outcome, not the body: the bodies live on only as entities.
        responses.append(dataclasses.replace(response, data=None))
        if on_response is not None:
            on_response(response)

    # Endpoint figures packed into the writer's leaves as each listing is read: held in a
    # third of their JSON's bytes, and never parsed a second time.
    observer = Observer(pack_figures=packer("endpoint"), archived_providers=providers)
    extras = FetchExtras()
    with paused_gc():
        run_to_end(fetch_sources(options, observer, record, on_planned, unseen, schedule, extras))
        observed = observer.observed()
    # The hour is fixed once the data is in: a push retried past the hour files it in this one.
    options = dataclasses.replace(options, epoch=hour_epoch(options.epoch))
    return Upstream(observed, tuple(responses), options, started, extras)


def sync(
    repo: str | Path,
    options: SyncOptions | None = None,
    on_response: Callable[[Response], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
) -> SyncLog:
    """Sync OpenRouter into the archive at repo; return the sync log (commit_id None: no change)."""
    options = options or SyncOptions()
    if options.epoch is not None:  # Naive: UTC, as hour_epoch reads it; not a TypeError.
        options = dataclasses.replace(options, epoch=given_time(options.epoch, "epoch"))
    store = Store(repo)
    with store.lock("sync"):
        # Every refusal comes before the fetch: at once, not after a minute of fetching.
        recovered = store.recover()
        store.check_ready()
        refuse_epoch_out_of_order(store, options.epoch)
        unseen, schedule = unseen_endpoints(store), upstream_schedule(store, options)
        providers = provider_records(store)
        upstream = fetch_upstream(options, on_response, on_planned, unseen, schedule, providers)
        refuse_overtaken(store, hour_epoch(upstream.options.epoch))
        log = upstream.new_log()
        if recovered:
            log.notes.append(recovered)
        share, writer = options.max_removal_share, options.telemetry_writer
        archive(store, upstream.observed, log, share, writer, upstream=upstream)
    log.seconds = time.monotonic() - log.started
    return log


def archive(
    store: Store,
    observed: Observed,
    log: SyncLog,
    max_removal_share: float,
    telemetry: TelemetryWriter | None = None,
    *,
    upstream: Upstream | None = None,
) -> None:
    """Plan, write and commit what the observed entities and telemetry change; fill in the log.

    upstream, when given, adds what its fetch learned besides entities: the variants not
    fetched this sync (their telemetry stands) and the ZDR ledger.
    """
    with paused_gc():
        extras = upstream.extras if upstream is not None else FetchExtras()
        _archive(store, observed, log, max_removal_share, telemetry, extras)


def _archive(
    store: Store,
    observed: Observed,
    log: SyncLog,
    max_removal_share: float,
    telemetry: TelemetryWriter | None,
    extras: FetchExtras,
) -> None:
    """Do archive()'s work (with the collector paused)."""
    log.failures += observed.problems
    tracked = store.tracked()
    head = store.head
    last = latest_sync_trailers(head)
    window = RemovalWindow.from_trailers(last)
    guard = RemovalGuard(window, log.epoch, read_unread_since(last))
    plan = make_plan(
        observed, tracked, store.read, max_removal_share=max_removal_share, window=guard
    )
    log.counts = plan.counts
    log.failures += plan.refused + plan.held_back
    log.notes += plan.corrupt + plan.waiting
    log.part_peaks = window.recorded(log.epoch, plan.sizes, plan.held_sizes).trailer_value()
    log.unread_since = unread_since_text(plan.unread_since)
    extra = extras.extra.figures(observed, tracked, store.read)
    # What this sync did not see and did not remove keeps its last figures (no gap, no row).
    # A model off the catalog whose v1 part stays unseen (/api/v1/models failed, or its
    # removal was held back) may still be listed: its variant was not asked, as for one listed.
    off_catalog = plan.v1_unseen_kept - observed.parts["model"].get("catalog", {}).keys()
    unfetched = {
        "model_variant": extras.unfetched | observed.variants_failed | off_catalog,
        "endpoint": plan.unseen_kept,
        "model": plan.v1_unseen_kept,
        **extra.unfetched,
    }
    kinds = {**_fetched_telemetry(observed), **extra.kinds}
    figures = telemetry_writes(
        kinds, log.epoch, tracked, store.read, telemetry, unfetched, stage=store.stage
    )
    log.failures += figures.problems + extra.problems
    log.notes += figures.notes + extra.notes
    log.telemetry_samples = figures.samples
    log.telemetry_files = len(figures.writes) + len(figures.staged) + len(figures.removed)
    writes = {**plan.writes, **figures.writes, **_ledger_writes(store, extras.zdr, log)}
    if log.changed:
        writes.update(_archive_files(store))
    staged_bytes = sum(staged.size for staged in figures.staged.values())
    log.bytes_written = sum(map(len, writes.values())) + staged_bytes
    log.files_written = len(writes) + len(figures.staged)
    if not log.changed:
        return
    # The commit message carries the duration: measure it up to the commit.
    log.seconds = time.monotonic() - log.started
    # Planned on `head`: a branch git moved meanwhile is refused, never written over.
    base = str(head.id) if head is not None else None
    result = store.commit(
        writes,
        [*plan.removals, *figures.removed],
        log.message(),
        staged=figures.staged,
        on_top_of=base,
    )
    log.commit_id = result.commit_id if result else None


def _ledger_writes(store: Store, zdr: ZdrLedger | None, log: SyncLog) -> dict[str, bytes]:
    """Return the ZDR ledger file if it changed (nothing when unread, refused or the same)."""
    if zdr is None:
        return {}
    blob = store.blob_at(LEDGER_PATH)
    archived = store.read(blob) if blob else None
    zdr.keep_unlisted(archived)
    data, refusal = ledger_write(zdr, archived)
    log.failures += [refusal] if refusal else []
    log.notes += zdr.notes
    if data is None or (blob is not None and blob_id(data) == blob):
        return {}
    log.ledger_files += 1
    return {LEDGER_PATH: data}


def upstream_schedule(store: Store, options: SyncOptions) -> Schedule:
    """Return which variants' daily-bucket telemetry a sync at options' epoch fetches."""
    # The newest sync's epoch, not HEAD's: a code commit may sit on top of it.
    epoch, known = hour_epoch(options.epoch), archived_models(store)
    return Schedule.between(store.latest_epoch(), epoch, known=known)


def _fetched_telemetry(observed: Observed) -> dict[str, dict[str, Any]]:
    """Return the telemetry kinds whose source was fetched this sync (a kind left out writes
    nothing; a key missing from a kind given records a gap, unless named unfetched)."""
    fetched = {
        "endpoint": any(observed.endpoint_lists_whole.values()),
        "model": observed.whole.get(("model", "v1"), False),
        "model_variant": bool(observed.telemetry.get("model_variant")),
    }
    return {kind: figures for kind, figures in observed.telemetry.items() if fetched.get(kind)}


async def fetch_sources(
    options: SyncOptions,
    observer: Observer,
    on_response: Callable[[Response], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
    unseen: UnseenEndpoints | None = None,
    schedule: Schedule | None = None,
    extras: FetchExtras | None = None,
) -> None:
    """Fetch the listings and the ZDR list, every catalog model's endpoint listing and its
    telemetry when due, then the listings of models without a featured endpoint that still
    have archived ones (archiver.upstream.unseen_listings); put what is not an entity in
    extras.

    Each response goes to the observer as it arrives, so no body outlives its observing.
    """
    extras = extras if extras is not None else FetchExtras()
    fetcher = Fetcher(
        options.base_url,
        options.policy,
        transport=options.transport,
        on_response=on_response,
        on_planned=on_planned,
    )
    offered = _offered(options)
    async with fetcher:
        fetched = await fetcher.get_many([*sources.LISTINGS.values(), sources.ZDR_ENDPOINTS])
        zdr = offered(fetched.pop())
        extras.zdr = read_ledger(zdr) if zdr is not None else None
        listings = dict(zip(sources.LISTINGS, fetched, strict=True))
        observer.listings({name: offered(response) for name, response in listings.items()})
        catalog = listings["catalog"]
        variants = catalog_variants(catalog) if catalog.ok else {}
        endpoint_urls = [
            (k, v.url(sources.ENDPOINT_STATS)) for k, v in variants.items() if v.has_endpoint
        ]
        due, later = (schedule or Schedule.between(None, hour_epoch())).split(variants)
        due, extras.unfetched = (due, frozenset(later)) if options.telemetry else ([], frozenset())
        telemetry_urls = list(_variant_telemetry_urls(variants, due).items())

        def take(position: int, response: Response) -> None:
            if offered(response) is None:
                if position < len(endpoint_urls):
                    observer.endpoint_listing_not_offered(endpoint_urls[position][0])
                else:
                    (key, name), _ = telemetry_urls[position - len(endpoint_urls)]
                    observer.variant_telemetry_not_offered(key, name)
                return
            if position < len(endpoint_urls):
                observer.endpoint_listing(endpoint_urls[position][0], response)
            else:
                (key, name), _ = telemetry_urls[position - len(endpoint_urls)]
                observer.variant_telemetry(key, name, response)

        urls = [url for _, url in endpoint_urls] + [url for _, url in telemetry_urls]
        await fetcher.get_many(urls, take)
        if unseen is not None:
            await fetch_unseen_listings(fetcher, observer, variants, unseen, offered)
        if options.telemetry:
            extras.extra = await fetch_extra_sources(fetcher, observer, schedule, offered)


def _variant_telemetry_urls(
    variants: dict[str, Variant], due: list[str]
) -> dict[tuple[str, str], str]:
    """Return {(modelKey, figure name): URL} of every per-variant source of the variants due;
    none of a key no file can be archived under (never archived, it was due every hour, and
    its figures were skipped every time)."""
    return {
        (key, name): variants[key].url(path)
        for key in due
        if archivable("model", key)
        for name, path in VARIANT_TELEMETRY.items()
    }


def _offered(options: SyncOptions) -> Callable[[Response], Response | None]:
    """Return a filter: None for a 404 from an optional source, else the response."""

    def offered(response: Response) -> Response | None:
        path = sources.source_path(response.url)
        if response.status == 404 and path in options.optional_sources:
            return None
        return response

    return offered


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
