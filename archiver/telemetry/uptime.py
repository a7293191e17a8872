"""Hourly uptime per endpoint: windows stitched into one permanent series, and read back.

OpenRouter serves an endpoint's hourly uptime only as a rolling window of about 72 hours;
each sync that fetched some windows merges them here into day files of their own kind::

    data/telemetry/endpoint_uptime/<YYYY>/<MM-DD>/<shard>.tsv

in the grammar of the other telemetry files (a header line, then tab-separated JSON cells),
with one difference: a line is not a change at a sync's epoch but one endpoint's measured
day. Its `epoch` is the day's midnight (UTC), its `key` the endpointId, and the 24 columns
``00`` .. ``23`` hold the uptime of each hour exactly as upstream sent it (a percentage, or
``null`` when upstream had no figure); an empty cell is an hour no window held. Lines are
sorted by key, so each endpoint's day is one line:

- windows overlap (each hour is seen in up to three): a point seen again with the same
  value changes nothing;
- a point revised upstream takes its latest value, and the line changes in place, so the
  git diff of that day's file shows the revision;
- a point missing from a later window is kept (the window moved on; the hour happened).

A day's files all use the same number of shard digits (the first write of a day picks the
fewest that hold the known endpoints at KEYS_PER_SHARD a file, as the other kinds do).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from archiver import jsonvalue
from archiver.canonical import MAX_FILE_BYTES
from archiver.telemetry.codec import dump, key_of, reads_as_time
from archiver.telemetry.layout import (
    SUFFIX,
    TrackedFiles,
    day_files,
    day_folder,
    day_folders,
    digest,
    digits_for,
    epoch_cell,
    folder_text,
    kind_root,
    read_file,
    shard_path,
)
from archiver.telemetry.reader import When, reading, time_bound
from archiver.telemetry.sheet import FIXED_COLUMNS, PARSE_ERRORS, ReadBlob, lines, read_header
from archiver.telemetry.writer import UPTIME_KIND, TelemetryWrites

KIND = UPTIME_KIND
HOURS = tuple(f"{hour:02d}" for hour in range(24))
_HOUR_TEXT = re.compile(r"\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):00:00Z")
# An uptime is a percentage or null: a value far longer is not one, and 24 of them a day for
# every endpoint of a shard must keep its file under MAX_FILE_BYTES.
MAX_CELL_CHARS = 1024
_HEADER = ("\t".join(dump(name) for name in (*FIXED_COLUMNS, *HOURS)) + "\n").encode()

# {key cell: {hour column: cell text}}: one day file's lines.
DayLines = dict[str, dict[str, str]]
# (hour as ISO text "YYYY-MM-DDTHH:00:00Z", uptime as sent): one point of a series.
Point = tuple[str, Any]


@dataclass
class _Merge:
    """What merging windows into the files found: points new, points revised."""

    added: int = 0
    revised: dict[str, int] = field(default_factory=dict)


def uptime_writes(
    windows: Any,
    tracked: Mapping[str, str],
    read: ReadBlob,
    known_endpoints: int,
) -> TelemetryWrites:
    """Return the uptime day files that this sync's windows ({endpointId: {hour: value}}) change.

    `tracked` is {path: blob id} at HEAD, `read` a blob's bytes, `known_endpoints` how many
    endpoints the archive holds (it sizes the shards of a day not written before).
    """
    result = TelemetryWrites()
    files = TrackedFiles(tracked)
    merge = _Merge()
    for day, by_key in sorted(_by_day(windows, result.problems).items()):
        existing = files.shards(KIND, day)
        digits = len(next(iter(existing))) if existing else digits_for(known_endpoints)
        shards: dict[str, DayLines] = {}
        for key_cell, hours in by_key.items():
            shards.setdefault(digest(key_of(key_cell))[:digits], {})[key_cell] = hours
        for shard, points in sorted(shards.items()):
            path = f"{day_folder(KIND, day)}{shard}{SUFFIX}"
            blob = files.blobs[path] if existing.get(shard) == path else None
            _merge_file(path, read(blob) if blob else None, points, merge, result)
    result.samples = merge.added + sum(merge.revised.values())
    if merge.revised:
        count, keys = sum(merge.revised.values()), len(merge.revised)
        example = min(merge.revised)
        result.notes.append(
            f"uptime: {count} hourly point{'s' * (count > 1)} of {keys} endpoint"
            f"{'s' * (keys > 1)} revised upstream, kept at the latest value (e.g. {example!r})"
        )
    return result


def _by_day(windows: Any, problems: list[str]) -> dict[date, DayLines]:
    """Return the windows' points as {day: {key cell: {hour column: cell text}}}.

    A window that is not {hour: value} with whole-hour ISO keys is reported and left out.
    """
    days: dict[date, DayLines] = {}
    for key, window in windows.items() if isinstance(windows, Mapping) else ():
        try:
            points = _window_cells(key, window)
        except (ValueError, TypeError, jsonvalue.EncodeError) as error:
            problems.append(f"uptime window of endpoint {key!r} not written: {error}")
            continue
        for (day, hour), text in points.items():
            days.setdefault(day, {}).setdefault(dump(key), {})[hour] = text
    return days


def _window_cells(key: Any, window: Any) -> dict[tuple[date, str], str]:
    """Return one window's cells by (day, hour column), raising if it is not a window."""
    if not isinstance(key, str) or not key or not isinstance(window, Mapping):
        raise TypeError("expected an endpointId and {hour: uptime}")
    if reads_as_time(key):  # A reader would take its line for a damaged one (codec.key_of).
        raise ValueError("an endpointId that reads as a time cannot be stored")
    cells: dict[tuple[date, str], str] = {}
    for hour, value in window.items():
        if not isinstance(hour, str) or not _HOUR_TEXT.fullmatch(hour):
            raise ValueError(f"{hour!r} is not a whole hour as YYYY-MM-DDTHH:00:00Z")
        text = dump(value)
        if len(text) > MAX_CELL_CHARS:
            raise ValueError(f"the uptime at {hour} is {len(text):,} characters of JSON, not one")
        cells[date.fromisoformat(hour[:10]), hour[11:13]] = text
    return cells


