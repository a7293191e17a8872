"""The static site: a projection of the archive (HEAD or any epoch) as plain files.

``build_site(repo, out)`` renders the endpoints grid, the models and providers tables, a
page per model, endpoint and provider, the change monitor, Atom feeds, a JSON API and a
status page, with jinja2 templates from the top-level ``templates/`` folder.

May import: the shared modules, `archiver.archive` (the repository, sync records),
`archiver.history` (entities at an epoch, changes) and `archiver.telemetry` (series), and
itself. Never upstream or capture: the site is a projection of the archive alone.
"""

from __future__ import annotations

from archiver.site.build import SiteReport, build_site

__all__ = ["SiteReport", "build_site"]
