"""The `archiver` command line: a thin layer over the library, one module per command.

Exit codes: 0 success; 1 the command ran but some data was not archived (the reason is on
stderr; what was fetched is committed); 2 usage error; 3 the command could not run at all
(repository, capture or network setup).
"""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="openrouter-archiver")
def main() -> None:
    """Archive OpenRouter's public catalog, hour by hour, as a git repository."""


# Each command module registers itself on `main` when imported.
from archiver.cli import (  # noqa: E402, F401
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
