"""The `archiver` command line: a thin layer over the library.

Exit codes: 0 success; 1 the command ran but some data was not archived (the reason is on
stderr; what was fetched is committed); 2 usage error; 3 the command could not run at all
(repository, capture or network setup).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from archiver import sources
from archiver.capture import Capture
from archiver.errors import ArchiverError
from archiver.fetch import FetchPolicy, Response
from archiver.synclog import SyncLog, parse_time

EXIT_PARTIAL = 1
EXIT_FAILED = 3
F = TypeVar("F", bound=Callable[..., Any])


class PartialFailure(click.ClickException):
    """A command that did its work but left some data unarchived."""

    exit_code = EXIT_PARTIAL


class CommandFailed(click.ClickException):
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

    return wrapper  # type: ignore[return-value]


def repo_option(command: F) -> F:
    """Add --repo PATH (default: the current directory)."""
    return click.option(
        "--repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="The archive's git repository.",
    )(command)


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


@click.group()
@click.version_option(package_name="openrouter-archiver")
def main() -> None:
    """Archive OpenRouter's public catalog, hour by hour, as a git repository."""


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
    _print_summary(log)
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


def _print_summary(log: SyncLog) -> None:
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


@main.command(name="import")
@repo_option
@click.argument(
    "captures",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--max-removal-share",
    type=click.FloatRange(0.0, 1.0),
    default=0.10,
    show_default=True,
    help="As for sync.",
)
@reports_errors
def import_(repo: Path, captures: tuple[Path, ...], max_removal_share: float) -> None:
    """Backfill: import captures as dated syncs, oldest first, one commit each.

    Each capture is served by the replay server and synced like a live sync, with its
    capture time's hour as the epoch. Sources a capture did not record stay untouched.
    A capture older than the archive's latest sync is refused.

    \b
    Example:
        archiver import --repo archive ../shared/openrouter/captures/v1-models/*.jsonl.gz
    """
    from archiver.backfill import import_captures
    from archiver.sync import SyncOptions

    failures: list[str] = []

    def report(capture: Capture, log: SyncLog) -> None:
        click.echo(f"{capture.path.name if capture.path else 'capture'}:")
        _print_summary(log)
        failures.extend(log.failures)

    options = SyncOptions(max_removal_share=max_removal_share)
    import_captures(repo, captures, options, on_log=report)
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise PartialFailure(f"import incomplete: {failures[0]}{more}")


@main.command()
@click.argument("capture", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="0: any free port.")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="URL[,status=N][,retry-after=S][,delay=S][,body=truncated|html|not-json|empty-data]"
    "[,times=N]; repeatable.",
)
@click.option("--delay", type=click.FloatRange(0.0), default=0.0, help="Seconds added per request.")
@reports_errors
def replay(capture: Path, host: str, port: int, faults: tuple[str, ...], delay: float) -> None:
    """Serve a capture over HTTP at its recorded URLs (prints the base URL first).

    \b
    Example:
        archiver replay captures/daily/2026-07-17T180314Z.jsonl.gz --port 8000
        archiver replay CAPTURE --fault '/api/v1/models,status=503,retry-after=1,times=2'
    """
    from archiver.replay import ReplayServer, parse_fault

    try:
        parsed = [parse_fault(spec) for spec in faults]
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--fault") from error
    server = ReplayServer(capture, host=host, port=port, faults=parsed, delay=delay)
    server.start()
    click.echo(server.base_url)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
