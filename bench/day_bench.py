"""A day of hourly syncs at scale, every endpoint's traffic figures moving each hour.

    python bench/day_bench.py [--endpoints 50000] [--hours 24] [--keep FOLDER]

Each hour appends a row per endpoint to the day's telemetry files, so they grow all day
(about 230 MB by 23:00 at 50,000 endpoints): this prints, hour by hour from 00:00, how big
they are and what each sync costs (CPU s, peak memory, the telemetry writer's and the
commit's CPU s), each sync in its own process as the hourly job runs it. The catalog and
the way a sync is run and measured are bench/scale_bench.py's (1% of endpoints changed an
hour besides the traffic; HTTP left out).

To compare two trees, run this file from each at the same time with PYTHONPATH set to it.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import time
from pathlib import Path

# A sibling bench, not a package: found beside this file whatever the current folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=50_000)
    parser.add_argument("--hours", type=int, default=24, help="hourly syncs from 00:00")
    parser.add_argument("--capture", type=Path, default=scale_bench.CAPTURE)
    parser.add_argument("--keep", type=Path, help="build the archive in this new folder")
    args = parser.parse_args()
    chance = random.Random(7)
    fetched, made = scale_bench.synthetic_fetched(args.endpoints, seed=7, template=args.capture)
    print(
        f"day bench: {args.endpoints} endpoints, every endpoint's traffic moving each hour, "
        f"1% changed an hour; hour 00 starts the day's files (and builds the archive)"
    )
    print()
    print("| hour | day's telemetry files MB | CPU s | peak MB | telemetry CPU s | commit CPU s |")
    print("|---|---|---|---|---|---|")
    with contextlib.ExitStack() as cleanup:
        if args.keep:
            args.keep.mkdir(parents=True)
            work = args.keep
        else:
            work = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="day-bench-")))
        repo, bodies = work / "archive", work / "bodies"
        for hour in range(args.hours):
            if hour:
                scale_bench.move_telemetry(made, 1.0, chance)
                scale_bench.change_some(made, 0.01, chance)
                fetched = scale_bench._fetched_again(fetched, made)
            scale_bench.write_bodies(fetched, bodies)
            sync = scale_bench.run_sync("ours", repo, bodies, f"2026-07-20T{hour:02}:00:00Z", None)
            files = (repo / "data" / "telemetry").rglob("*.tsv")
            size = sum(path.stat().st_size for path in files) / 1e6
            telemetry, commit = (sync.phases.get(name, 0.0) for name in ("telemetry", "commit"))
            print(
                f"| {hour:02} | {size:.0f} | {sync.cpu:.2f} | {sync.peak_mb:.0f} "
                f"| {telemetry:.2f} | {commit:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\nbench took {time.perf_counter() - started:.0f}s")
