"""The random-fault soak on the full shared daily captures (issue 11).

For each seed, the three daily sweeps are synced in order with HTTP 500 on a random share
(default 3%) of each sync's endpoint listings, no retries; then every entity file must hold
exactly what a fault-free run holds, or what it held before where every listing that would
hold it failed (tests/soak.py says exactly what is checked). Prints one row per seed.

    python bench/fault_soak.py                    # 10 seeds, 3%
    python bench/fault_soak.py --seeds 20 --rate 0.05
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archiver.capture.files import read_capture  # noqa: E402
from tests.soak import check, random_failures, run, versions_per_file  # noqa: E402

DAILY = ROOT.parent / "shared" / "openrouter" / "captures" / "daily"


def main() -> int:
    """Run the soak; exit 1 if any seed left a noise version."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.03)
    args = parser.parse_args()
    captures = [read_capture(path) for path in sorted(DAILY.glob("*.jsonl.gz"))]
    if not captures:
        print(f"no daily captures under {DAILY}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        clean = run(Path(scratch) / "clean", captures, [set() for _ in captures])
        clean_versions = sum(versions_per_file(clean).values())
        print(
            f"| seed | listings failed per sync | entity versions (clean {clean_versions}) "
            "| files lagging a failed sync | noise versions | seconds |"
        )
        print("|---|---|---|---|---|---|")
        bad = 0
        for seed in range(1, args.seeds + 1):
            started = time.monotonic()
            failing = random_failures(captures, args.rate, seed)
            repo = Path(scratch) / f"seed-{seed}"
            faulty = run(repo, captures, failing)
            noise = check(repo, clean, faulty, captures, failing)
            lagging = sum(
                sum(f.get(p) != c.get(p) for p in f.keys() | c.keys())
                for f, c in zip(faulty, clean, strict=True)
            )
            versions = sum(versions_per_file(faulty).values())
            print(
                f"| {seed} | {', '.join(str(len(f)) for f in failing)} | {versions} | "
                f"{lagging} | {len(noise)} | {time.monotonic() - started:.0f} |",
                flush=True,
            )
            for line in noise[:5]:
                print(f"    {line}", file=sys.stderr)
            bad += bool(noise)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
