"""What the hourly jobs' checkout downloads and writes, whole against `archiver checkout-recent`.

HEAD keeps every day's telemetry files for good, so a whole checkout of HEAD (what both jobs
made until the thirteenth pass of issue 15) grows with the archive's age; the five-year bench
missed it, its synthetic history holding no telemetry. This bench takes an archive of hourly
syncs at the real rates (`growth_bench.py --keep DIR`: DIR/ours), serves it over file://
with filters allowed as GitHub does, and measures three clones of its HEAD, each in its own
folder: the bytes git receives (the pack it writes) and the bytes of the work tree.

- whole: `git clone --depth 1`, as the jobs did;
- sync job: blob-less, sparse without data/telemetry/, then `archiver checkout-recent
  --days 15`, as .github/workflows/sync.yml's sync job now does;
- site job: the same with `--days 40`.

The archive holds a few days; a year is extrapolated from the telemetry bytes a day adds to
HEAD (raw and in the whole clone's pack), the rest of the tree (entities) taken as it is.
The jobs' sparse clones hold at most their window, whatever the archive's age.

    python bench/growth_bench.py --hours 48 --no-usual --keep /tmp/growth
    python bench/checkout_bench.py /tmp/growth/ours
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

YEAR_DAYS = 365
UPLOAD_PACK = "git -c uploadpack.allowfilter=1 -c uploadpack.allowanysha1inwant=1 upload-pack"
SPARSE = "/*\n!/data/telemetry/\n"
MB = 1e6


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    """Run git in repo and return its output."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout


def received(clone: Path) -> int:
    """Return the bytes of the packs a clone holds (what it received)."""
    return sum(p.stat().st_size for p in (clone / ".git/objects/pack").glob("*.pack"))


def work_tree(clone: Path) -> int:
    """Return the bytes of the files in a clone's work tree."""
    return sum(p.stat().st_size for p in clone.rglob("*") if p.is_file() and ".git" not in p.parts)


def whole(source: Path, target: Path) -> Path:
    """Clone HEAD whole, as the jobs did."""
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{source}", str(target)], check=True
    )
    return target


def sparse(source: Path, target: Path, days: int) -> Path:
    """Clone as the jobs now do: blob-less, sparse, then the newest `days` of telemetry."""
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--filter=blob:none", "--no-checkout",
         "-u", UPLOAD_PACK, f"file://{source}", str(target)],
        check=True,
    )  # fmt: skip
    git(target, "config", "remote.origin.uploadpack", UPLOAD_PACK)
    git(target, "sparse-checkout", "set", "--no-cone", "--stdin", stdin=SPARSE)
    git(target, "checkout", "-q", "HEAD")
    recent = [sys.executable, "-m", "archiver", "checkout-recent", "--repo", str(target)]
    subprocess.run([*recent, "--days", str(days)], check=True, capture_output=True)
    return target


def telemetry_days(repo: Path) -> int:
    """Return how many endpoint telemetry day folders HEAD holds."""
    listing = git(repo, "ls-tree", "-d", "--name-only", "HEAD:data/telemetry/endpoint/2026")
    return len(listing.split())


def main(argv: list[str] | None = None) -> int:
    """Print the clones' bytes, measured and scaled to a year."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path, help="an archive of hourly syncs (growth_bench)")
    args = parser.parse_args(argv)
    source = args.archive.resolve()
    days = telemetry_days(source)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        clones = {
            "whole (the jobs until now)": whole(source, root / "whole"),
            "sync job: checkout-recent --days 15": sparse(source, root / "sync", 15),
            "site job: checkout-recent --days 40": sparse(source, root / "site", 40),
        }
        rows = {name: (received(c), work_tree(c)) for name, c in clones.items()}
        listing = git(clones["whole (the jobs until now)"], "ls-tree", "-r", "-l", "HEAD")
    daily, weekly = 0, 0
    for line in listing.splitlines():
        meta, path = line.split("\t", 1)
        if path.startswith("data/telemetry/model_variant/"):
            weekly += int(meta.split()[3])
        elif path.startswith("data/telemetry/"):
            daily += int(meta.split()[3])
    print(f"archive: {source}, {days} days of hourly telemetry in HEAD")
    print("| clone of HEAD, measured | received MB | work tree MB |")
    print("|---|---|---|")
    for name, (pack, tree) in rows.items():
        print(f"| {name} | {pack / MB:.1f} | {tree / MB:.1f} |")
    pack, tree = rows["whole (the jobs until now)"]
    # A day adds its daily kinds' files, and a seventh of the variants' week (their folder
    # here holds `days` of a week: a lower bound). Packed bytes by the same share.
    raw_day = daily / days + weekly / 7
    pack_day = raw_day * pack / tree
    rest = tree - daily - weekly
    print(
        f"telemetry a day: {raw_day / MB:.2f} MB of files, about {pack_day / MB:.2f} MB packed; "
        f"the rest of HEAD (entities): {rest / MB:.1f} MB"
    )
    print(
        "| extrapolated | whole: received GB | whole: work tree GB "
        "| sync job (15 days): work tree GB | site job (40 days): work tree GB |"
    )
    print("|---|---|---|---|---|")
    for year in (1, 3, 5):
        age = year * YEAR_DAYS
        print(
            f"| year {year} | {(rest * pack / tree + age * pack_day) / 1e9:.2f} | "
            f"{(rest + age * raw_day) / 1e9:.2f} | {(rest + 15 * raw_day) / 1e9:.2f} | "
            f"{(rest + 40 * raw_day) / 1e9:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
