"""What every command shares: error handling, exit codes, common options.

Exit codes: 0 success; 1 the command ran but some data was not archived (the reason is on
stderr; what was fetched is committed); 2 usage error; 3 the command could not run at all
(repository, capture or network setup); 130 and 143 stopped by SIGINT (Ctrl-C) and SIGTERM.
"""

from __future__ import annotations

import functools
import math
import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import pygit2

from archiver.archive.git_setup import (
    holds_archive,
    is_owner_refusal,
    owner_refusal,
    trust_as_git_does,
    work_tree_top,
)
from archiver.errors import DISK_FULL, ArchiverError, UnsafeKeyError
from archiver.paths import Category, key_to_path
from archiver.textsafe import one_line
from archiver.times import parse_time

EXIT_PARTIAL = 1
EXIT_FAILED = 3
# What a shell reports for a process that SIGPIPE ended, as `git log | head` leaves git.
EXIT_READER_GONE = 141
F = TypeVar("F", bound=Callable[..., Any])


class OneLineError(click.ClickException):
    """An error shown as one inert line: its message may quote upstream text."""

    def format_message(self) -> str:
        """Return the message with line breaks, controls and workflow commands escaped."""
        return one_line(self.message)


class PartialFailure(OneLineError):
    """A command that did its work but left some data unarchived."""

    exit_code = EXIT_PARTIAL


class CommandFailed(OneLineError):
    """A command that could not do its work."""

    exit_code = EXIT_FAILED


def reports_errors(command: F) -> F:
    """Turn the library's expected errors into one-line messages and exit code 3."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ArchiverError as error:
            raise CommandFailed(str(error)) from error
        except pygit2.GitError as error:
            if is_owner_refusal(error):
                raise CommandFailed(str(owner_refusal(_named_repository(error)))) from error
            # A ref to a missing object, a lost tree or blob: the library reads what git
            # holds, so a damaged repository surfaces here rather than as a traceback.
            raise CommandFailed(
                f"git cannot read the repository: {error}; check it with `git fsck` and "
                "repair it (or clone it afresh), then run again"
            ) from error
        except BrokenPipeError:
            # The reader went away (`archiver changes | head`): nothing is wrong with the
            # archive, so no error; stdout is pointed at /dev/null so that Python's own
            # flush at exit does not fail on the closed pipe again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(EXIT_READER_GONE) from None
        except sqlite3.Error as error:
            # The history index (.git/archiver/history.sqlite, a copy in a site cache) is
            # derived: a full disk or a read-only .git stops its update, and a traceback said
            # nothing of what to do.
            raise CommandFailed(
                f"the history index (derived data in .git/archiver or the site cache) could "
                f"not be updated ({error}); free disk space or fix that folder's permissions, "
                "then run again"
            ) from error
        except OverflowError as error:
            # Python's dates end at the years 1 and 9999: a reader adding an hour or a week
            # to a time archived or asked for at either end goes past them. An overflow naming
            # a float is an archived number past a double that a reader missed: not a date.
            if "float" in str(error):
                raise CommandFailed(
                    f"an archived number too large to compute with came up ({error}); this is "
                    "a bug in archiver: please report it with the command that raised it"
                ) from error
            raise CommandFailed(
                f"a date outside the years 1 to 9999 came up ({error}): a time asked for or "
                "archived lies at the very end of that range; give a time further from it"
            ) from error
        except OSError as error:
            # The library names paths in its own errors; this net keeps any it missed to
            # one line (a --repo under a file, a full disk) instead of a traceback.
            _drop_unwritable_output()
            where = f": {error.filename}" if error.filename else ""
            full = " (the disk or a size limit is full)" if error.errno in DISK_FULL else ""
            raise CommandFailed(
                f"{error.strerror or error}{full}{where}; check the path, its permissions and "
                "free space, then run again"
            ) from error

    return wrapper  # type: ignore[return-value]


def _drop_unwritable_output() -> None:
    """Point stdout at /dev/null if what it holds cannot be written (`> /dev/full`): Python's
    own flush at exit failed on it again, printed "Exception ignored" and exited 120."""
    if sys.stdout is None:
        return  # Closed at start: reserve_closed_descriptors gave its descriptor /dev/null.
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _named_repository(error: pygit2.GitError) -> str:
    """Return the path libgit2 quotes in its refusal (`repository path '...' is not owned`)."""
    quoted = str(error).split("'")
    return quoted[1] if len(quoted) > 2 else "the repository"


# The commands that create a repository at a --repo that is none (one in an archive's data/
# stands for the archive); the others read the repository git finds from --repo, as git does.
_CREATING = frozenset({"sync", "import"})


def _trusted_repo(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """Return --repo, libgit2 told to trust it if git does (safe.directory, any config); a
    subfolder of a work tree stands for its top, so that the work tree is read where the
    history is (only a folder of an archive's data/, for a command that creates one)."""
    trust_as_git_does(value.resolve())
    creating = ctx.command.name in _CREATING
    top = work_tree_top(value, archive_only=creating)
    if not creating and top != value and not holds_archive(top):
        # A folder inside a person's own project (or home folder under git): the readers
        # wrote their history index into that repository's .git and read it as an archive.
        raise click.BadParameter(
            f"{value} is a folder inside the git repository {top}, which is not an archive "
            "(its HEAD holds no data/README.md); give the archive's folder"
        )
    return top


def repo_option(command: F) -> F:
    """Add --repo PATH (default: the current directory)."""
    return click.option(
        "--repo",
        callback=_trusted_repo,
        # Not file_okay=False: a file there gets the library's one-line error and exit 3.
        type=click.Path(path_type=Path),
        default=Path("."),
        show_default=True,
        help="The archive's git repository.",
    )(command)


def archived_key(category: Category, key: str) -> str:
    """Return a KEY a reader was given; one no entity can be archived under is, like any
    entity the archive lacks, a one-line error (exit 1), not a refusal to write (exit 3)."""
    try:
        key_to_path(category, key)
    except UnsafeKeyError as error:
        raise OneLineError(
            f"no {category} {key!r} in the archive: no entity is archived under such a key "
            f"({error.why})"
        ) from error
    return key


class IsoTime(click.ParamType[datetime]):
    """An ISO 8601 time on the command line."""

    name = "ISO-TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return parse_time(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class Finite(click.FloatRange):
    """A number option in a range that is also finite.

    FloatRange compares, and every comparison with nan is false: `--max-removal-share nan`
    passed as in range and turned the removal guard off (a half-empty catalog removed half
    the archive); `--max-response-mb inf` and `--timeout nan` ended in a traceback.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def max_removal_share_option(command: F) -> F:
    """Add --max-removal-share F (default 0.10): the guard against half-empty listings."""
    return click.option(
        "--max-removal-share",
        type=Finite(0.0, 1.0),
        default=0.10,
        show_default=True,
        help=(
            "Remove nothing from a part (endpoints, models' v1, ...) that would end a sync more "
            "than this share below its largest size of the last 7 days (never under 3)."
        ),
    )(command)
