"""`archiver log`, `archiver show`, `archiver changes`: read the archive's history."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click
import orjson

from archiver import jsonvalue
from archiver.cli import main
from archiver.cli.common import (
    IsoTime,
    OneLineError,
    PartialFailure,
    archived_key,
    repo_option,
    reports_errors,
)
from archiver.history.change_json import described_changes, sync_json
from archiver.history.kinds import Described, Kind, model_name
from archiver.history.versions import Change, SyncChanges
from archiver.paths import CATEGORIES, Category
from archiver.textsafe import json_text, one_line
from archiver.times import format_epoch

CATEGORY = click.Choice(CATEGORIES)


def _echo_json(value: Any) -> None:
    """Print a value as indented JSON, with what a terminal would act on escaped."""
    text = jsonvalue.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    click.echo(json_text(text))


@main.command()
@repo_option
@click.argument("category", type=CATEGORY)
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print versions as JSON (with JSON Patch).")
@reports_errors
def log(repo: Path, category: Category, key: str, as_json: bool) -> None:
    """Every version of one entity, newest first, with what changed in each.

    \b
    Example:
        archiver log model openai/gpt-4.1
        archiver log endpoint d68054f9-503c-4742-bbbb-32c415d27aa2 --json
    """
    from archiver.history.versions import format_patch, versions

    found = versions(repo, category, archived_key(category, key))
    if not found:  # With --json too: `[]` and exit 0 read as a history that exists but is empty.
        raise OneLineError(f"no {category} {key!r} in the archive's history")
    if as_json:
        _echo_json(
            [
                {
                    "epoch": format_epoch(v.epoch),
                    "commit": v.commit,
                    "kind": v.kind,
                    "patch": v.patch,
                }
                for v in found
            ]
        )
        return
    for version in found:
        click.echo(f"{format_epoch(version.epoch)}  {version.kind:8}  {version.commit[:12]}")
        if version.kind in ("changed", "returned"):
            for line in format_patch(version.patch, version.previous):
                click.echo(f"    {line}")


@main.command()
@repo_option
@click.argument("category", type=CATEGORY)
@click.argument("key", required=False)
@click.option("--at", type=IsoTime(), help="As of the last sync at or before this time.")
@click.option("--all", "whole", is_flag=True, help="The whole category, as {key: entity}.")
@reports_errors
def show(repo: Path, category: Category, key: str | None, at: datetime | None, whole: bool) -> None:
    """One entity (or with --all a whole category) as JSON, now or as of --at.

    The epoch trailer decides, not the commit date.

    \b
    Example:
        archiver show model openai/gpt-4.1 --at 2026-07-18T00:00:00Z
        archiver show --at 2026-07-18T00:00:00Z --all endpoint
    """
    from archiver.history.pricing import PriceLookupError, check_archive_covers
    from archiver.history.versions import category_at, entity_at

    if whole == (key is not None):
        raise click.UsageError("give a KEY, or --all for the whole category (not both)")
    if at is not None:
        try:
            check_archive_covers(repo, at)
        except PriceLookupError as error:
            raise OneLineError(str(error)) from error
    if whole:
        # A file a person committed that is not an entity costs itself, as in `changes` and
        # the site: the rest printed, a problem line naming it, exit 1 (it printed nothing).
        problems: list[str] = []
        _echo_json(category_at(repo, category, at, problems))
        for problem in problems:
            click.echo(f"problem: {one_line(problem)}", err=True)
        if problems:
            plural = "s were" if len(problems) > 1 else " was"
            raise PartialFailure(f"{len(problems)} {category} file{plural} left out")
        return
    assert key is not None
    entity = entity_at(repo, category, archived_key(category, key), at)
    if entity is None:
        moment = f" at {format_epoch(at)}" if at else ""
        raise OneLineError(f"no {category} {key!r} in the archive{moment}")
    _echo_json(entity)


KIND = click.Choice([kind.value for kind in Kind])


@main.command()
@repo_option
@click.option("--since", type=IsoTime(), help="From this time (inclusive).")
@click.option("--until", type=IsoTime(), help="Up to this time (inclusive).")
@click.option("--category", type=CATEGORY, help="Only this category.")
@click.option(
    "--kind",
    "kinds",
    type=KIND,
    multiple=True,
    help="Only changes of this kind (repeat for several): price, status, data_policy...",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@reports_errors
def changes(
    repo: Path,
    since: datetime | None,
    until: datetime | None,
    category: Category | None,
    kinds: tuple[str, ...],
    as_json: bool,
) -> None:
    """Every change in a time range, grouped by sync epoch, newest first, most important first.

    Each change has kinds (removed, added, returned, status, price, deprecation,
    data_policy, zdr, context, quantization, limits, modalities, features,
    provider_renamed, metadata, other) and a one-line summary. An endpoint joining or
    leaving the zero-data-retention list (data/zdr/endpoints.json) is a zdr change of it.

    \b
    Example:
        archiver changes --since 2026-07-18T00:00:00Z --category endpoint
        archiver changes --kind price --kind status
    """
    from archiver.history.versions import category_at
    from archiver.history.versions import changes as find_changes

    # A file someone committed by hand that is not an entity costs its own change, not the list.
    problems: list[str] = []
    groups = find_changes(repo, since=since, until=until, category=category, problems=problems)
    names = {
        key: model_name(entity, key)
        for key, entity in category_at(repo, "model", datetime.max, problems).items()
    }
    described = [(group, described_changes(group, names, kinds)) for group in groups]
    described = [(group, found) for group, found in described if found]
    if as_json:
        _echo_json([sync_json(group, found) for group, found in described])
    else:
        _echo_groups(described)
    # The commit that added a bad file and the one that removed it tell the same problem.
    problems = list(dict.fromkeys(problems))
    for problem in problems:
        click.echo(f"problem: {one_line(problem)}", err=True)
    if problems:
        raise PartialFailure(f"{len(problems)} changes were left out")


def _echo_groups(described: list[tuple[SyncChanges, list[tuple[Change, Described]]]]) -> None:
    """Print each sync's changes, one line each."""
    for group, found in described:
        click.echo(f"{format_epoch(group.epoch)}  {group.commit[:12]}  {len(found)} changes")
        for change, about in found:
            kinds_text = ",".join(kind.value for kind in about.kinds)
            click.echo(f"  {change.category:8} {kinds_text:24} {one_line(about.summary)}")
