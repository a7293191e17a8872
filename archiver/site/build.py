"""Build the static site: read the projection and history, render every page, write files."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import jinja2

from archiver.archive.git_setup import refuse_sparse_telemetry
from archiver.gc_pause import paused_gc
from archiver.history.pricing import pricing_histories
from archiver.history.steady import read_at_one_commit
from archiver.history.versions import SyncChanges, changes
from archiver.site import pages
from archiver.site.api import api_documents
from archiver.site.card_cache import CardStore
from archiver.site.catalog import build_catalog
from archiver.site.change_index import index_files
from archiver.site.context import Projection, load_projection
from archiver.site.env import environment, templates_dir
from archiver.site.feeds import FeedSpec, atom_feed, site_feeds
from archiver.site.formats import iso
from archiver.site.graveyard import deprecations_page, lifecycle_feeds
from archiver.site.grid_data import GRID_PATH, grid_document
from archiver.site.incremental import build_digest, derived_history
from archiver.site.metrics import DAYS, load_metrics
from archiver.site.out_dir import MARKER, check_out_dir, locked_out_dir, staged
from archiver.site.page_contexts import ApiFile, SiteInfo
from archiver.site.pricing_api import INDEX as PRICING_INDEX
from archiver.site.pricing_api import Calculator, pricing_files
from archiver.site.rows import Catalog
from archiver.site.syncs import SyncRecord
from archiver.site.timeline import Timeline, build_timeline
from archiver.site.vet import vetted
from archiver.times import When, given_time

__all__ = ["SiteReport", "build_site"]

T = TypeVar("T")


@dataclass
class SiteReport:
    """What a build wrote: pages, files, bytes, and how long it took."""

    out_dir: Path
    pages: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    epoch: datetime | None = None
    problems: list[str] = field(default_factory=list)
    # Archived files the site could not show (each left out, the rest built): exit 1.
    skipped: list[str] = field(default_factory=list)
    # Files identical to the previous build's in out_dir: linked, not written again.
    unchanged: int = 0
    # How history was read: in full, or only the commits since the cache's head (and why).
    history: str = ""
    commits_read: int = 0


class _Writer:
    """Writes the site's files into a folder, counting them; a file the previous build wrote
    with the same bytes is linked from there, so an unchanged file is never written again."""

    def __init__(self, root: Path, report: SiteReport, previous: Path | None) -> None:
        self.root = root
        self.report = report
        self.previous = previous

    def write(self, path: str, data: bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if self._link_unchanged(path, data, target):
            self.report.unchanged += 1
        else:
            _named(target, lambda: target.write_bytes(data))
        self.report.files += 1
        self.report.bytes += len(data)
        self.report.pages += path.endswith(".html")

    def _link_unchanged(self, path: str, data: bytes, target: Path) -> bool:
        """Link the previous build's file to target if its bytes are data; tell whether it did."""
        if self.previous is None:
            return False
        old = self.previous / path
        try:
            if old.stat().st_size != len(data) or old.read_bytes() != data:
                return False
            os.link(old, target)
        except OSError:
            return False  # Absent, unreadable, or a file system without links: write it.
        return True

    def render(self, template: jinja2.Template, context: Any) -> None:
        html = template.render(page=context, frame=context.frame)
        self.write(context.frame.path, html.encode())


def build_site(
    repo_path: str | Path,
    out_dir: str | Path,
    *,
    at: When | None = None,
    base_url: str = "/",
    cache: str | Path | None = None,
    built: datetime | None = None,
) -> SiteReport:
    """Build the site of the archive at HEAD (or as of `at`) into out_dir, replacing it.

    cache: a folder keeping what the build derives from history, so that the next build
    at HEAD reads only the commits since (archiver.site.incremental); the pages are the
    same either way. built: the build time the pages show (default: now).
    """
    # Readers below compare times as UTC text: `at` in another zone (+05:30) would bound the
    # uptime it shows by its wall-clock hours, hours off the moment it names.
    # A date or ISO text is read as History reads one (times.given_time).
    at = given_time(at, "at") if at is not None else None
    # History is millions of JSON objects without reference cycles; with the collector on,
    # each of its full passes walks them all: a cost that grew with the length of history.
    with paused_gc(), locked_out_dir(Path(out_dir).resolve()):
        return _build(repo_path, out_dir, at, base_url, cache, built)


