"""`archiver import`: backfill captures as dated syncs."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.archive.synclog import SyncLog
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.cli.common import (
    PartialFailure,
    max_removal_share_option,
    repo_option,
    reports_errors,
)
from archiver.cli.output import finish_whatever_becomes_of_output
from archiver.cli.sync import print_summary
from archiver.textsafe import one_line


@main.command(name="import")
@repo_option
@click.argument(
    "captures",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@max_removal_share_option
@reports_errors
def import_(repo: Path, captures: tuple[Path, ...], max_removal_share: float) -> None:
    """Backfill: import captures as dated syncs, oldest first, one commit each.

    Each capture is served by the replay server and synced like a live sync, with its
    capture time's hour as the epoch. Sources a capture did not record stay untouched.
    A capture older than the archive's latest sync, or dated more than an hour after now,
    is refused (exit 3).

    \b
    Example:
        archiver import --repo archive ../shared/openrouter/captures/v1-models/*.jsonl.gz
    """
    from archiver.backfill import import_captures
    from archiver.sync import SyncOptions

    finish_whatever_becomes_of_output()
    failures: list[str] = []

    def report(capture: Capture, log: SyncLog) -> None:
        # A file name is text too: one line, never a workflow command (`::error::x.gz`).
        click.echo(f"{one_line(capture.path.name) if capture.path else 'capture'}:")
        print_summary(log)
        failures.extend(log.failures)

    options = SyncOptions(max_removal_share=max_removal_share)
    import_captures(repo, captures, options, on_log=report)
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise PartialFailure(f"import incomplete: {failures[0]}{more}")
