"""`archiver checkout-recent`: a work tree with the newest days of telemetry alone."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.cli import main
from archiver.cli.common import repo_option, reports_errors


@main.command("checkout-recent")
@repo_option
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=40,
    show_default=True,
    help="Days of telemetry to keep in the work tree, counted back from the newest.",
)
@reports_errors
def checkout_recent(repo: Path, days: int) -> None:
    """Keep only the newest DAYS of telemetry in the work tree (a sparse checkout).

    HEAD holds every day's telemetry files for good, so a whole checkout grows with history:
    the hourly jobs clone without blobs (filter: blob:none), leave data/telemetry/ out, and
    run this to check out the days they read (git fetches those files in one request). A
    file older than that is fetched when a command reads it. `git sparse-checkout disable`
    brings back the whole work tree.

    \b
    Example:
        archiver checkout-recent --days 15
    """
    from archiver.telemetry.recent_checkout import check_out_recent

    recent = check_out_recent(repo, days)
    if recent.first is None:
        click.echo("checkout-recent: no telemetry yet; the work tree leaves data/telemetry/ out")
        return
    click.echo(
        f"checkout-recent: telemetry of {recent.first} to {recent.last} checked out "
        f"({days} day{'s' * (days > 1)}); older telemetry left out of the work tree"
    )
