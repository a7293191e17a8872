"""Where telemetry files live: kinds, UTC day folders, shards and the epoch cell.

Owns the path ``data/telemetry/<kind>/<YYYY>/<MM-DD>/<shard>.tsv``: which names are kinds,
how a key's shard is named (the first hex digits of the SHA-1 of its UTF-8 bytes, as few
digits as put at most KEYS_PER_SHARD keys in a file), how a day's folder is named, finding
those folders and files on disk for the readers (opened as files, never through a link),
and `TrackedFiles`, the writer's index of the files at HEAD. It parses no file's contents.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from archiver.errors import ArchiverError, StoreError
from archiver.times import stamp

# The version of the files' grammar and layout (data/README.md, "Format versions"); the
# readers take every earlier one.
FORMAT = 2
ROOT = "data/telemetry"
SUFFIX = ".tsv"
KINDS = ("endpoint", "model", "model_variant")
KEYS_PER_SHARD = 256
MAX_SHARD_DIGITS = 4
KIND_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Days one file holds, by kind (one when not named). A new file restates each key's whole
# state; variants' daily buckets (a month of daily rows, fetched a few times a day) cost more
# to restate than a week of changes, so their files hold a week, Monday to Sunday (format 2).
FILE_DAYS = {"model_variant": 7}
_A_MONDAY = date(1970, 1, 5)
_DAY = re.compile(r"\d\d-\d\d")
_FILE = re.compile(rf"{ROOT}/([a-z][a-z0-9_]*)/(\d{{4}})/(\d\d)-(\d\d)/([0-9a-f]+)\{SUFFIX}")


def digest(key: str) -> str:
    """Return the hex SHA-1 of a key, whose first digits name its shard."""
    return hashlib.sha1(key.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def digits_for(keys: int) -> int:
    """Return the shard digits that put at most KEYS_PER_SHARD keys in a file, on average."""
    digits = 1
    while keys > KEYS_PER_SHARD * 16**digits and digits < MAX_SHARD_DIGITS:
        digits += 1
    return digits


def first_day(kind: str, day: date) -> date:
    """Return the first day of the file period holding a day (itself, or a week's Monday)."""
    days = FILE_DAYS.get(kind, 1)
    return day - timedelta(days=(day - _A_MONDAY).days % days)


def day_folder(kind: str, day: date) -> str:
    """Return the folder of one kind's files named by a UTC day (see `first_day`)."""
    return f"{ROOT}/{kind}/{day.year:04d}/{day:%m-%d}/"


def utc(epoch: datetime) -> datetime:
    """Return a time in UTC (a naive time is taken as UTC)."""
    return epoch.replace(tzinfo=UTC) if epoch.tzinfo is None else epoch.astimezone(UTC)


def epoch_cell(epoch: datetime) -> str:
    """Return the epoch as its cell: a JSON string, UTC, to the second."""
    return f'"{stamp(epoch, "%Y-%m-%dT%H:%M:%SZ")}"'


# --- on disk, for the readers ---------------------------------------------------------------


def kind_root(repo_path: str | Path, kind: str) -> Path:
    """Return the folder of one kind's telemetry, refusing names that are not kinds."""
    if not KIND_NAME.fullmatch(kind):
        raise ArchiverError(f"unknown telemetry kind {kind!r}; expected one of {', '.join(KINDS)}")
    return Path(repo_path) / ROOT / kind


def archive_top(repo_path: str | Path) -> Path:
    """Return the archive a caller named: the top of the work tree a folder lies at or below
    (as git, `History` and the command line find it); a folder in no work tree as given.

    Given `archive/data` the readers looked for `archive/data/data/telemetry`, and given a
    path that is not there, for nothing: either way no samples, as if none were recorded.
    """
    given = Path(repo_path)
    resolved = given.resolve()
    if not resolved.is_dir():
        raise StoreError(f"{given} is not a git repository; check the path to the archive")
    for folder in (resolved, *resolved.parents):
        if (folder / ".git").exists():  # A folder, or a linked work tree's file.
            return given if folder == resolved else folder
    return given  # A bare repository or a copy of the files: read what is there.


def day_folders(root: Path, start: str, end: str) -> list[Path]:
    """Return a kind's day folders, oldest first, that may hold samples from start to end.

    A folder holds its day and the days up to the next folder (a week's file begins on its
    Monday): the latest folder at or before start may hold start's samples, so it is in.
    """
    folders: list[Path] = []
    if not root.is_dir():
        return folders
    for year in sorted(p for p in root.iterdir() if p.name.isdigit() and len(p.name) == 4):
        for day in sorted(p for p in year.iterdir() if _DAY.fullmatch(p.name)):
            text = f"{year.name}-{day.name}"
            if text <= start[:10]:
                folders[:] = [day]
            elif text <= end[:10]:
                folders.append(day)
    return folders


def day_files(folder: Path) -> list[Path]:
    """Return a day folder's telemetry files, by shard."""
    return sorted(folder.glob(f"*{SUFFIX}"))


def open_file(path: Path) -> BinaryIO:
    """Open a telemetry file of the work tree for reading; raise ValueError for a symbolic
    link or anything but a file.

    A sync writes files only; a link committed in their place (to /dev/zero, a FIFO, a
    file outside the repository) was read without end, till memory ran out, or read as
    the archive's what is not. Non-blocking: opening a FIFO does not wait for a writer.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ValueError("it is a symbolic link, which a sync never writes") from None
        raise
    file = os.fdopen(descriptor, "rb")
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        file.close()
        raise ValueError("it is no regular file (a FIFO, a device?), which a sync never writes")
    return file


def read_file(path: Path) -> bytes:
    """Return the bytes of a telemetry file of the work tree (see open_file)."""
    with open_file(path) as file:
        return file.read()


def folder_day(folder: Path) -> date:
    """Return the UTC day of a day folder (<YYYY>/<MM-DD>)."""
    return date(int(folder.parent.name), int(folder.name[:2]), int(folder.name[3:5]))


def folder_text(folder: Path) -> str:
    """Return the UTC day of a day folder as ISO text (YYYY-MM-DD)."""
    return folder.parent.name + "-" + folder.name


def shard_path(folder: Path, key_digest: str) -> Path | None:
    """Return the file of a day folder that holds the key with this digest, if any."""
    for digits in range(1, MAX_SHARD_DIGITS + 1):
        path = folder / f"{key_digest[:digits]}{SUFFIX}"
        # Whatever has the name is read (and refused when no file): skipped, it read as "no
        # telemetry" for a key whose telemetry is in git.
        if os.path.lexists(path):
            return path
    return None


# --- at HEAD, for the writer ----------------------------------------------------------------


class TrackedFiles:
    """The telemetry files at HEAD: {kind: {day: {shard: path}}}, and their blob ids."""

    def __init__(self, tracked: Mapping[str, str]) -> None:
        self.blobs = tracked
        self.days: dict[str, dict[date, dict[str, str]]] = {}
        for path in tracked:
            match = _FILE.fullmatch(path) if path.startswith(ROOT) else None
            if match:
                kind, year, month, day, shard = match.groups()
                when = date(int(year), int(month), int(day))
                self.days.setdefault(kind, {}).setdefault(when, {})[shard] = path

    def shards(self, kind: str, day: date) -> dict[str, str]:
        """Return {shard: path} of one kind's files of one day."""
        return self.days.get(kind, {}).get(day, {})

    def folder_for(self, kind: str, day: date) -> date:
        """Return the day of the folder a day's telemetry goes to.

        Its period's first day; or, when an archive written in format 1 already has a folder
        of a later day of the period (one a day), the latest of those: time stays in order.
        """
        start = first_day(kind, day)
        return max((d for d in self.days.get(kind, {}) if start <= d <= day), default=start)

    def previous(self, kind: str, day: date, shard: str) -> list[str]:
        """Return the files of the latest day before this one that hold keys of this shard."""
        for when in sorted((d for d in self.days.get(kind, {}) if d < day), reverse=True):
            paths = [
                path
                for name, path in self.days[kind][when].items()
                if name.startswith(shard) or shard.startswith(name)
            ]
            if paths:
                return paths
        return []

    def names(self, kind: str, digits: int) -> set[str]:
        """Return every shard, at this many digits, that any file of this kind ever held."""
        names: set[str] = set()
        for shards in self.days.get(kind, {}).values():
            for name in shards:
                names.update(_covering(name, digits))
        return names


def _covering(name: str, digits: int) -> list[str]:
    """Return the shards of this many digits that hold the keys of shard name."""
    if len(name) >= digits:
        return [name[:digits]]
    return [name + f"{n:0{digits - len(name)}x}" for n in range(16 ** (digits - len(name)))]
