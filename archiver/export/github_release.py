"""Publishing the export as the assets of one GitHub release, through GitHub's `gh` CLI.

What to upload, what to hand off and what is stale is decided in archiver.export.release;
this runs the steps in the one order that loses nothing:

1. stage the partitions the release lacks, and the manifest, in a folder beside the export;
2. upload them, replacing assets of the same name (the release is created when missing);
3. only then mark them released, removing the old months from the export folder;
4. delete the assets of partitions the export no longer holds.

A step that fails stops the run with one line, before anything later: an upload that failed
hands nothing off, so the next run stages the same files again. `gh` reads its token and
repository from the environment the workflow gives it (GH_TOKEN, GH_REPO).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from archiver.errors import ArchiverError
from archiver.export.release import hand_off, stage, stale
from archiver.textsafe import one_line

__all__ = ["Published", "publish_release"]

RELEASE_NOTES = (
    "The archive as Parquet tables, one asset per table and month (TABLE-YYYY-MM.parquet); "
    "manifest.json lists them. Replaced every hour by the sync workflow."
)
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
    """Bring the release `tag` up to date with the export in `out` (see the module)."""
    program = shutil.which(gh)
    if program is None:
        raise ArchiverError(
            f"{gh} (GitHub's command-line tool) is not installed; GitHub's runners have it"
        )
    staged = Path(tempfile.mkdtemp(prefix=".release-", dir=out.parent))
    try:
        names = stage(out, staged)
        assets = _assets(program, tag)
        if assets is None:
            _run(program, "release", "create", tag, "--title", "Parquet export",
                 "--notes", RELEASE_NOTES, "--latest=false")  # fmt: skip
            assets = []
        files = [str(staged / name) for name in names]
        _run(program, "release", "upload", tag, *files, "--clobber")
        marked, removed = hand_off(out, staged)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    deleted = stale(out, assets)
    for name in deleted:
        _run(program, "release", "delete-asset", tag, name, "--yes")
    return Published(len(names), marked, removed, deleted)


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