def _merge_file(
    path: str, old: bytes | None, points: DayLines, merge: _Merge, result: TelemetryWrites
) -> None:
    """Merge one day file's new points into its lines; add the file to the writes if changed."""
    try:
        day_lines = parse_day(old) if old is not None else {}
    except PARSE_ERRORS as error:
        result.problems.append(
            f"{path} is not an uptime file the archiver can read ({error}); its windows were "
            f"not written this sync: restore it from history (git checkout <commit> -- {path})"
        )
        return
    changed = False
    for key_cell, hours in points.items():
        line = day_lines.setdefault(key_cell, {})
        for hour, text in hours.items():
            before = line.get(hour)
            if before == text:
                continue
            changed = True
            if before is None:
                merge.added += 1
            else:
                key = key_of(key_cell)
                merge.revised[key] = merge.revised.get(key, 0) + 1
            line[hour] = text
    if not changed:
        return
    data = render_day(_path_day(path), day_lines)
    if len(data) > MAX_FILE_BYTES:
        result.problems.append(
            f"{path} would hold {len(data) / 2**20:,.0f} MiB, more than the "
            f"{MAX_FILE_BYTES // 2**20} MiB a file of the archive may hold; not written"
        )
        return
    result.writes[path] = data


def _path_day(path: str) -> date:
    """Return the UTC day of an uptime file from its path (<kind>/<YYYY>/<MM-DD>/<shard>)."""
    year, month_day = path.split("/")[-3:-1]
    return date(int(year), int(month_day[:2]), int(month_day[3:5]))


