"""The first-parent chain as git reports it: commits, the files each one changed, its epoch.

One ``git log --first-parent --raw -z`` reads the changed files of many commits in one
process (pygit2 would diff them one by one); pygit2 answers the small questions: where HEAD
is, the first-parent chain, a merged side's trailers. A commit's epoch is its
``Sync-Epoch`` trailer; a merge without one takes the newest epoch the merged side carries;
any other commit without one (a person's edit) takes its commit time and is
:func:`made_by_hand`: readers leave it out of entity histories (see archiver.history.index).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pygit2

from archiver.archive.trailers import EPOCH_TRAILER, sync_epoch
from archiver.archive.zdr_ledger import LEDGER_PATH
from archiver.errors import StoreError
from archiver.paths import CATEGORIES, ROOT
from archiver.times import parse_time

__all__ = [
    "PATHSPECS",
    "LogCommit",
    "commit_epoch",
    "first_parent_chain",
    "git_log",
    "grafts_digest",
    "head_id",
    "made_by_hand",
    "open_repository",
    "parse_log",
    "shallow_digest",
]

# The entity folders and the ZDR ledger (its changes are told as endpoint changes).
PATHSPECS = (*(f"{ROOT}/{category}/" for category in CATEGORIES), LEDGER_PATH)
ZERO_OID = "0" * 40
_COMMIT_MARK = b"\x1e"
_FIELD_MARK = b"\x1f"
_LOG_FORMAT = (
    f"--format=%x1e%H%x1f%P%x1f%ct%x1f%(trailers:key={EPOCH_TRAILER},valueonly,separator=%x1d)"
)


@dataclass(frozen=True)
class LogCommit:
    """One commit as `git log --raw` reports it: ids, time, epoch trailer, file records."""

    id: str
    parents: tuple[str, ...]
    time: int
    trailer: str
    records: tuple[tuple[str, str | None, str | None, str], ...]


def open_repository(repo_path: str | Path) -> pygit2.Repository:
    """Open the git repository at repo_path (a work tree or a bare repository)."""
    root = Path(repo_path)
    found = pygit2.discover_repository(str(root)) if root.exists() else None
    if found is None:
        raise StoreError(
            f"{root} is not a git repository; run `archiver sync --repo {root}` to create one"
        )
    return pygit2.Repository(found)


def git_log(git_dir: Path, revision: str) -> Iterator[LogCommit]:
    """Yield every first-parent commit of revision, newest first, with its records of the
    entity files (none for a commit that changed none of them)."""
    git = shutil.which("git")
    if git is None:
        raise StoreError("reading history needs the git command; install git (2.31 or later)")
    command = [
        # --encoding: the trailer in the header is UTF-8 whatever i18n.logOutputEncoding says.
        # --no-show-signature: log.showSignature prints a signed commit's verification
        # ("No signature", gpg's lines) into stdout, amid the records parsed here.
        # trailer.separators: without `:` in it git finds no Sync-Epoch trailer, and every
        # sync read as a person's commit (no history at all, exit 0); the sync reads `:`.
        # --full-history --sparse: the commits that change no entity file too. A sync that
        # wrote only telemetry after a person deleted an entity file is the sync that left it
        # deleted: left out, `show --at` its hour read the file from the sync before, and the
        # removal was told at the next sync that changed an entity, hours or days later.
        git, f"--git-dir={git_dir}", "--no-replace-objects", "-c", "trailer.separators=:",
        "log", "--encoding=UTF-8", "--no-show-signature",
        "--first-parent", "--full-history", "--sparse",
        "--diff-merges=first-parent", "--root", "--raw", "-z", "--no-renames", "--no-abbrev",
        "--no-relative", "--no-ext-diff", "--no-color", _LOG_FORMAT, revision, "--", *PATHSPECS,
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        stdout, stderr = process.stdout, process.stderr
        assert stdout is not None and stderr is not None
        yield from parse_log(iter(lambda: stdout.read(1 << 20), b""))
        problem = stderr.read().decode(errors="replace").strip()
    if process.returncode:
        raise StoreError(f"git log failed in {git_dir} (exit {process.returncode}): {problem}")


def parse_log(chunks: Iterator[bytes]) -> Iterator[LogCommit]:
    """Parse `git log --raw -z` output in _LOG_FORMAT, streamed in chunks, into commits."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(_COMMIT_MARK)
        for block in complete:
            if block:
                yield _parse_commit(block)
    if pending:
        yield _parse_commit(pending)


