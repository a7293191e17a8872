"""The static site: a projection of the archive (HEAD or any epoch) as plain files.

``build_site(repo, out)`` renders the endpoints grid (a virtualised view of `grid.json`,
and plain paged tables without JavaScript), the models and providers tables, a page per
model, endpoint and provider (pricing charts, telemetry, a cost calculator), the change
monitor (with a month-sharded change index its filters search), the deprecations page and
graveyard, Atom feeds (all changes, per model, provider and kind), a JSON API (entities,
changes, pricing intervals) and a status page, with jinja2 templates from the top-level
``templates/`` folder. With ``cache=DIR`` it keeps what it derived from history there
(`incremental`, `derived_cache`), so the next build reads only the commits since. A
build reads the archive at one commit (:mod:`archiver.history.steady`) and holds its
output folder's lock (`out_dir`).

May import: the shared modules, `archiver.archive` (the repository, sync records),
`archiver.history` (entities at an epoch, changes) and `archiver.telemetry` (series), and
itself. Never upstream or capture: the site is a projection of the archive alone.
"""

from __future__ import annotations

from archiver.site.build import SiteReport, build_site

__all__ = ["SiteReport", "build_site"]
