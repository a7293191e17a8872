"""`archiver log`, `archiver show`, `archiver changes`: read the archive's history."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click
import orjson

from archiver import jsonvalue
from archiver.cli import main
from archiver.cli.common import IsoTime, repo_option, reports_errors
from archiver.paths import CATEGORIES, Category
from archiver.times import format_epoch

CATEGORY = click.Choice(CATEGORIES)


def _echo_json(value: Any) -> None:
    """Print a value as indented JSON."""
    click.echo(jsonvalue.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())


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

    found = versions(repo, category, key)
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
    if not found:
        raise click.ClickException(f"no {category} {key!r} in the archive's history")
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
    from archiver.history.versions import category_at, entity_at

    when = at or datetime.max.replace(tzinfo=None)
    if whole == (key is not None):
        raise click.UsageError("give a KEY, or --all for the whole category (not both)")
    if whole:
        _echo_json(category_at(repo, category, when))
        return
    assert key is not None
    entity = entity_at(repo, category, key, when)
    if entity is None:
        moment = f" at {format_epoch(at)}" if at else ""
        raise click.ClickException(f"no {category} {key!r} in the archive{moment}")
    _echo_json(entity)


@main.command()
@repo_option
@click.option("--since", type=IsoTime(), help="From this time (inclusive).")
@click.option("--until", type=IsoTime(), help="Up to this time (inclusive).")
@click.option("--category", type=CATEGORY, help="Only this category.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@reports_errors
def changes(
    repo: Path,
    since: datetime | None,
    until: datetime | None,
    category: Category | None,
    as_json: bool,
) -> None:
    """Every change in a time range, grouped by sync epoch, newest first, classified.

    Classes: added, removed, returned, price_up, price_down, context_changed, other.

    \b
    Example:
        archiver changes --since 2026-07-18T00:00:00Z --category endpoint
    """
    from archiver.history.versions import changes as find_changes

    groups = find_changes(repo, since=since, until=until, category=category)
    if as_json:
        _echo_json([_group_json(group) for group in groups])
        return
    for group in groups:
        click.echo(
            f"{format_epoch(group.epoch)}  {group.commit[:12]}  {len(group.changes)} changes"
        )
        for change in group.changes:
            prices = "".join(
                f"  {p.field} {p.old} -> {p.new}"
                + (f" ({p.percent:+.1f}%)" if p.percent is not None else "")
                for p in change.prices
            )
            click.echo(f"  {change.category:8} {','.join(change.kinds):22} {change.key}{prices}")


def _group_json(group: Any) -> dict[str, Any]:
    """Return one sync's changes as JSON-ready data."""
    return {
        "epoch": format_epoch(group.epoch),
        "commit": group.commit,
        "changes": [
            {
                "category": c.category,
                "key": c.key,
                "kinds": list(c.kinds),
                "prices": [p.to_json() for p in c.prices],
                "patch": c.patch,
            }
            for c in group.changes
        ],
    }
