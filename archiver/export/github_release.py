"""Publishing the export as the assets of GitHub releases, through GitHub's `gh` CLI.

A year's partitions go to the release `TAG-YYYY` (GitHub holds at most 1,000 assets a
release; the export makes about 130 a year), the manifest to `TAG`. What to upload, what to
hand off and what is stale is decided in archiver.export.release; this runs the steps in the
one order that loses nothing:

1. stage the partitions the releases lack in a folder beside the export;
2. upload them, one at a time, replacing assets of the same name (a release is created
   when missing);
3. only then mark them released, removing the old months from the export folder;
4. upload the manifest, which now says what is released: last, so the release's manifest
   never lists a partition its release does not hold yet;
5. delete the assets of partitions the export no longer holds, in every year's release.

A step that fails stops the run with one line, before anything later. What an upload that
failed had uploaded before it is handed off, the rest is staged again by the next run: a
first upload of years of months (hundreds of assets) that meets GitHub's rate limits
resumes where it stopped instead of starting over every hour and never finishing. `gh`
reads its token and repository from the environment the workflow gives it (GH_TOKEN,
GH_REPO).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from archiver.errors import ArchiverError
from archiver.export.plan import MANIFEST
from archiver.export.release import asset_year, hand_off, stage, stale
from archiver.textsafe import one_line

__all__ = ["Published", "publish_release", "release_of"]

RELEASE_NOTES = (
    "The archive as Parquet tables, one asset a table and month (TABLE-YYYY-MM.parquet), in a "
    "release a year (export-YYYY); manifest.json, in the release export, lists them all. "
    "Brought up to date every hour by the sync workflow."
)
# The releases holding a year of partitions: TAG-YYYY.
YEAR_TAG = re.compile(r"-\d{4}")
# A run that never ends (a network that hangs) must not hold the job until its timeout.
GH_TIMEOUT = 600.0


@dataclass
class Published:
    """What one publication did."""

    uploaded: int
    marked: int
    removed: int
    deleted: list[str]


def publish_release(out: Path, tag: str, gh: str = "gh") -> Published:
    """Bring the releases of `tag` up to date with the export in `out` (see the module)."""
    program = shutil.which(gh)
    if program is None:
        raise ArchiverError(
            f"{gh} (GitHub's command-line tool) is not installed; GitHub's runners have it"
        )
    staged = Path(tempfile.mkdtemp(prefix=".release-", dir=out.parent))
    try:
        names = stage(out, staged)
        by_release: dict[str, list[str]] = {}
        for name in names:
            by_release.setdefault(release_of(tag, name), []).append(name)
        # Every release of this export, as it stood before the upload: what may be stale.
        years = [
            t for t in _tags(program) if t.startswith(tag) and YEAR_TAG.fullmatch(t[len(tag) :])
        ]
        assets = {release: _assets(program, release) for release in {*years, *by_release, tag}}
        uploaded, failure = _upload_partitions(program, tag, staged, by_release, assets)
        marked, removed = hand_off(out, staged)
        if failure is not None:
            kept = f" ({len(uploaded)} of {len(names)} partitions uploaded before it, kept)"
            raise ArchiverError(failure + (kept if uploaded else ""))
        shutil.copyfile(out / MANIFEST, staged / MANIFEST)
        if assets[tag] is None:
            _create(program, tag, tag)
        _run(program, "release", "upload", tag, str(staged / MANIFEST), "--clobber")
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    gone = stale(out, {release: held or [] for release, held in assets.items()})
    for release, name in gone:
        _run(program, "release", "delete-asset", release, name, "--yes")
    return Published(len(names) + 1, marked, removed, [name for _, name in gone])


def _upload_partitions(
    program: str,
    tag: str,
    staged: Path,
    by_release: dict[str, list[str]],
    assets: dict[str, list[str] | None],
) -> tuple[list[str], str | None]:
    """Upload the staged partitions to their releases, one at a time; on a failure, stop,
    remove from `staged` what did not get up (so only what did is handed off). Return what
    was uploaded, and why the upload stopped short (None: it did not)."""
    uploaded: list[str] = []
    try:
        for release, files in sorted(by_release.items()):
            if assets[release] is None:
                _create(program, tag, release)
            # A file a call: a call that fails leaves no doubt about which files got up.
            for name in files:
                _run(program, "release", "upload", release, str(staged / name), "--clobber")
                uploaded.append(name)
    except ArchiverError as error:
        done = set(uploaded)
        for names in by_release.values():
            for name in names:
                if name not in done:
                    (staged / name).unlink()
        return uploaded, str(error)
    return uploaded, None


def release_of(tag: str, name: str) -> str:
    """Return the release an asset goes to: a partition to its year's (`export-2026`), the
    manifest to `tag` itself. GitHub holds at most 1,000 assets a release, and the export
    makes about 130 a year (11 tables, 12 months): one release would be full in 8 years."""
    year = asset_year(name)
    return tag if year is None else f"{tag}-{year}"


def _tags(program: str) -> list[str]:
    """Return the tags of the repository's releases."""
    command = [program, "release", "list", "--limit", "1000", "--json", "tagName"]
    result = _call([*command, "--jq", ".[].tagName"])
    if result.returncode != 0:
        raise ArchiverError(_failure(command, result))
    return result.stdout.split()


def _create(program: str, tag: str, release: str) -> None:
    """Create a release of the export (never marked as the repository's latest)."""
    title = "Parquet export" + ("" if release == tag else f", {release.removeprefix(tag + '-')}")
    _run(program, "release", "create", release, "--title", title,
         "--notes", RELEASE_NOTES, "--latest=false")  # fmt: skip


def _assets(program: str, tag: str) -> list[str] | None:
    """Return the names of the release's assets (None: there is no such release)."""
    command = [program, "release", "view", tag, "--json", "assets", "--jq", ".assets[].name"]
    result = _call(command)
    if result.returncode != 0:
        if "not found" in result.stderr.lower():
            return None
        raise ArchiverError(_failure(command, result))
    return result.stdout.split()


def _run(program: str, *args: str) -> None:
    """Run one gh command, raising ArchiverError with its reason in one line if it fails."""
    command = [program, *args]
    result = _call(command)
    if result.returncode != 0:
        raise ArchiverError(_failure(command, result))


def _call(command: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=GH_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise ArchiverError(f"`gh {command[1]} {command[2]}` took over {GH_TIMEOUT:g} s") from None


def _failure(command: list[str], result: subprocess.CompletedProcess[str]) -> str:
    """Return a failed gh command and its last line of output, as one line."""
    said = (result.stderr.strip() or result.stdout.strip()).splitlines()
    reason = one_line(said[-1]) if said else f"exit {result.returncode}"
    return f"`gh {command[1]} {command[2]}` failed ({reason}); the next run tries again"
