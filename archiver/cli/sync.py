"""`archiver sync`: fetch OpenRouter and commit what changed."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from archiver import sources
from archiver.cli import main
from archiver.cli.common import IsoTime, PartialFailure, repo_option, reports_errors
from archiver.fetch import FetchPolicy, Response
from archiver.synclog import SyncLog


@main.command()
@repo_option
@click.option(
    "--base-url",
    envvar="ARCHIVER_BASE_URL",
    default=sources.DEFAULT_BASE_URL,
    show_default=True,
    help="Where OpenRouter is (env ARCHIVER_BASE_URL); point it at `archiver replay` to test.",
)
@click.option("--epoch", type=IsoTime(), help="Sync hour to record (default: now), for backfills.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--timeout", type=click.FloatRange(0.1), default=30.0, show_default=True)
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    default=3,
    show_default=True,
    help="Further attempts after a failed request, with backoff honouring Retry-After.",
)
@click.option(
    "--max-removal-share",
    type=click.FloatRange(0.0, 1.0),
    default=0.10,
    show_default=True,
    help="Remove nothing from a listing that would lose more than this share at once.",
)
@reports_errors
def sync(
    repo: Path,
    base_url: str,
    epoch: Any,
    concurrency: int,
    timeout: float,
    retries: int,
    max_removal_share: float,
) -> None:
    """Fetch OpenRouter's catalog and commit what changed (one commit, or none).

    \b
    Example:
        archiver sync --repo archive
        ARCHIVER_BASE_URL=http://127.0.0.1:8000 archiver sync --repo archive
    """
    from archiver.sync import SyncOptions
    from archiver.sync import sync as run_sync

    options = SyncOptions(
        base_url=base_url,
        epoch=epoch,
        policy=FetchPolicy(concurrency=concurrency, timeout=timeout, attempts=retries + 1),
        max_removal_share=max_removal_share,
    )
    log = run_sync(repo, options, on_response=_progress())
    print_summary(log)
    if log.failures:
        more = f" (and {len(log.failures) - 1} more)" if len(log.failures) > 1 else ""
        raise PartialFailure(f"sync incomplete: {log.failures[0]}{more}")


def _progress() -> Callable[[Response], None]:
    """Return a response hook: a live counter on a terminal, a line per 250 in logs."""
    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    seen = {"done": 0, "failed": 0}

    def hook(response: Response) -> None:
        seen["done"] += 1
        seen["failed"] += not response.ok
        line = f"fetched {seen['done']} responses ({seen['failed']} failed)"
        if interactive:
            click.echo(f"\r{line}", nl=False, err=True)
        elif seen["done"] % 250 == 0:
            click.echo(line, err=True)

    return hook


def print_summary(log: SyncLog) -> None:
    """Print the one-screen summary of a sync."""
    if sys.stderr.isatty() and not os.environ.get("CI"):
        click.echo(err=True)
    click.echo(log.summary())
    for name, counts in log.counts.items():
        click.echo(
            f"  {name:9} {counts.entities:6} archived  +{counts.added} added  "
            f"~{counts.changed} changed  -{counts.removed} removed"
        )
    click.echo(
        f"  fetched {log.requests_text()} requests, "
        f"{log.bytes_fetched / 1e6:.1f} MB, in {log.seconds:.1f}s"
    )
    if log.commit_id:
        click.echo(f"  wrote {log.files_written} files ({log.bytes_written / 1e3:.0f} kB)")
        click.echo(f"  commit {log.commit_id[:12]}")
    else:
        click.echo("  no change since the last sync: no commit")
    for note in log.notes:
        click.echo(f"  note: {note}")
    for failure in log.failures:
        click.echo(f"  FAILED: {failure}", err=True)