def _read_archive(
    repo_path: str | Path, out: Path, at: datetime | None, cache: str | Path | None
) -> tuple[SiteReport, Projection, list[SyncChanges], Timeline, dict[str, Any]]:
    """Return what a build shows, read from the archive: a fresh report (what was read, and
    the problems met), the projection, history's changes, the timeline and the telemetry."""
    report = SiteReport(out)
    groups, unreadable, syncs = _history(repo_path, at, cache, report)
    projection = vetted(load_projection(repo_path, at, report.skipped, syncs), report.skipped)
    _add_once_per_file(report.skipped, unreadable)
    timeline = _timeline(projection, groups, cache if at is None else None, report)
    metrics = load_metrics(repo_path, at, report.problems)
    return report, projection, groups, timeline, metrics


def _build(
    repo_path: str | Path,
    out_dir: str | Path,
    at: datetime | None,
    base_url: str,
    cache: str | Path | None,
    built: datetime | None,
) -> SiteReport:
    """Build the site (see build_site)."""
    started = time.monotonic()
    out = Path(out_dir).resolve()
    check_out_dir(out)
    # The charts' days and uptime's one more (archiver.site.metrics).
    refuse_sparse_telemetry(Path(repo_path), days=DAYS + 1, at=at.date() if at else None)
    read = read_at_one_commit(
        repo_path, lambda: _read_archive(repo_path, out, at, cache), "the site build"
    )
    report, projection, groups, timeline, metrics = read
    catalog = build_catalog(projection, metrics, timeline.last_changes())
    end = projection.epoch or datetime.now(UTC)
    site = SiteInfo(
        epoch=projection.epoch,
        commit=projection.commit,
        built=built or datetime.now(UTC),
        at=at,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        counts={
            "endpoints": len(catalog.endpoints),
            "models": len(catalog.models),
            "providers": len(catalog.providers),
        },
    )
    with staged(out) as staging:
        writer = _Writer(staging, report, out if (out / MARKER).exists() else None)
        pricing_api, calculators, priced = _write_pricing(writer, site, catalog, groups)
        _write_pages(writer, site, catalog, timeline, metrics, end, calculators)
        api_files = [*_write_api(writer, site, catalog, groups, end), pricing_api]
        writer.render(environment().get_template("api.html"), pages.api_page(site, api_files))
        writer.render(
            environment().get_template("status.html"),
            pages.status_page(site, projection.syncs, report.problems),
        )
        _write_feeds(writer, site, catalog, timeline)
        _write_lifecycle(writer, site, projection, catalog, groups, timeline, priced)
        _copy_static(writer)
        writer.write(
            MARKER, b"built by openrouter-archiver; `archiver site` replaces this folder\n"
        )
    report.epoch = projection.epoch
    report.seconds = time.monotonic() - started
    return report


def _history(
    repo_path: str | Path, at: datetime | None, cache: str | Path | None, report: SiteReport
) -> tuple[list[SyncChanges], list[str], list[SyncRecord] | None]:
    """Return history's changes, the changes left out, and the sync log (None: not read yet)."""
    if cache is not None and at is None:
        derived = _named(Path(cache), lambda: derived_history(repo_path, Path(cache)))
        report.history = derived.note
        report.commits_read = derived.commits_read
        return derived.groups, list(derived.problems), derived.syncs
    unreadable: list[str] = []
    groups = changes(repo_path, until=at, problems=unreadable)
    report.history = "history read in full" + (" (--at)" if cache is not None else "")
    return groups, unreadable, None


def _timeline(
    projection: Projection,
    groups: list[SyncChanges],
    cache: str | Path | None,
    report: SiteReport,
) -> Timeline:
    """Return the site's history; with a cache, each change's card parts are kept there."""
    if cache is None:
        return build_timeline(projection, groups)
    cards = CardStore.read(Path(cache), build_digest())
    timeline = build_timeline(projection, groups, cards.parts)
    cards.write(Path(cache), groups)
    report.history += f"; {cards.described} changes described, {cards.reused} kept"
    return timeline


def _add_once_per_file(problems: list[str], more: list[str]) -> None:
    """Add the problems of files not reported yet (each message starts with its path)."""
    seen = {_file_of(problem) for problem in problems}
    for problem in more:
        if _file_of(problem) not in seen:
            seen.add(_file_of(problem))
            problems.append(problem)


def _file_of(problem: str) -> str:
    """Return the path a problem names first."""
    return problem.split(" ", 1)[0].rstrip(":")


