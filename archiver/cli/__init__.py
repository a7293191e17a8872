"""The `archiver` command line: a thin layer over the library, one module per command.

Exit codes: 0 success; 1 the command ran but some data was not archived (the reason is on
stderr; what was fetched is committed); 2 usage error; 3 the command could not run at all
(repository, capture or network setup); 130 and 143 stopped by SIGINT (Ctrl-C) and SIGTERM.
"""

from __future__ import annotations

import os
from typing import Any

# The standard library only: what follows takes a second or so to import (click, then the
# commands' pygit2 and httpx), and a Ctrl-C meanwhile ends in one line, not a traceback.
from archiver.cli.signals import interrupted_in_one_line, stopped_cleanly

with interrupted_in_one_line():
    import click

    from archiver.cli.output import (
        escape_unencodable_output,
        reserve_closed_descriptors,
        write_whole_output,
    )

# What git clears before it works in another repository (`git rev-parse --local-env-vars`;
# the `git -c` settings kept): set by a hook or a wrapper, they would send the git commands
# the archiver runs to another repository than --repo, which libgit2 never follows.
REPOSITORY_ENV = (
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE", "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_INTERNAL_SUPER_PREFIX", "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
)  # fmt: skip


class _Commands(click.Group):
    """The command group: every command stopped by Ctrl-C or SIGTERM exits in one line."""

    def invoke(self, ctx: click.Context) -> Any:
        with stopped_cleanly():
            return super().invoke(ctx)


@click.group(cls=_Commands)
@click.version_option(package_name="openrouter-archiver")
def main() -> None:
    """Archive OpenRouter's public catalog, hour by hour, as a git repository."""
    for name in REPOSITORY_ENV:
        os.environ.pop(name, None)
    reserve_closed_descriptors()
    write_whole_output()
    escape_unencodable_output()


# Each command module registers itself on `main` when imported.
with interrupted_in_one_line():
    from archiver.cli import (  # noqa: F401
        checkout,
        export,
        history,
        import_,
        notify,
        pricing,
        replay,
        site,
        sync,
        telemetry,
        update_code,
    )
