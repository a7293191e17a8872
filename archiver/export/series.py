"""Telemetry as tables: every series of every kind, and the stitched hourly uptime.

Read a folder at a time, as the archive stores them (a folder holds a day, or a week for
variants, up to the next folder): a key's first line in each file holds its whole state, so
a folder's rows read on their own and a rerun reads again only the folders whose files
changed. Tables:

- ``telemetry_<kind>`` (endpoint, endpoint_documented, model, model_variant, and any kind a
  later version adds): one row per line of the archive's files, a key at a sync (key,
  epoch; the row holds until the key's next one). ``changed`` pairs each figure the line
  wrote, by stored column, with its JSON text (``{column: "stats/p50_latency", value: "812"}``),
  ``absent`` lists those it made absent (a gap: all of them), and ``restated`` marks a key's
  first row of each stored file, whose ``changed`` is the key's whole state (what it does
  not name is absent). The figures people chart are double columns (``p50_latency``...) holding
  the key's value at that epoch, carried forward. Read with Arrow (`sheet_columns`): a year
  is tens of millions of rows, too many for a Python object each.
- ``uptime``: one row per endpoint and hour (key, hour, uptime in percent; null where
  upstream had no figure).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from archiver.errors import StoreError
from archiver.export.columns import BOOL, DOUBLE, FIGURES, STRING, STRINGS, TIME, Column
from archiver.export.telemetry_files import TelemetryFiles
from archiver.telemetry.layout import KIND_NAME
from archiver.telemetry.reader import reading
from archiver.telemetry.uptime import KIND as UPTIME_KIND
from archiver.times import is_calendar_day

UPTIME_TABLE = "uptime"
UPTIME = [Column("key", STRING), Column("hour", TIME), Column("uptime", DOUBLE)]
_PERCENTILES = ("p50", "p75", "p90", "p95", "p99")
# The figures of each kind people chart, as doubles; every figure is in `changed`.
CHARTED: dict[str, list[Column]] = {
    "endpoint": [
        Column("status", DOUBLE, ("status",)),
        Column("request_count", DOUBLE, ("stats", "request_count")),
        *[Column(f"{p}_latency", DOUBLE, ("stats", f"{p}_latency")) for p in _PERCENTILES],
        *[Column(f"{p}_throughput", DOUBLE, ("stats", f"{p}_throughput")) for p in _PERCENTILES],
    ],
    "endpoint_documented": [
        Column("status", DOUBLE, ("status",)),
        *[Column(f"uptime_last_{w}", DOUBLE, (f"uptime_last_{w}",)) for w in ("5m", "30m", "1d")],
        *[Column(f"latency_{p}", DOUBLE, ("latency_last_30m", p)) for p in _PERCENTILES],
        *[Column(f"throughput_{p}", DOUBLE, ("throughput_last_30m", p)) for p in _PERCENTILES],
    ],
    "model_variant": [
        Column("weighted_input_price", DOUBLE, ("effective_pricing", "weightedInputPrice")),
        Column("weighted_output_price", DOUBLE, ("effective_pricing", "weightedOutputPrice")),
        Column("weighted_cache_hit_rate", DOUBLE, ("effective_pricing", "weightedCacheHitRate")),
    ],
}


def telemetry_kinds(repo: Path | TelemetryFiles) -> list[str]:
    """Return the sample kinds the archive holds (uptime apart)."""
    return [kind for kind in TelemetryFiles.of(repo).kinds() if kind != UPTIME_KIND]


def table_name(kind: str) -> str:
    """Return the table of one telemetry kind (the uptime series has its own)."""
    return UPTIME_TABLE if kind == UPTIME_KIND else f"telemetry_{kind}"


def kind_of_table(table: str) -> str | None:
    """Return the telemetry kind a table holds (None: the table is not telemetry's)."""
    if table == UPTIME_TABLE:
        return UPTIME_KIND
    kind = table.removeprefix("telemetry_")
    return kind if kind != table and KIND_NAME.fullmatch(kind) else None


def columns(kind: str) -> list[Column]:
    """Return the columns of one kind's table."""
    if kind == UPTIME_KIND:
        return UPTIME
    lead = [Column("key", STRING), Column("epoch", TIME)]
    written = [Column("restated", BOOL), Column("changed", FIGURES), Column("absent", STRINGS)]
    return [*lead, *CHARTED.get(kind, []), *written]


@dataclass(frozen=True)
class Unit:
    """One folder of a kind's files: the samples from its day until the next folder's day."""

    start: str
    end: str | None  # The next folder's day (exclusive); None for the newest folder.


class Folders:
    """A kind's folders as units, oldest first, and which one holds a day; `odd` names the
    folders of a day's shape that no calendar has (left out)."""

    def __init__(self, units: list[Unit], odd: list[str] | None = None) -> None:
        self.units = units
        self.odd = odd or []
        self._starts = [unit.start for unit in units]
        self._found: dict[str, Unit | None] = {}

    def holding(self, day: str) -> Unit | None:
        """Return the unit holding a UTC day (None: before the first folder)."""
        if day not in self._found:
            at = bisect_right(self._starts, day)
            self._found[day] = self.units[at - 1] if at else None
        return self._found[day]


def folders(repo: Path | TelemetryFiles, kind: str) -> Folders:
    """Return a kind's folders as units."""
    found = TelemetryFiles.of(repo).day_starts(kind)
    # No sync writes a folder such as 07-32 or 0000/01-01 (a person's slip): one ended the
    # folder before it at a day that does not exist, and a full export stopped on a traceback.
    starts = [start for start in found if is_calendar_day(start)]
    ends: list[str | None] = [*starts[1:], None] if starts else []
    odd = [start for start in found if start not in starts]
    return Folders([Unit(a, b) for a, b in zip(starts, ends, strict=True)], odd)


def unit_table(repo: Path | TelemetryFiles, kind: str, unit: Unit) -> Any:
    """Return one kind's rows of one folder as an Arrow table, sorted (stably) by key then
    time, the order the export writes them in (None: no rows).

    Raises StoreError naming a file that cannot be read.
    """
    from archiver.export.parquet import schema
    from archiver.export.sheet_columns import Charted, read_sheets
    from archiver.export.uptime_columns import read_uptime_day
    from archiver.telemetry.sheet import PARSE_ERRORS

    since, until = _bounds(unit)
    charted = [Charted(c.name, "/".join(c.path)) for c in CHARTED.get(kind, [])]

    def read(files: list[bytes]) -> Any:
        if kind == UPTIME_KIND:
            points = read_uptime_day(files, unit.start)
            by_key = [("key", "ascending"), ("hour", "ascending")]
            return None if points is None else points.sort_by(by_key)
        return read_sheets(files, charted, since, until)  # Sorted as it is read.

    telemetry = TelemetryFiles.of(repo)
    folder = telemetry.folder(kind, unit.start)
    files = telemetry.files(kind, unit.start)
    try:
        found = read([data for _, data in files])
    except PARSE_ERRORS as error:
        # Read alone, file by file, to name the one that cannot be read.
        for path, data in files:
            with reading(path):
                read([data])
        raise StoreError(f"{folder} could not be read as telemetry ({error})") from None
    if found is None or not found.num_rows:
        return None
    target = schema(columns(kind), wire=True)
    return found if found.schema.equals(target) else found.cast(target)


def _bounds(unit: Unit) -> tuple[str, str | None]:
    """Return the first and last epochs (ISO) a folder's rows may have (None: no end)."""
    until = None
    if unit.end is not None:
        last = date.fromisoformat(unit.end) - timedelta(days=1)
        until = f"{last.isoformat()}T23:59:59Z"
    return f"{unit.start}T00:00:00Z", until


def time_column(kind: str) -> str:
    """Return the column a kind's rows are filed by (and sorted by, after the key)."""
    return "hour" if kind == UPTIME_KIND else "epoch"