def parse_day(data: bytes) -> DayLines:
    """Return an uptime day file's lines, {key cell: {hour column: cell text}}."""
    columns, body = read_header(data)
    if tuple(columns) != HOURS:
        raise ValueError(f"columns are {columns[:3]}..., expected the hours 00 to 23")
    day_lines: DayLines = {}
    for text in lines(body):
        cells = text.split("\t")
        if len(cells) < 2 or len(cells) > 2 + len(HOURS) or cells[1] in day_lines:
            raise ValueError(f"line {text[:60]!r} is not one endpoint's day")
        key_of(cells[1])  # A damaged key cell fails here: its endpoint's day is not lost.
        for cell in cells[2:]:
            if cell:
                jsonvalue.loads(cell)  # A damaged cell fails here, not in a chart.
        day_lines[cells[1]] = {h: c for h, c in zip(HOURS, cells[2:], strict=False) if c}
    return day_lines


def render_day(day: date, day_lines: DayLines) -> bytes:
    """Return an uptime day file: the header, then one line per key, sorted."""
    stamp = epoch_cell(datetime(day.year, day.month, day.day))
    rows = []
    for key_cell in sorted(day_lines):
        hours = day_lines[key_cell]
        cells = [hours.get(hour, "") for hour in HOURS]
        rows.append("\t".join([stamp, key_cell, *cells]).rstrip("\t") + "\n")
    return _HEADER + "".join(rows).encode()


# --- reading ---------------------------------------------------------------------------------


def uptime_series(
    repo_path: str | Path, endpoint_id: str, since: When = None, until: When = None
) -> list[Point]:
    """Return an endpoint's hourly uptime points, oldest first, from since to until (inclusive).

    The bounds are read as endpoint_series reads them (datetimes or ISO text, `2026-07-18`
    its midnight): compared as text, `2026-07-18` left that day's 00:00 out and a datetime
    raised a TypeError.
    """
    since = time_bound(since or None, "since")
    until = time_bound(None if until in ("", "~") else until, "until")
    key_cell = dump(endpoint_id)
    key_digest = digest(endpoint_id)
    points: list[Point] = []
    for folder in day_folders(kind_root(repo_path, KIND), since, until):
        path = shard_path(folder, key_digest)
        if path is None:
            continue
        with reading(path):
            hours = parse_day(read_file(path)).get(key_cell, {})
        points += _points(folder_text(folder), hours, since, until)
    return points


def recent_uptime(repo_path: str | Path, days: int = 30) -> dict[str, list[Point]]:
    """Return {endpointId: points} over the newest `days` UTC days the archive holds."""
    folders = day_folders(kind_root(repo_path, KIND), "", "~")
    if not folders:
        return {}
    since = (date.fromisoformat(folder_text(folders[-1])) - timedelta(days=days - 1)).isoformat()
    return uptime_between(repo_path, since, "~")


def uptime_between(repo_path: str | Path, since: str, until: str) -> dict[str, list[Point]]:
    """Return {endpointId: points, oldest first} between ISO bounds (inclusive; '~': open)."""
    result: dict[str, list[Point]] = {}
    for folder in day_folders(kind_root(repo_path, KIND), since, until):
        for path in day_files(folder):
            with reading(path):
                day_lines = parse_day(read_file(path))
            for key_cell, hours in day_lines.items():
                points = _points(folder_text(folder), hours, since, until)
                if points:
                    result.setdefault(key_of(key_cell), []).extend(points)
    return result


def _points(day: str, hours: Mapping[str, str], since: str, until: str) -> list[Point]:
    """Return one endpoint's points of one day within the bounds, by hour."""
    points: list[Point] = []
    for hour in HOURS:
        if hour in hours:
            when = f"{day}T{hour}:00:00Z"
            if since[:19] <= when[:19] and (until == "~" or when[:19] <= until[:19]):
                points.append((when, jsonvalue.loads(hours[hour])))
    return points


def mean_uptime(points: list[Point], since: str) -> float | None:
    """Return the mean of the hourly figures from `since` on (null hours left out), or None.

    A cell a person edited into text, `true` or a number no double holds is no figure, as the
    site's hourly chart draws none there (taken as one, text stopped the site's build).
    """
    values = [n for when, value in points if when >= since and (n := _figure(value)) is not None]
    return sum(values) / len(values) if values else None


def _figure(value: Any) -> float | None:
    """Return an uptime as a finite float, or None for anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # An integer of 400 digits.
        return None
    return number if math.isfinite(number) else None
