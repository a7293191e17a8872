"""History: an entity's versions, the archive at any epoch, and classified changes.

Owns reading the archive's past (`versions`), the derived SQLite index that makes it fast
on years of hourly commits (`index`: kept up to date; `index_database`: its SQLite file
and schema; `index_queries`: what it answers; `commits`: the first-parent chain as git
log reports it, and each commit's epoch; `partial_clone`: `BlobReader`, every read of an
old version's blob, fetching what a blob-less clone lacks in one request), what a change
means (`classify`: its leaves and price moves; `kinds`, `kind_rules`, `price_moves`: the
kinds people read and a one-line summary; `change_json`: the one JSON shape of a sync's
changes), and the price in force at any moment (`pricing`, `price_sheet`: pricing
intervals and what a request cost). `steady` makes a reader's reads (git objects and the
work tree's telemetry) those of one commit while syncs commit.

May import: the shared modules, `archiver.archive` (trailers, the sync log's format) and
itself. Never upstream, telemetry, capture, site or cli.
"""
