"""A work tree holding the telemetry of the newest days alone: what the hourly jobs check out.

Telemetry files stay in the tree for good, a folder a day, so HEAD's tree grows by every
day's figures (some 2.6 GB of files a year at today's catalog, 0.7 GB packed): checking out
HEAD whole, the hourly jobs would download and write all of it every hour, and a runner's
disk would fill within a few years. A sync appends to today's files and starts them from
the latest earlier ones; the site charts the last 30 days; so the jobs clone without blobs
(`filter: blob:none`), sparse (everything but data/telemetry/), and `check_out_recent`
adds the folders of the newest days. A file older than that is fetched when it is read
(archiver.archive.partial_clone): a shard that has not changed for weeks, an export's month.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pygit2

from archiver.backoff import while_connection_lost
from archiver.errors import StoreError
from archiver.paths import holds_archive_files
from archiver.telemetry.layout import FILE_DAYS, KIND_NAME, ROOT

# Everything but telemetry, then the telemetry folders of the days kept.
_BASE_PATTERNS = ("/*", f"!/{ROOT}/")
_YEAR, _DAY = re.compile(r"\d{4}"), re.compile(r"\d\d-\d\d")


@dataclass(frozen=True)
class RecentTelemetry:
    """The telemetry days a work tree now holds (None: the archive has no telemetry yet)."""

    first: date | None
    last: date | None
    patterns: tuple[str, ...]


def day_folders_at_head(repo: pygit2.Repository) -> list[tuple[str, date]]:
    """Return (folder path, its first day) of every telemetry folder in HEAD's tree."""
    try:
        telemetry = repo.head.peel(pygit2.Commit).tree[ROOT]
    except (KeyError, pygit2.GitError):
        return []
    folders: list[tuple[str, date]] = []
    # Only names the layout makes (nothing else is read, and a name becomes a pattern line).
    for kind in (k for k in _trees(telemetry) if KIND_NAME.fullmatch(k.name or "")):
        for year in (y for y in _trees(kind) if _YEAR.fullmatch(y.name or "")):
            for day in (d for d in _trees(year) if _DAY.fullmatch(d.name or "")):
                try:
                    start = date.fromisoformat(f"{year.name}-{day.name}")
                except ValueError:
                    continue  # 02-30: not a day, and no reader reads it either.
                folders.append((f"{ROOT}/{kind.name}/{year.name}/{day.name}", start))
    return folders


def _trees(tree: pygit2.Object) -> list[pygit2.Tree]:
    """Return the subtrees of a tree (none for anything else)."""
    return [e for e in tree if isinstance(e, pygit2.Tree)] if isinstance(tree, pygit2.Tree) else []


def check_out_recent(root: Path, days: int) -> RecentTelemetry:
    """Make the work tree a sparse checkout of everything but the telemetry folders that end
    before the newest `days` days of HEAD's telemetry; git checks out (and fetches) the rest."""
    if days < 1:
        raise StoreError("keep at least one day of telemetry")
    found = pygit2.discover_repository(str(root)) if root.is_dir() else None
    if found is None:
        # libgit2's own words ("Repository not found") came out as a damaged repository.
        raise StoreError(f"{root} is not a git repository; clone the archive there first")
    repo = pygit2.Repository(found)
    _refuse_other_work_tree(root, repo)
    folders = day_folders_at_head(repo)
    starts = [start for _, start in folders]
    last = max(starts, default=None)
    # More days than the archive holds (`--days 100000000000000000000`): all of them, from
    # its first day; timedelta could not hold such a count (a "date outside years" error).
    first = last - timedelta(days=min(days - 1, (last - min(starts)).days)) if last else None
    # A folder holds a day, or a week from its Monday (model variants): kept if it reaches
    # into the days kept.
    kept = sorted(
        path
        for path, start in folders
        if first is not None and start + timedelta(days=_days_held(path) - 1) >= first
    )
    patterns = (*_BASE_PATTERNS, *(f"/{path}/" for path in kept))
    _git(root, "sparse-checkout", "set", "--no-cone", "--stdin", stdin="\n".join(patterns))
    return RecentTelemetry(first, last, patterns)


def _refuse_other_work_tree(root: Path, repo: pygit2.Repository) -> None:
    """Refuse a repository that is not an archive's work tree at root: a folder inside a
    person's project (or home folder under git) found that repository, and its work tree
    was switched to a sparse checkout. An archive's HEAD holds data/README.md (every sync
    writes it; a fresh fork of the project carries it) or its telemetry."""
    top = Path(repo.workdir).resolve() if repo.workdir else None
    if top != root.resolve():
        raise StoreError(
            f"{root} is not the top of a git work tree ({top or 'a bare repository'} is the "
            "repository git finds there); give --repo the archive's folder"
        )
    head = None if repo.head_is_unborn else repo.head.peel(pygit2.Commit).tree
    if not holds_archive_files(head):
        raise StoreError(
            f"{root} is not an archive (its HEAD holds no data/README.md); checkout-recent "
            "changes only an archive's work tree: give --repo the archive's folder"
        )


def _days_held(path: str) -> int:
    """Return the days one folder's files hold, by its kind."""
    return FILE_DAYS.get(path.split("/")[2], 1)


def _git(root: Path, *args: str, stdin: str) -> None:
    """Run git in root, raising one line with git's last word if it fails."""
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}

    # git fetches the files it checks out (a blob-less clone): a fetch that lost its
    # connection (GitHub's git service failing a moment) is tried again, as the sync's are;
    # failing at once, the hourly job's step failed and the hour was not synced.
    def attempt() -> tuple[subprocess.CompletedProcess[str], str | None]:
        try:
            result = subprocess.run(
                # A person's core.fsmonitor hook may never return: git looks at the files itself.
                ["git", "-c", "core.fsmonitor=false", "-C", str(root), *args],
                input=stdin,
                capture_output=True,
                text=True,
                env=env,
            )
        except FileNotFoundError:
            raise StoreError("a sparse checkout needs the git command") from None
        return result, result.stderr if result.returncode else None

    result = while_connection_lost(attempt)
    if result.returncode != 0:
        # git's error line names what failed (a lock file); its advice after it does not.
        words = re.findall(r"(?:fatal|error): .*", result.stderr) or result.stderr.split("\n")
        words = [word.strip() for word in words if word.strip()]
        raise StoreError(
            f"git {' '.join(args[:2])} failed in {root}: {words[-1] if words else 'no message'}"
        )
