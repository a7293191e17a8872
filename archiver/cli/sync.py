"""`archiver sync`: fetch OpenRouter and commit what changed."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from archiver.archive.synclog import SyncLog
from archiver.cli import main
from archiver.cli.common import (
    CommandFailed,
    Finite,
    IsoTime,
    PartialFailure,
    max_removal_share_option,
    repo_option,
    reports_errors,
)
from archiver.cli.output import finish_whatever_becomes_of_output
from archiver.textsafe import one_line
from archiver.upstream import sources
from archiver.upstream.fetch import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    MB,
    FetchPolicy,
    Response,
)


@main.command()
@repo_option
@click.option(
    "--base-url",
    envvar="ARCHIVER_BASE_URL",
    default=sources.DEFAULT_BASE_URL,
    show_default=True,
    help="Where OpenRouter is (env ARCHIVER_BASE_URL); point it at `archiver replay` to test.",
)
@click.option(
    "--epoch",
    type=IsoTime(),
    help="Sync hour to record (default: now), for backfills; one before the latest sync or "
    "over an hour ahead of now is refused (exit 3).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Requests in flight at once.",
)
@click.option(
    "--timeout",
    type=Finite(0.1),
    default=30.0,
    show_default=True,
    help="Seconds per request.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    default=3,
    show_default=True,
    help="Further attempts after a failed request, with backoff honouring Retry-After.",
)
@click.option(
    "--deadline",
    type=Finite(1.0),
    default=DEFAULT_DEADLINE,
    show_default=True,
    help="Seconds after which nothing more is fetched: the sync commits what it has, exit 1.",
)
@click.option(
    "--max-response-mb",
    type=Finite(0.001),
    default=DEFAULT_MAX_RESPONSE_BYTES / MB,
    show_default=True,
    help="A response bigger than this once decompressed is dropped, not archived.",
)
@max_removal_share_option
@click.option(
    "--push", is_flag=True, help="Push the commit; if the remote moved, re-apply and retry."
)
@click.option("--remote", default="origin", show_default=True, help="Where --push pushes.")
@click.option(
    "--keepalive-days",
    type=Finite(1.0),
    help="With --push: after this many days without a change, commit the sync log anyway "
    "(GitHub disables schedules after 60 days without activity).",
)
@click.option(
    "--summary-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="GITHUB_STEP_SUMMARY",
    help="Append a Markdown summary here (env GITHUB_STEP_SUMMARY, as in GitHub Actions).",
)
@reports_errors
def sync(
    repo: Path,
    base_url: str,
    epoch: Any,
    concurrency: int,
    timeout: float,
    retries: int,
    deadline: float,
    max_response_mb: float,
    max_removal_share: float,
    push: bool,
    remote: str,
    keepalive_days: float | None,
    summary_file: Path | None,
) -> None:
    """Fetch OpenRouter's catalog and commit what changed (one commit, or none).

    \b
    Example:
        archiver sync --repo archive
        ARCHIVER_BASE_URL=http://127.0.0.1:8000 archiver sync --repo archive
        archiver sync --push --keepalive-days 50    # what the hourly workflow runs
    """
    from archiver.sync import SyncOptions
    from archiver.sync import sync as run_sync

    if keepalive_days is not None and not push:
        raise click.UsageError("--keepalive-days needs --push")
    # The summary file is written after the summary is shown, whatever becomes of the output.
    finish_whatever_becomes_of_output()
    _check_summary_file(summary_file)

    options = SyncOptions(
        base_url=base_url,
        epoch=epoch,
        policy=FetchPolicy(
            concurrency=concurrency,
            timeout=timeout,
            attempts=retries + 1,
            max_response_bytes=int(max_response_mb * MB),
            deadline=deadline,
        ),
        max_removal_share=max_removal_share,
    )
    progress = Progress()
    if push:
        log = _sync_and_push(repo, options, remote, keepalive_days, summary_file, progress)
    else:
        log = run_sync(repo, options, progress.fetched, progress.planned)
        progress.finish()
        print_summary(log, base_url)
        _append_summary(summary_file, log)
    if log.failures:
        more = f" (and {len(log.failures) - 1} more)" if len(log.failures) > 1 else ""
        reason = f"sync incomplete: {one_line(log.failures[0])}{more}"
        if os.environ.get("GITHUB_ACTIONS") == "true":
            from archiver.publish import error_annotation

            click.echo(error_annotation(reason))
        raise PartialFailure(reason)


def _sync_and_push(
    repo: Path,
    options: Any,
    remote: str,
    keepalive_days: float | None,
    summary_file: Path | None,
    progress: Progress,
) -> SyncLog:
    """Sync and push (the push happens before any partial failure is reported)."""
    from archiver.archive.remote import rev
    from archiver.errors import ArchiverError
    from archiver.publish import PublishError, summary_markdown, sync_and_push

    try:
        result = sync_and_push(
            repo,
            options,
            remote=remote,
            keepalive_days=keepalive_days,
            on_response=progress.fetched,
        )
    except ArchiverError as error:
        progress.finish()
        if isinstance(error, PublishError) and error.log is not None:
            print_summary(error.log, options.base_url)
            _write_summary(summary_file, summary_markdown(error.log, error=str(error)))
        # Nothing this run committed was pushed: no sync after the local HEAD is its own.
        # Without a `base` the notify step fell back to GITHUB_SHA and posted the refused
        # commit's changes (every hour again while a rule refused the pushes), and a queued
        # run's fast-forward the run before had posted already.
        with contextlib.suppress(ArchiverError):  # Keep the error that stopped the run.
            _write_step_output(rev(repo, "HEAD"))
        raise
    progress.finish()
    print_summary(result.log, options.base_url)
    if result.commit_id:
        click.echo(f"  pushed {result.commit_id[:12]} to {remote} in {result.rounds} round(s)")
    # The base first: a summary that cannot be written must not leave notify without it.
    _write_step_output(result.base)
    _write_summary(summary_file, summary_markdown(result.log, result=result))
    return result.log


def _write_step_output(base: str | None) -> None:
    """Give the workflow's later steps the remote head this sync was applied on (`base`).

    A run queued behind another starts from the commit it was queued at (GITHUB_SHA), older
    than what the run before pushed; `notify --after GITHUB_SHA` posted that run's syncs a
    second time. After `base`, the branch holds this run's syncs alone.
    """
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as output:
            output.write(f"base={base or ''}\n")


def _append_summary(path: Path | None, log: SyncLog) -> None:
    """Append the Markdown summary of a plain sync, when asked for one."""
    if path is not None:
        from archiver.publish import summary_markdown

        _write_summary(path, summary_markdown(log))


def _check_summary_file(path: Path | None) -> None:
    """Refuse, before anything is fetched, a summary file that cannot be opened to append
    (a missing folder, a read-only place): found after the commit, exit 3 said "run again"
    of a sync that had done its work (README: 3 is a sync that could not run at all)."""
    if path is not None:
        try:
            path.open("a", encoding="utf-8").close()
        except OSError as error:
            raise CommandFailed(
                f"cannot append to the summary file {path}: {error.strerror or error}; "
                "give --summary-file (GITHUB_STEP_SUMMARY) a file that can be written"
            ) from error


def _write_summary(path: Path | None, markdown: str) -> None:
    """Append Markdown to the summary file, if any (a full disk: say the sync is kept)."""
    if path is not None:
        from archiver.publish import append_summary

        try:
            append_summary(markdown, path)
        except OSError as error:
            raise CommandFailed(
                f"the sync's work is kept, but its summary could not be appended to {path}: "
                f"{error.strerror or error}"
            ) from error


def _not_offered(response: Response) -> bool:
    """Tell whether a response is an optional source's 404 (the sync log's "not offered")."""
    from archiver.sync import OPTIONAL_SOURCES
    from archiver.upstream.sources import source_path

    return response.status == 404 and source_path(response.url) in OPTIONAL_SOURCES


class Progress:
    """Fetch progress: a bar redrawn on a terminal, a plain line every 500 responses in logs."""

    WIDTH = 30

    def __init__(self) -> None:
        self.interactive = sys.stderr.isatty() and not os.environ.get("CI")
        self.total = 0
        self.done = 0
        self.failed = 0

    def planned(self, count: int) -> None:
        """Count requests the sync has decided to make."""
        self.total += count

    def fetched(self, response: Response) -> None:
        """Count one finished request and redraw."""
        self.done += 1
        # A source upstream does not offer (404 from an optional one) is no failure: the
        # sync's summary does not count it as one either.
        self.failed += not response.ok and not _not_offered(response)
        if self.interactive:
            filled = self.WIDTH * self.done // max(self.total, 1)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            line = f"\r[{bar}] {self.done}/{self.total} fetched, {self.failed} failed"
            click.echo(line, nl=False, err=True)
        elif self.done % 500 == 0 or self.done == self.total:
            click.echo(f"fetched {self.done}/{self.total} ({self.failed} failed)", err=True)

    def finish(self) -> None:
        """End the bar's line."""
        if self.interactive and self.done:
            click.echo(err=True)


def print_summary(log: SyncLog, base_url: str | None = None) -> None:
    """Print the one-screen summary of a sync (base_url: where it fetched from, for messages)."""
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
    elif log.requests == log.requests_failed + log.requests_absent:
        # Every request failed: the network, not the catalog, is what did not change.
        click.echo(
            f"  could not reach {base_url or 'upstream'}: fetched nothing; "
            "nothing changed in the archive"
        )
    elif not any(counts.entities for counts in log.counts.values()):
        click.echo("  nothing archived yet: no commit")
    else:
        click.echo("  no change since the last sync: no commit")
    # Notes and failures carry upstream text (keys, URLs, bodies): one inert line each.
    for note in log.notes:
        click.echo(f"  note: {one_line(note)}")
    for failure in log.failures:
        click.echo(f"  FAILED: {one_line(failure)}", err=True)
