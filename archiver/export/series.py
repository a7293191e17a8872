"""Telemetry as tables: every series of every kind, and the stitched hourly uptime.

Read through :mod:`archiver.telemetry`'s readers a folder at a time, as the archive stores
them (a folder holds a day, or a week for variants, up to the next folder): a key's first
row of each folder holds its whole state, as each telemetry file does, so a folder's rows
read on their own and a rerun reads again only the folders whose files changed. Tables:

- ``telemetry_<kind>`` (endpoint, endpoint_documented, model, model_variant, and any kind a
  later version adds): one row per sample (key, epoch, the figures as JSON text: a sample
  holds until the key's next one; ``{}`` is a gap, the key was not observed), and the
  figures people chart as double columns (``p50_latency``, ``uptime_last_1d``...);
- ``uptime``: one row per endpoint and hour (key, hour, uptime in percent; null where
  upstream had no figure).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from archiver import jsonvalue
from archiver.export.columns import DOUBLE, STRING, TIME, Column, dig, number, text
from archiver.telemetry import iter_samples
from archiver.telemetry.layout import KIND_NAME, ROOT, day_folders, folder_text, kind_root
from archiver.telemetry.uptime import KIND as UPTIME_KIND
from archiver.telemetry.uptime import uptime_between
from archiver.times import parse_time

UPTIME_TABLE = "uptime"
UPTIME = [Column("key", STRING), Column("hour", TIME), Column("uptime", DOUBLE)]
_PERCENTILES = ("p50", "p75", "p90", "p95", "p99")
# The figures of each kind people chart, as doubles; every figure is in the `figures` JSON.
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


def telemetry_kinds(repo: Path) -> list[str]:
    """Return the sample kinds the archive's work tree holds (uptime apart)."""
    root = repo / ROOT
    if not root.is_dir():
        return []
    return sorted(
        path.name
        for path in root.iterdir()
        if path.is_dir() and KIND_NAME.fullmatch(path.name) and path.name != UPTIME_KIND
    )


def table_name(kind: str) -> str:
    """Return the table of one telemetry kind (the uptime series has its own)."""
    return UPTIME_TABLE if kind == UPTIME_KIND else f"telemetry_{kind}"


def columns(kind: str) -> list[Column]:
    """Return the columns of one kind's table."""
    if kind == UPTIME_KIND:
        return UPTIME
    lead = [Column("key", STRING), Column("epoch", TIME)]
    return [*lead, *CHARTED.get(kind, []), Column("figures", STRING)]


@dataclass(frozen=True)
class Unit:
    """One folder of a kind's files: the samples from its day until the next folder's day."""

    start: str
    end: str | None  # The next folder's day (exclusive); None for the newest folder.


class Folders:
    """A kind's folders as units, oldest first, and which one holds a day."""

    def __init__(self, units: list[Unit]) -> None:
        self.units = units
        self._starts = [unit.start for unit in units]
        self._found: dict[str, Unit | None] = {}

    def holding(self, day: str) -> Unit | None:
        """Return the unit holding a UTC day (None: before the first folder)."""
        if day not in self._found:
            at = bisect_right(self._starts, day)
            self._found[day] = self.units[at - 1] if at else None
        return self._found[day]


def folders(repo: Path, kind: str) -> Folders:
    """Return a kind's folders as units."""
    starts = [folder_text(f) for f in day_folders(kind_root(repo, kind), "", "~")]
    return Folders([Unit(a, b) for a, b in zip(starts, [*starts[1:], None], strict=True)])


def unit_rows(repo: Path, kind: str, unit: Unit, problems: list[str]) -> list[dict[str, Any]]:
    """Return one kind's rows of one folder."""
    since = f"{unit.start}T00:00:00Z"
    until = None
    if unit.end is not None:
        last = date.fromisoformat(unit.end) - timedelta(days=1)
        until = f"{last.isoformat()}T23:59:59Z"
    if kind == UPTIME_KIND:
        return [
            {"key": text(key), "hour": parse_time(hour), "uptime": number(value)}
            for key, points in uptime_between(repo, since, until or "~").items()
            for hour, value in points
        ]
    charted = CHARTED.get(kind, [])
    found = []
    for key, sample in iter_samples(repo, kind, since, until):
        epoch = sample.pop("epoch")
        row = {"key": text(key), "epoch": _time(epoch), "figures": _figures(sample, problems)}
        for column in charted:
            row[column.name] = number(dig(sample, column.path))
        found.append(row)
    return found


def row_day(kind: str, row: dict[str, Any]) -> str:
    """Return the UTC day a row belongs to."""
    moment: datetime = row["hour"] if kind == UPTIME_KIND else row["epoch"]
    return moment.astimezone(UTC).date().isoformat()


def _time(epoch: str) -> datetime:
    """Return a sample's epoch (ISO text) as a time."""
    return parse_time(epoch)


def _figures(sample: dict[str, Any], problems: list[str]) -> str | None:
    """Return a sample's figures as JSON text (None, with a problem, when JSON cannot hold them)."""
    try:
        return jsonvalue.dumps(sample).decode()
    except (jsonvalue.EncodeError, RecursionError, TypeError) as error:
        problems.append(f"a telemetry sample could not be written as JSON ({error}); left empty")
        return None
