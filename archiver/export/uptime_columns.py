"""A day folder of the stitched hourly uptime read as columns: one row per endpoint and hour.

An uptime file holds one line per endpoint and measured UTC day, its cells the hours 00 to
23 (archiver.telemetry.uptime). A year is some eleven million points; read here by Arrow, as
`archiver.telemetry.uptime.uptime_between` reads them: a cell left empty is an hour no window
held (no row), `null` an hour upstream had no figure (a row with no uptime).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archiver.export.tsv_columns import check_json, numbers, split_files
from archiver.telemetry.sheet import read_header
from archiver.telemetry.uptime import HOURS


def read_uptime_day(files: Sequence[bytes], day: str) -> pa.Table | None:
    """Return a day folder's points: key, hour (a UTC time), uptime (percent; null: none).

    Raises ValueError when a file is not an uptime day file.
    """
    # Every file, even one with no line (as the archive's reader checks them).
    if any(tuple(read_header(data)[0]) != HOURS for data in files):
        raise ValueError("the columns are not the hours 00 to 23")
    split = split_files(files)
    if split is None:
        return None
    if int(split.widths.max()) > 2 + len(HOURS):
        raise ValueError("a line has more cells than a day has hours")
    pairs = pa.table({"file": split.file_of, "key": split.keys})
    if pairs.group_by(["file", "key"]).aggregate([]).num_rows != pairs.num_rows:
        raise ValueError("an endpoint has two lines in one file")
    filled = (split.place >= 0) & np.asarray(pc.not_equal(pc.binary_length(split.flat), 0))
    cells = split.flat.filter(pa.array(filled))
    check_json(cells)
    midnight = int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())
    hours = pa.array(midnight + split.place[filled] * 3600).cast(pa.timestamp("s", tz="UTC"))
    return pa.table(
        {
            "key": split.keys.take(pa.array(split.line_of[filled])),
            "hour": hours,
            "uptime": numbers(cells),
        }
    )
