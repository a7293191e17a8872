"""Telemetry: the figures that change every hour, kept as compact time series under
data/telemetry/ so that entity files change only when the entity does.

One tab-separated file per kind, UTC day (a week for ``model_variant``, in its Monday's
folder) and shard, rows appended hour by hour (format 2, `FORMAT`)::

    data/telemetry/<kind>/<YYYY>/<MM-DD>/<shard>.tsv

- ``kind`` is ``endpoint`` (key: endpointId), ``model`` or ``model_variant`` (key: modelKey);
- ``shard`` is the first hex digits of the SHA-1 of the key's UTF-8 bytes; a day's files all
  use the same number of digits, the fewest that put at most 256 keys in one file;
- line 1 names the columns: ``epoch``, ``key``, then one column per leaf of the figures (a
  path through nested objects, segments joined by ``/`` and escaped as in JSON Pointer);
- every further line is one key at one epoch (an empty epoch cell: the epoch of the line
  above, so a sync names its epoch once a file), its figures flattened into cells:
  empty (or missing at the end of the line) = same as this key's previous line in this file
  (absent when there is none); ``-`` = absent; ``{"@": ops}`` = the previous array patched
  (``[start, count]`` copies, ``[value]`` inserts, ``[index, {fields}]`` is an old object
  with these fields changed); anything else = the JSON value as sent.

A line is written only when a key's figures changed, so an hour in which nothing changed
writes nothing. A key that stops being observed gets a line of ``-`` (a gap). The first line
of a key in each file holds its whole state, so each file reads on its own. Appending lines
keeps git's deltas between versions of a file tiny: the packed cost is the data itself.
Format 1 files (every line naming its epoch, variants a file a day) read the same.

The modules, in the order data flows through them: `codec` (a value to a cell and back),
`checks` (what each field should hold), `leaves` (figures to cells, fast for known shapes),
`layout` (paths, shards, day folders), `sheet` (one day file), `writer` (what a sync
appends), `reader` (series read back) and `export` (CSV); `uptime` stitches the hourly
uptime windows into day files of their own (kind ``endpoint_uptime``) and reads them back.

May import: the shared modules and itself. Never upstream, archive, history, capture, site
or cli (it is handed figures and blob readers, not responses or repositories).
"""

from archiver.telemetry.export import csv_cells, csv_columns, to_csv
from archiver.telemetry.layout import FORMAT, KEYS_PER_SHARD, KINDS
from archiver.telemetry.leaves import packer
from archiver.telemetry.reader import (
    CHART_FIELDS,
    Sample,
    endpoint_series,
    iter_samples,
    model_series,
    recent_endpoint_series,
    recent_series,
    series,
)
from archiver.telemetry.uptime import recent_uptime, uptime_series
from archiver.telemetry.writer import TelemetryWriter, TelemetryWrites, telemetry_writes

__all__ = [
    "CHART_FIELDS",
    "FORMAT",
    "KEYS_PER_SHARD",
    "KINDS",
    "Sample",
    "TelemetryWriter",
    "TelemetryWrites",
    "csv_cells",
    "csv_columns",
    "endpoint_series",
    "iter_samples",
    "model_series",
    "packer",
    "recent_endpoint_series",
    "recent_series",
    "recent_uptime",
    "series",
    "telemetry_writes",
    "to_csv",
    "uptime_series",
]