def _parse_commit(block: bytes) -> LogCommit:
    """Parse one commit's header line and raw records."""
    header, _, raw = block.partition(b"\0")
    # A message git could not re-encode comes as its raw bytes: only the trailer may hold them.
    commit_id, parents, time, trailer = header.decode(errors="replace").split(
        _FIELD_MARK.decode(), 3
    )
    tokens = [token.lstrip(b"\n") for token in raw.split(b"\0")]
    records = []
    for meta, path in zip(tokens[0::2], tokens[1::2], strict=False):
        if not meta.startswith(b":"):
            continue
        _, _, old, new, status = meta[1:].decode().split(" ")
        # A path git holds as other bytes than UTF-8 (a file a person committed) is no archive
        # path (those are ASCII); its escapes keep it apart from every other and refused as a key.
        records.append(
            (_status(status), _oid(old), _oid(new), path.decode(errors="backslashreplace"))
        )
    return LogCommit(
        id=commit_id,
        parents=tuple(parents.split()),
        time=int(time),
        # The last of several (`git commit --amend --trailer` adds one below the sync's own),
        # as pygit2 reads it for the sync log, notify and the export: taking the first, the
        # index dated the sync otherwise, and notify found no change at the epoch it asked.
        trailer=trailer.split("\x1d")[-1].strip(),
        records=tuple(records),
    )


def _status(letter: str) -> str:
    """Return A, M or D for a raw status letter (a type change counts as M)."""
    return letter[0] if letter[0] in "AD" else "M"


def _oid(text: str) -> str | None:
    """Return a blob id, or None for git's all-zero id (no blob on that side)."""
    return None if text == ZERO_OID else text


def commit_epoch(repo: pygit2.Repository, commit: LogCommit) -> datetime:
    """Return a commit's epoch: its trailer, else the merged side's newest, else its time."""
    with contextlib.suppress(ValueError):
        if commit.trailer:
            return parse_time(commit.trailer)
    if len(commit.parents) > 1:
        merged = list(_merged_epochs(repo, commit.id, commit.parents[0]))
        if merged:
            return max(merged)
    return datetime.fromtimestamp(commit.time, UTC)


def made_by_hand(repo: pygit2.Repository, commit: LogCommit) -> bool:
    """Tell whether a commit is a person's: no Sync-Epoch, and no sync merged in by it."""
    with contextlib.suppress(ValueError):
        if commit.trailer and parse_time(commit.trailer):
            return False
    return len(commit.parents) < 2 or not any(_merged_epochs(repo, commit.id, commit.parents[0]))


def _merged_epochs(repo: pygit2.Repository, merge: str, first_parent: str) -> Iterator[datetime]:
    """Yield the epochs of the commits a merge brings in from its other parents."""
    walker = repo.walk(merge)
    walker.hide(first_parent)
    for commit in walker:
        epoch = sync_epoch(commit)
        if epoch is not None:
            yield epoch


def first_parent_chain(repo: pygit2.Repository, head: str) -> Iterator[str]:
    """Yield head and its first-parent ancestors, newest first (a shallow root ends it)."""
    commit_id: str | None = head
    while commit_id is not None:
        yield commit_id
        commit = repo.get(commit_id)
        if not isinstance(commit, pygit2.Commit):
            return
        parents = commit.parent_ids
        commit_id = str(parents[0]) if parents else None


def head_id(repo: pygit2.Repository) -> str:
    """Return the commit id HEAD points at, or "" on an unborn branch."""
    if repo.head_is_unborn:
        return ""
    return str(repo.head.peel(pygit2.Commit).id)


def shallow_digest(git_dir: Path) -> str:
    """Return a digest of the shallow boundary and the grafts: either changes history's roots."""
    try:
        boundary = _shallow_file(git_dir).read_bytes()
    except FileNotFoundError:
        boundary = b""
    grafts = grafts_digest(git_dir)
    if not boundary and not grafts:
        return ""
    # Without grafts, the boundary's digest alone, as before grafts were looked at.
    return hashlib.sha1(
        boundary + (f"\0{grafts}".encode() if grafts else b""), usedforsecurity=False
    ).hexdigest()


def grafts_digest(git_dir: Path) -> str:
    """Return a digest of the clone's grafts file ("" without one).

    git and libgit2 both take a commit's parents from ``info/grafts``: editing it rewrites
    history under every commit id, so whatever was derived from history before is stale.
    """
    try:
        grafts = (_common_dir(git_dir) / "info" / "grafts").read_bytes()
    except OSError:
        return ""
    return hashlib.sha1(grafts, usedforsecurity=False).hexdigest()


def is_shallow(repo: pygit2.Repository) -> bool:
    """Tell whether the repository is a shallow clone, from any of its work trees."""
    # libgit2 answers False in a linked worktree of a shallow clone (it looks for `shallow`
    # in the worktree's own git folder), so a build there took the shallow root for the
    # first sync and fetched nothing.
    try:
        return repo.is_shallow or _shallow_file(Path(repo.path)).stat().st_size > 0
    except OSError:
        return False


def _shallow_file(git_dir: Path) -> Path:
    """Return the path of the clone's `shallow` file, shared by all its work trees."""
    return _common_dir(git_dir) / "shallow"


def _common_dir(git_dir: Path) -> Path:
    """Return the git folder all the clone's work trees share (`shallow`, `info/` live there)."""
    # A linked worktree's git folder holds no `shallow` file: the one its `commondir` file
    # names does, for every worktree. Read there, a deepened clone went unnoticed for good.
    common = git_dir / "commondir"
    with contextlib.suppress(OSError):
        git_dir = git_dir / common.read_text().strip()
    return git_dir
