"""`archiver telemetry`: print the hourly figures of one endpoint, model or model variant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson

from archiver import jsonvalue
from archiver.cli import main
from archiver.cli.common import IsoTime, OneLineError, repo_option, reports_errors
from archiver.textsafe import cell_text, json_text
from archiver.times import format_epoch

KINDS = {"endpoint": "endpoint", "model": "model", "model-variant": "model_variant"}
# An endpoint's stitched hourly uptime (archiver.telemetry.uptime): one figure an hour.
UPTIME = "endpoint-uptime"
T = TypeVar("T")


@main.command()
@repo_option
@click.argument("kind", type=click.Choice([*KINDS, UPTIME]))
@click.argument("key")
@click.option("--since", type=IsoTime(), help="From this time (inclusive).")
@click.option("--until", type=IsoTime(), help="Up to this time (inclusive).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="CSV: one row per sample, flattened columns; JSON: the samples as stored.",
)
@reports_errors
def telemetry(
    repo: Path,
    kind: str,
    key: str,
    since: datetime | None,
    until: datetime | None,
    output: str,
) -> None:
    """The telemetry series of one endpoint, model or model variant, oldest first.

    A sample is written when a figure changed; it holds until the next one. A sample
    with no figures is a gap (upstream sent none that hour). `endpoint-uptime` is an
    endpoint's hourly uptime, stitched from upstream's rolling windows (null: no figure).

    \b
    Example:
        archiver telemetry endpoint d68054f9-503c-4742-bbbb-32c415d27aa2 --since 2026-07-18
        archiver telemetry model-variant openai/gpt-4.1 --format json
        archiver telemetry endpoint-uptime d68054f9-503c-4742-bbbb-32c415d27aa2
    """
    from archiver.archive.git_setup import refuse_sparse_telemetry
    from archiver.telemetry import to_csv
    from archiver.telemetry.writer import UPTIME_KIND

    first, last = since.date() if since else None, until.date() if until else None
    folder = UPTIME_KIND if kind == UPTIME else KINDS[kind]
    refuse_sparse_telemetry(repo, since=first, at=last, reader="archiver telemetry", kind=folder)
    if kind == UPTIME:
        _print_uptime(repo, key, since, until, output)
        return

    samples, held = _at_one_commit(repo, lambda: _series(repo, KINDS[kind], key, since, until))
    if held is not None:
        # Samples are stored at changes: one recorded before --since holds through it.
        until_text = f" to {format_epoch(until)}" if until else ""
        raise OneLineError(
            f"no telemetry recorded for {kind} {key!r} in {repo} from "
            f"{format_epoch(since) if since else ''}{until_text}; "
            f"its sample of {held['epoch']} still holds then (see it with --since "
            f"{held['epoch']})"
        )
    if not samples:
        raise OneLineError(f"no telemetry for {kind} {key!r} in {repo}")
    if output == "json":
        click.echo(json_text(jsonvalue.dumps(samples, option=orjson.OPT_INDENT_2).decode()))
    else:
        click.echo(to_csv([_spreadsheet_safe(sample) for sample in samples]), nl=False)


def _series(
    repo: Path, kind: str, key: str, since: datetime | None, until: datetime | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Return the samples in range and, when there are none, the one in force at since."""
    from archiver.telemetry import series
    from archiver.telemetry.reader import sample_in_force

    samples = series(repo, kind, key, since, until)
    held = sample_in_force(repo, kind, key, since) if since and not samples else None
    return samples, held


def _at_one_commit(repo: Path, read: Callable[[], T]) -> T:
    """Return what read() finds in the work tree, all of it from one commit.

    The series spans day files; a sync committing meanwhile (or a `git pull`) rewrites some
    of them, and a read across that would mix two hours' files into one series.
    """
    from archiver.history.steady import read_at_one_commit

    return read_at_one_commit(repo, read, "archiver telemetry")


def _spreadsheet_safe(value: Any) -> Any:
    """Return a sample whose string figures a spreadsheet would run as formulas are marked as
    text (an array is one JSON cell: it starts with `[`).

    The CSV is the default output and is opened in spreadsheets; `--format json` stays exact.
    """
    if isinstance(value, dict):
        return {name: _spreadsheet_safe(item) for name, item in value.items()}
    return cell_text(value) if isinstance(value, str) else value


def _print_uptime(
    repo: Path, key: str, since: datetime | None, until: datetime | None, output: str
) -> None:
    """Print an endpoint's hourly uptime points: CSV `hour,uptime` or JSON [[hour, value]]."""
    from archiver.telemetry.uptime import uptime_series

    points = _at_one_commit(repo, lambda: uptime_series(repo, key, since, until))
    if not points:
        raise OneLineError(f"no uptime for endpoint {key!r} in {repo}")
    if output == "json":
        click.echo(json_text(jsonvalue.dumps([list(point) for point in points]).decode()))
        return
    rows = ["hour,uptime"]
    rows += [
        f"{hour},{'' if value is None else jsonvalue.dumps(value).decode()}"
        for hour, value in points
    ]
    click.echo("\n".join(rows))
