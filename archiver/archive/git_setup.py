"""Opening a repository as git itself would: linked worktrees, owners, split and sparse indexes.

The archiver reads and writes with libgit2 (pygit2) and runs the git CLI beside it, so the
two must agree on what --repo is. Where they differ, git's answer wins:

- a linked worktree (`git worktree add`) has a `.git` file naming its git folder;
- git decides whether a repository another user owns is safe (`safe.directory`, read from
  every config git reads, GIT_CONFIG_GLOBAL included, which libgit2 ignores);
- a split index (`core.splitIndex`) is a format libgit2 cannot read: git joins it;
- a sparse checkout is refused: the sync writes the index from HEAD's tree whole, which
  would drop git's skip-worktree marks and make every file outside the cone read as deleted;
  the site and the export refuse one that leaves out telemetry, which they read from the
  work tree.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pygit2

from archiver.archive.trailers import sync_epoch
from archiver.errors import StoreError
from archiver.paths import holds_archive_files

_NOT_OWNED = "not owned by current user"
# Commits of a person (code updates, edits) may sit on top of an archive's latest sync.
_SYNCS_LOOKED_AT = 50


def open_or_init(root: Path, create: bool, branch: str) -> pygit2.Repository:
    """Open the repository whose work tree (or bare folder) is root, creating it if allowed."""
    found = pygit2.discover_repository(str(root))
    linked = (root / ".git").is_file()  # A linked worktree: .git names its git folder.
    if found is not None and (linked or Path(found).resolve() in (root / ".git", root)):
        try:
            repo = pygit2.Repository(found)
        except pygit2.GitError as error:
            if _NOT_OWNED in str(error):
                raise owner_refusal(root) from error
            raise
        if repo.workdir and Path(repo.workdir).resolve() != root and not linked:
            # core.worktree: git's files are elsewhere, and a sync wrote its own into root
            # once its branch had moved (git status: the sync undone, staged).
            raise StoreError(
                f"the work tree of the repository in {root} is {repo.workdir} (core.worktree); "
                f"the archiver writes only in the folder of its .git: unset it there (git "
                "config --unset core.worktree) or sync into a clone, then run again"
            )
        if not linked or (repo.workdir and Path(repo.workdir).resolve() == root):
            return repo
    if not create:
        raise StoreError(f"{root} is not a git repository; run `archiver sync --repo {root}` first")
    root.mkdir(parents=True, exist_ok=True)
    return pygit2.init_repository(str(root), initial_head=branch)


def work_tree_top(path: Path, *, archive_only: bool = True) -> Path:
    """Return the top of the work tree that path is a folder below, as git finds it from a
    subfolder; else path as given. With archive_only, only below the data/ folder of an
    archive (a branch of sync commits): any other folder may be a new archive's.

    Run from a subfolder of an archive (`cd archive/data/model`), git reads the archive. A
    sync created a second repository there, inside the folder the archive's own syncs own;
    readers took the archive's history but looked for its telemetry under the subfolder.
    """
    resolved = path.resolve()
    if not resolved.is_dir():
        return path
    try:
        found = pygit2.discover_repository(str(resolved))
        repo = pygit2.Repository(found) if found is not None else None
    except pygit2.GitError:
        return path  # Another user's, or damaged: the command's own check says so.
    if repo is None or repo.is_bare or not repo.workdir:
        return path
    top = Path(repo.workdir).resolve()
    if top not in resolved.parents:
        return path
    data = top / "data"
    if archive_only and not ((resolved == data or data in resolved.parents) and _syncs(repo)):
        return path
    return top


def refuse_stranger_folder(path: Path) -> Path:
    """Return the archive a reader was given: a folder of an archive stands for its top;
    raise StoreError for a folder inside another git repository (a project, a home folder
    under git) whose HEAD holds no archive, before anything is written into its .git."""
    top = work_tree_top(path, archive_only=False)
    if top != path and not holds_archive(top):
        raise StoreError(
            f"{path} is a folder inside the git repository {top}, which is not an archive "
            "(its HEAD holds no data/README.md); give the archive's folder"
        )
    return top


def holds_archive(top: Path) -> bool:
    """Tell whether HEAD of the work tree at top holds an archive's data/README.md (every
    sync writes it; a fresh fork of the project carries it) or its telemetry."""
    try:
        repo = pygit2.Repository(str(top))
        tree = None if repo.head_is_unborn else repo.head.peel(pygit2.Commit).tree
    except pygit2.GitError:
        return True  # Damaged or another user's: the reader's own check says so.
    return holds_archive_files(tree)


def _syncs(repo: pygit2.Repository) -> bool:
    """Tell whether one of the newest commits on HEAD's first-parent line is a sync's."""
    commit = None if repo.head_is_unborn else repo.head.peel(pygit2.Commit)
    for _ in range(_SYNCS_LOOKED_AT):
        if commit is None:
            return False
        if sync_epoch(commit) is not None:
            return True
        commit = commit.parents[0] if commit.parents else None
    return False


def owner_refusal(root: Path | str) -> StoreError:
    """Return the refusal of a repository another user owns that git does not trust either."""
    return StoreError(
        f"{root} belongs to another user and git does not trust it (safe.directory); if it "
        f"is yours to use, run `git config --global --add safe.directory {root}` (in a "
        "container: the checked-out workspace), or run as its owner, then run again"
    )


def trust_as_git_does(path: Path) -> None:
    """Let libgit2 open a repository another user owns when git itself trusts it.

    libgit2 reads safe.directory from fewer places than git (not GIT_CONFIG_GLOBAL, not
    `git -c`), so only git is asked; a repository git refuses stays refused.
    """
    if not _owned_by_another(path):
        return
    command = ["git", "-C", str(path), "rev-parse", "--git-dir"]
    try:
        trusted = subprocess.run(command, capture_output=True).returncode == 0
    except OSError:
        return  # No git CLI: libgit2's own check stands.
    if trusted:
        pygit2.option(pygit2.enums.Option.SET_OWNER_VALIDATION, False)


def _owned_by_another(path: Path) -> bool:
    """Tell whether path (or its .git) exists and another user owns it."""
    for candidate in (path / ".git", path):
        try:
            return os.stat(candidate).st_uid != os.geteuid()
        except OSError:
            continue
    return False


def is_owner_refusal(error: Exception) -> bool:
    """Tell whether libgit2 refused a repository for its owner."""
    return _NOT_OWNED in str(error)


def readable_index(repo: pygit2.Repository, root: Path) -> None:
    """Have git write whole a split or sparse index libgit2 cannot read (a sparse checkout's
    skip-worktree marks are read as they are: the store gives git them back after writing
    the index, and its `git sparse-checkout reapply` makes a sparse index sparse again)."""
    try:
        repo.index.read(force=True)
        return
    except pygit2.GitError as error:
        if "extension" not in str(error):
            raise
    # A split index (core.splitIndex) or a sparse one (index.sparse: whole folders a sparse
    # checkout leaves out as one entry): git writes it whole again, the same files.
    command = ["git", "-C", str(root), "-c", "core.splitIndex=false", "-c", "index.sparse=false"]
    command += ["-c", "core.fsmonitor=false", "update-index", "--no-split-index"]
    joined = subprocess.run(command, capture_output=True)
    if joined.returncode != 0:
        reason = joined.stderr.decode(errors="replace").strip()
        raise StoreError(
            f"the git index of {root} uses a format the archiver cannot read ({reason}); "
            "run `git config core.splitIndex false && git update-index --no-split-index`"
        )
    repo.index.read(force=True)


def _config_true(repo: pygit2.Repository, key: str) -> bool:
    """Return a boolean git setting (False when unset or not a boolean)."""
    try:
        return repo.config.get_bool(key)
    except (KeyError, pygit2.GitError, ValueError):
        return False


def refuse_sparse_telemetry(
    root: Path,
    *,
    days: int | None = None,
    since: date | None = None,
    at: date | None = None,
    reader: str = "the site",
    kind: str | None = None,
) -> None:
    """Refuse a sparse checkout that leaves out telemetry a reader reads from the work tree
    (it would show none, and say nothing): the `days` days up to `at` (default: the newest
    telemetry day), or from the folder holding `since`, or all of it when neither is given;
    of one kind's folders when `kind` is given. Older telemetry may be left out (`archiver
    checkout-recent`)."""
    try:
        repo = pygit2.Repository(str(root))
    except pygit2.GitError:
        return  # Not a repository: the reader's own error follows.
    folder = f"data/telemetry/{kind}" if kind else "data/telemetry"
    if repo.is_bare and _head_holds(repo, folder):
        # No work tree at all: the reader found no file and showed no figure, exit 0.
        raise StoreError(
            f"{root} is a bare repository: {reader} reads telemetry from the work tree, and "
            f"it has none; run it in a clone with a work tree (`git clone {root}`)"
        )
    if repo.is_bare or not _config_true(repo, "core.sparseCheckout"):
        return
    command = ["git", "-C", str(root), "ls-files", "-t", "-z", "--", folder]
    listed = subprocess.run(command, capture_output=True).stdout.split(b"\0")
    days_of = [(entry[:2] == b"S ", _folder_day(entry[2:])) for entry in listed if entry]
    newest = at or max((day for _, day in days_of if day is not None), default=None)
    if newest is None:
        return
    if since is not None:
        # A reader starts from the folder holding `since` (a day's, or a week's from Monday).
        first = max((d for _, d in days_of if d is not None and d <= since), default=since)
    else:
        first = newest - timedelta(days=days - 1) if days else date.min
    if any(left_out and day is not None and first <= day <= newest for left_out, day in days_of):
        span = f"{first} to {newest}" if first > date.min else f"up to {newest}"
        raise StoreError(
            f"{root} is a sparse checkout without the telemetry of {span}, which {reader} "
            "reads from the work tree; run `archiver checkout-recent` with more days (or "
            "`git sparse-checkout disable`) there, then run again"
        )


def _head_holds(repo: pygit2.Repository, folder: str) -> bool:
    """Tell whether HEAD's tree holds a folder (False on an unborn or unreadable HEAD)."""
    try:
        repo.head.peel(pygit2.Commit).tree[folder]
    except (pygit2.GitError, KeyError):
        return False
    return True


def _folder_day(path: bytes) -> date | None:
    """Return the day a telemetry file's folder is named by (data/telemetry/K/YYYY/MM-DD/F)."""
    parts = path.split(b"/")
    try:
        return date.fromisoformat(f"{parts[3].decode()}-{parts[4].decode()}")
    except (IndexError, UnicodeDecodeError, ValueError):
        return None


# Who a commit names, in git's order of precedence: its environment for the role, then the
# role's own setting (author.name, committer.email, ...), then user.name and user.email.
_IDENTITY_KEYS = r"^(user|author|committer)\.(name|email)$"
# What git trims from the ends of a name or email, and drops anywhere (ident.c).
_CRUD = "".join(map(chr, range(33))) + ".,:;<>\"\\'"
_DROPPED = str.maketrans("", "", "<>\n")


def identities(
    repo: pygit2.Repository, root: Path, default_name: str, default_email: str
) -> tuple[pygit2.Signature, pygit2.Signature]:
    """Return (author, committer) as git names them, else the defaults given.

    git is asked for the settings (it reads GIT_CONFIG_GLOBAL and `git -c`, which libgit2
    does not); without a git CLI, libgit2's reading of the config stands in.
    """
    settings = _identity_settings(repo, root)
    found = []
    for role in ("author", "committer"):
        variable = f"GIT_{role.upper()}"
        name, email = (
            _as_git_writes(
                os.environ.get(f"{variable}_{part.upper()}")
                or settings.get(f"{role}.{part}")
                or settings.get(f"user.{part}")
                or "",
                default,
            )
            for part, default in (("name", default_name), ("email", default_email))
        )
        found.append(pygit2.Signature(name, email))
    return found[0], found[1]


def _as_git_writes(text: str, default: str) -> str:
    """Return a name or email as git writes it into a commit (its ends trimmed of "crud",
    `<`, `>` and line breaks dropped), or default when nothing is left.

    libgit2 refuses what git trims: `user.email = <me@example.org>` failed every sync once
    it had fetched everything, in words of a full disk.
    """
    return text.strip(_CRUD).translate(_DROPPED) or default


def _identity_settings(repo: pygit2.Repository, root: Path) -> dict[str, str]:
    """Return the identity settings git reads for this repository, by lowercase key."""
    command = ["git", "-C", str(root), "config", "--get-regexp", _IDENTITY_KEYS]
    try:
        listed = subprocess.run(command, capture_output=True)
    except OSError:
        listed = None
    if listed is not None and listed.returncode in (0, 1):  # 1: no such setting
        lines = listed.stdout.decode(errors="replace").splitlines()
        return {key.lower(): value for key, _, value in (line.partition(" ") for line in lines)}
    settings = {}
    for section in ("user", "author", "committer"):
        for part in ("name", "email"):
            with contextlib.suppress(KeyError):
                settings[f"{section}.{part}"] = str(repo.config[f"{section}.{part}"])
    return settings
