"""The export as the assets of a GitHub release, with an export folder that stays small.

A published GitHub Pages site may be no larger than 1 GB, and a year of the export is about
1.3 GB: on Pages it would stop the site's deployment within the first year. The hourly job
caches its export folder between runs, and a cache that held every month would grow with
history, as would each hour's restore and save. So the job publishes the export as release
assets (no limit on their sum; 2 GiB a file, and a month's largest is about 100 MB; a
release a year: archiver.export.github_release) and keeps only the months a rerun may read
back:

- `stage(out, staged)` puts in `staged` each partition of `out` not yet uploaded, named
  `<table>-<YYYY-MM>.parquet` (the manifest, every partition by table and month, goes up
  after the hand-off, once it says what is released: archiver.export.github_release);
- once the upload has succeeded, `hand_off(out, staged)` marks what was staged as released
  in the manifest and removes from `out` the released months before the last two. An hourly
  rerun writes the current month and, for a few days, the one before (an uptime hour revised,
  a week of variants that began in it); a run that must read back an older month finds it
  gone and exports in full (archiver.export.run), which stages everything again;
- `stale(out, assets)` names the release's partitions the export no longer holds (versions
  in force move to the newest month every month; a full export after history was rewritten
  may fill fewer months), for the job to delete.

Nothing is handed off before its upload succeeded: a failed upload leaves the files in `out`
and unmarked, and the next run stages them again.
"""

from __future__ import annotations

import filecmp
import re
from collections.abc import Mapping
from pathlib import Path

from archiver.errors import ArchiverError
from archiver.export.months import previous_month
from archiver.export.plan import (
    MONTH,
    RELEASED,
    TABLE_NAME,
    read_manifest,
    write_manifest,
)
from archiver.export.publish import link_or_copy
from archiver.export.tables import remove_partition

__all__ = ["asset_name", "asset_year", "hand_off", "stage", "stale"]

_ASSET = re.compile(rf"({TABLE_NAME})-({MONTH})\.parquet")


def asset_name(table: str, month: str) -> str:
    """Return a partition's name as a release asset (GitHub keeps letters, digits, - and .)."""
    return f"{table}-{month}.parquet"


def asset_year(name: str) -> str | None:
    """Return the year of a partition's asset (None: not a partition, the manifest)."""
    found = _ASSET.fullmatch(name)
    return found.group(2)[:4] if found else None


def stage(out: Path, staged: Path) -> list[str]:
    """Fill `staged`, a new empty folder, with what the releases lack of the export in `out`;
    return the names."""
    from archiver.export.parquet import partition_path

    manifest = read_manifest(out)
    if manifest is None:
        raise ArchiverError(f"{out} holds no export to stage; run `archiver export` first")
    names = []
    for table, months in sorted(manifest.tables.items()):
        for month, facts in sorted(months.items()):
            if not facts.get(RELEASED):
                name = asset_name(table, month)
                link_or_copy(partition_path(out, table, month), staged / name)
                names.append(name)
    return names


def hand_off(out: Path, staged: Path) -> tuple[int, int]:
    """Mark what `staged` holds of the export as released; remove from `out` the released
    months no hourly rerun reads back. Return (partitions marked, files removed)."""
    from archiver.export.parquet import partition_path

    manifest = read_manifest(out)
    if manifest is None:
        raise ArchiverError(f"{out} holds no export; nothing was handed off")
    marked = removed = 0
    for table, months in manifest.tables.items():
        for month, facts in months.items():
            path, asset = partition_path(out, table, month), staged / asset_name(table, month)
            # Only the bytes that were staged (a rerun since would have replaced them).
            if not facts.get(RELEASED) and _same_file(path, asset):
                facts[RELEASED] = True
                marked += 1
    oldest_kept = previous_month(manifest.current_month)
    for table, months in manifest.tables.items():
        for month, facts in months.items():
            path = partition_path(out, table, month)
            if facts.get(RELEASED) and month < oldest_kept and remove_partition(path):
                removed += 1
    write_manifest(out, manifest)
    return marked, removed


def stale(out: Path, assets: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """Return (release, name) of the assets, given by release, of partitions the export no
    longer lists (other assets, which no stage writes, are left alone)."""
    manifest = read_manifest(out)
    if manifest is None:
        raise ArchiverError(f"{out} holds no export; nothing was compared with the release")
    listed = {asset_name(t, m) for t, months in manifest.tables.items() for m in months}
    return sorted(
        (release, name)
        for release, names in assets.items()
        for name in set(names)
        if _ASSET.fullmatch(name) and name not in listed
    )


def _same_file(path: Path, asset: Path) -> bool:
    """Tell whether a staged asset holds the bytes of the export's partition."""
    try:
        return path.samefile(asset) or filecmp.cmp(path, asset, shallow=False)
    except OSError:
        return False
