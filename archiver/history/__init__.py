"""History: an entity's versions, the archive at any epoch, and classified changes.

Owns reading the archive's past (`versions`), the derived SQLite index that makes it fast
on years of hourly commits (`index`), and what a change means (`classify`).

May import: the shared modules, `archiver.archive` (trailers, the sync log's format) and
itself. Never upstream, telemetry, capture, site or cli.
"""
