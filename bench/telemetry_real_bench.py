"""Real endpoint figures against the simulator's: what an hour of endpoint telemetry costs.

The growth benches simulate telemetry because no capture is an hour apart. This bench checks
the simulation against the real thing: it writes the daily captures' endpoint figures (three
real snapshots of every endpoint, a day apart) as three consecutive hourly syncs through the
archive's own `TelemetryWriter`, packs the repository after each (`git repack -adf`, as
GitHub keeps it), and takes the growth per hour after the first. Figures a day apart are
at least as far apart as figures an hour apart (the 1-day windows move less in an hour), so
this is an upper bound for real hourly growth at today's number of endpoints. It then does
the same for the simulator seeded with the same endpoints, and measures each family of
columns (stats, statsByTier, routing and status heuristics) by leaving it out.

    python bench/telemetry_real_bench.py      # needs ../shared's daily captures; ~1 minute
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import telemetry_bench as simulation

from archiver.capture.files import read_capture
from archiver.upstream import fields, sources

START = datetime(2026, 3, 4, 1, tzinfo=UTC)
HOURS_A_YEAR = 8760
Hour = dict[str, dict[str, Any]]
FAMILIES = ("stats", "statsByTier", "routing_heuristics_by_tier", "status_heuristics")


def real_hours(folder: Path) -> list[Hour]:
    """Return each daily capture's endpoint figures, by endpoint id, oldest first."""
    hours: list[Hour] = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        figures: Hour = {}
        for response in read_capture(path).responses:
            if response.url.partition("?")[0] == sources.ENDPOINT_STATS:
                for item in response.body["data"]:
                    split = fields.split_endpoint(item)[1]
                    if split:
                        figures[item["id"]] = split
        hours.append(figures)
    return hours


def simulated_hours(folder: Path, ids: list[str], count: int) -> list[Hour]:
    """Return count hours of the simulator, seeded with the newest capture's endpoints."""
    templates = simulation.load_templates(folder)
    simulator = simulation.Simulator(templates, len(templates.endpoints), 0, 0)
    simulator.ids = ids[: len(templates.endpoints)]
    return [simulator.hour(START + timedelta(hours=h))["endpoint"] for h in range(count)]


def growth_per_hour(hours: list[Hour]) -> float:
    """Return the packed bytes each hour after the first adds, on average."""
    with tempfile.TemporaryDirectory() as workdir:
        archive = simulation.Archive(Path(workdir))
        sizes = []
        for number, figures in enumerate(hours):
            archive.sync({"endpoint": figures, "model": {}}, START + timedelta(hours=number))
            sizes.append(_packed(archive.path))
        return (sizes[-1] - sizes[0]) / (len(sizes) - 1)


def _packed(path: Path) -> int:
    """Repack as GitHub keeps a repository; return the pack's bytes."""
    subprocess.run(["git", "-C", str(path), "repack", "-adfq"], check=True)
    return sum(pack.stat().st_size for pack in (path / ".git/objects/pack").glob("*.pack"))


def without(family: str, hours: list[Hour]) -> list[Hour]:
    """Return the hours with one family of columns left out."""

    # status_heuristics comes in three windows (_5m, none, _1d); the others are one object.
    def keep(name: str) -> bool:
        return name != family and not name.startswith(f"{family}_")

    return [
        {key: {k: v for k, v in figures.items() if keep(k)} for key, figures in hour.items()}
        for hour in hours
    ]


def main() -> int:
    """Print the growth of real and simulated hours, whole and by family."""
    folder = simulation.SHARED / "daily"
    if not folder.is_dir():
        print(f"no daily captures at {folder}: this bench needs ../shared", file=sys.stderr)
        return 2
    real = real_hours(folder)
    simulated = simulated_hours(folder, sorted(real[-1]), len(real))
    print(f"{len(real)} real snapshots of {len(real[-1])} endpoints, and the simulator's")
    print(
        "| columns (a family: what leaving it out saves) | real: packed KB an hour | MB a year",
        end="",
    )
    print(" | simulated: KB an hour | MB a year |")
    print("|---|---|---|---|---|")
    whole = (growth_per_hour(real), growth_per_hour(simulated))
    _row("all", whole)
    for family in FAMILIES:
        left = (growth_per_hour(without(family, real)), growth_per_hour(without(family, simulated)))
        _row(f"`{family}*`", (whole[0] - left[0], whole[1] - left[1]))
    return 0


def _row(label: str, growth: tuple[float, float]) -> None:
    """Print one row: per hour, and a year of hours."""
    cells = [f"{g / 1e3:.1f} | {g * HOURS_A_YEAR / 1e6:.0f}" for g in growth]
    print(f"| {label} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    raise SystemExit(main())