def _write_pages(
    writer: _Writer,
    site: SiteInfo,
    catalog: Catalog,
    timeline: Timeline,
    metrics: dict[str, Any],
    end: datetime,
    calculators: Mapping[str, Calculator],
) -> None:
    """Render every HTML page but the API, status and deprecations pages."""
    env = environment()
    writer.render(env.get_template("index.html"), pages.grid_page(site, catalog))
    writer.write(GRID_PATH, grid_document(catalog.endpoints))
    template = env.get_template("endpoints.html")
    for list_context in pages.endpoint_list_pages(site, catalog):
        writer.render(template, list_context)
    writer.render(env.get_template("models.html"), pages.models_page(site, catalog))
    writer.render(env.get_template("providers.html"), pages.providers_page(site, catalog))
    template = env.get_template("model.html")
    for model_context in pages.model_pages(site, catalog, timeline, end, metrics, calculators):
        writer.render(template, model_context)
    template = env.get_template("endpoint.html")
    for endpoint_context in pages.endpoint_pages(site, catalog, timeline, metrics, end):
        writer.render(template, endpoint_context)
    template = env.get_template("provider.html")
    for provider_context in pages.provider_pages(site, catalog, timeline):
        writer.render(template, provider_context)
    template = env.get_template("changes.html")
    for changes_context in pages.changes_pages(site, timeline, end):
        writer.render(template, changes_context)


def _write_api(
    writer: _Writer,
    site: SiteInfo,
    catalog: Catalog,
    groups: list[Any],
    end: datetime,
) -> list[ApiFile]:
    """Write the JSON API files; return what the API page lists."""
    meta = _api_meta(site)
    files = []
    for path, (data, count, what) in api_documents(catalog, groups, meta, site.epoch).items():
        writer.write(path, data)
        files.append(ApiFile(path, what, count, len(data)))
    return files


def _write_feeds(writer: _Writer, site: SiteInfo, catalog: Catalog, timeline: Timeline) -> None:
    """Write the Atom feeds (all changes; per model, provider and kind) and the monitor's index."""
    _write_feed_specs(writer, site, site_feeds(site.name, catalog, timeline), timeline)
    for path, data in index_files(timeline.groups):
        writer.write(path, data)


def _write_feed_specs(
    writer: _Writer, site: SiteInfo, specs: Iterable[FeedSpec], timeline: Timeline
) -> None:
    """Write each feed a spec describes, under the site's base URL; a feed with no entry is
    dated by the archive's first sync (the same every hour, as a feed with entries is)."""
    commits = [group.commit for group in timeline.groups]
    first = timeline.groups[-1].epoch if timeline.groups else site.epoch
    for spec in specs:
        feed = atom_feed(
            path=spec.path,
            title=spec.title,
            subject=spec.subject,
            cards=spec.cards,
            base_url=site.base_url,
            updated=first,
            page=spec.page,
            commits=commits,
        )
        writer.write(spec.path, feed)


def _api_meta(site: SiteInfo) -> dict[str, Any]:
    """Return what every JSON API file says about the build."""
    return {
        "generated_at": iso(site.built),
        "epoch": iso(site.epoch) or None,
        "commit": site.commit,
        "at": iso(site.at) or None,
    }


def _write_pricing(
    writer: _Writer, site: SiteInfo, catalog: Catalog, groups: list[SyncChanges]
) -> tuple[ApiFile, dict[str, Calculator], frozenset[str]]:
    """Write every model's pricing intervals; return their API entry, the calculators and
    the paths written."""
    files, calculators = pricing_files(catalog, groups, pricing_histories(groups), _api_meta(site))
    for path, data in files.items():
        writer.write(path, data)
    what = "index of api/pricing/<modelKey>.json: each model's endpoints' pricing intervals"
    size = sum(len(data) for data in files.values())
    return ApiFile(PRICING_INDEX, what, len(files) - 1, size), calculators, frozenset(files)


def _write_lifecycle(
    writer: _Writer,
    site: SiteInfo,
    projection: Projection,
    catalog: Catalog,
    groups: list[SyncChanges],
    timeline: Timeline,
    priced: frozenset[str],
) -> None:
    """Write the deprecations and graveyard page and its two feeds."""
    page = deprecations_page(site, projection, catalog, groups, priced)
    writer.render(environment().get_template("deprecations.html"), page)
    _write_feed_specs(writer, site, lifecycle_feeds(site.name, page, timeline), timeline)


def _copy_static(writer: _Writer) -> None:
    """Copy the stylesheet and script."""
    for source in sorted((templates_dir() / "static").iterdir()):
        if source.is_file():
            writer.write(f"static/{source.name}", source.read_bytes())


def _named(path: Path, work: Callable[[], T]) -> T:
    """Run work; an operating-system error that names no file names path (a write failing on
    a full disk names none by itself)."""
    try:
        return work()
    except OSError as error:
        if error.filename or not error.errno:
            raise
        raise OSError(error.errno, error.strerror, str(path)) from error
