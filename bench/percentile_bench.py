"""How much of the endpoint figures' bytes is the arithmetic of their percentiles, not data.

Upstream's latency and throughput percentiles are interpolated between two samples of a
window, as SQL's `percentile_cont` does: with n samples, p90 lies at position p * (n - 1);
its fraction f picks a point between the samples below (x) and above (x + d), and the value
is x + f * d, computed in doubles. So `4118.600000000004` is 4117 + 0.8 * 2, its trailing
digits fixed by the double arithmetic rather than by anything measured. This bench finds
every figure of the daily captures that is such an interpolation of two integers, taking n
from the `request_count` of the same object (`request_count_5_minutes` for the 5-minute
figures, and so on), and measures what writing it as the pair "x+d" would save, losslessly
(the pair gives back the very double):

- packed: the three real snapshots synced as three hourly syncs through the archive's own
  writer and packed by git (`telemetry_real_bench.growth_per_hour`), as stored and with
  each interpolated figure replaced by its pair (a JSON string, so two quotes more);
- xz: `xz -9e` of the same figures as JSON lines, an estimate of what any general
  compressor can reach on them; last, with the pairs unquoted, as a format of its own
  (not JSON cells) could write them.

    python bench/percentile_bench.py      # needs ../shared's daily captures; ~2 minutes
"""

from __future__ import annotations

import lzma
import math
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

import telemetry_bench as simulation
import telemetry_real_bench as real

PERCENTILE = re.compile(r"p(50|75|90|95|99)_(?:latency|throughput)(_\d+_minutes|_2_hours)?")
# The widest gap between two neighbouring samples searched: a p99 latency's can be minutes.
WIDEST_GAP = 2_000_000
GAPS = np.arange(1, WIDEST_GAP + 1, dtype=np.float64)


def interpolation(value: float, share: float, samples: int) -> tuple[int, int] | None:
    """Return (x, d) with x + f * d == value in doubles, for p = share of `samples`; else None."""
    position = share * (samples - 1)
    fraction = position - math.floor(position)
    if fraction == 0:
        return None
    steps = fraction * GAPS[: int(min(WIDEST_GAP, (abs(value) + 2) / fraction))]
    starts = np.floor(value - steps + 0.5)
    hits = np.flatnonzero(starts + steps == value)
    if not len(hits):
        return None
    return int(starts[hits[0]]), int(hits[0]) + 1


def encoded(figures: Any, counts: Counter[str]) -> Any:
    """Return the figures with every interpolated percentile written as "x+d"."""
    if isinstance(figures, list):
        return [encoded(item, counts) for item in figures]
    if not isinstance(figures, dict):
        return figures
    result: dict[str, Any] = {}
    for name, value in figures.items():
        match = PERCENTILE.fullmatch(name)
        if match is None or isinstance(value, bool) or not isinstance(value, int | float):
            result[name] = encoded(value, counts)
            continue
        if isinstance(value, int) or value.is_integer():
            counts["whole"] += 1
            result[name] = value
            continue
        samples = figures.get(f"request_count{match.group(2) or ''}")
        pair = None
        if isinstance(samples, int) and samples > 1:
            pair = interpolation(value, int(match.group(1)) / 100, samples)
        counts["interpolated" if pair else "not found"] += 1
        result[name] = f"{pair[0]}+{pair[1]}" if pair else value
    return result


def xz_bytes(hours: list[real.Hour], *, bare: bool = False) -> int:
    """Return `xz -9e` of the hours' figures as JSON lines, key by key (bare: pairs unquoted)."""
    text = b"".join(
        orjson.dumps(hour[key], option=orjson.OPT_APPEND_NEWLINE) for hour in hours for key in hour
    )
    if bare:
        text = re.sub(rb'"(-?\d+\+\d+)"', rb"\1", text)
    return len(lzma.compress(text, preset=9 | lzma.PRESET_EXTREME))


def main() -> int:
    """Print how many figures are interpolations, and the bytes with and without them."""
    folder = simulation.SHARED / "daily"
    if not folder.is_dir():
        print(f"no daily captures at {folder}: this bench needs ../shared", file=sys.stderr)
        return 2
    hours = real.real_hours(folder)
    counts: Counter[str] = Counter()
    pairs = [{key: encoded(figures, counts) for key, figures in hour.items()} for hour in hours]
    print(f"{len(hours)} real snapshots of {len(hours[-1])} endpoints")
    print(
        f"percentile figures with a fraction: {counts['interpolated']:,} interpolations found, "
        f"{counts['not found']:,} not (their sample count is not the request count); "
        f"{counts['whole']:,} whole numbers"
    )
    print("| figures | packed KB an hour | MB a year | xz -9e KB an hour | MB a year |")
    print("|---|---|---|---|---|")
    for label, figures in (("as stored", hours), ('interpolations as "x+d"', pairs)):
        packed = real.growth_per_hour(figures)
        xz = (xz_bytes(figures) - xz_bytes(figures[:1])) / (len(figures) - 1)
        cells = [f"{g / 1e3:.1f} | {g * real.HOURS_A_YEAR / 1e6:.0f}" for g in (packed, xz)]
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    # A format of its own could spell a pair without the quotes a JSON cell needs.
    bare = (xz_bytes(pairs, bare=True) - xz_bytes(pairs[:1], bare=True)) / (len(pairs) - 1)
    print(f"| the same, unquoted | | | {bare / 1e3:.1f} | {bare * real.HOURS_A_YEAR / 1e6:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
