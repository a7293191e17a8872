"""`archiver site`: build the static site from the archive."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from archiver.cli import main
from archiver.cli.common import IsoTime, OneLineError, repo_option, reports_errors
from archiver.textsafe import one_line
from archiver.times import minute_text


@main.command()
@repo_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("site"),
    show_default=True,
    help="Folder to build into; a site built earlier there is replaced.",
)
@click.option(
    "--at",
    type=IsoTime(),
    default=None,
    help="Show the archive as of this time (the last sync at or before it); default: HEAD.",
)
@click.option(
    "--base-url",
    help="Where the site is served, for links in feeds (default: GitHub Pages' address of "
    "$GITHUB_REPOSITORY, https://USER.github.io/REPO/ or a CNAME's domain; else /).",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder keeping what the build derives from history, so the next build reads only "
    "new commits, and a shallow clone is deepened only to the commit it covers (default: "
    "inside the repository's .git).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read the whole history (all of a shallow clone's, fetched); keep no cache.",
)
@reports_errors
def site(
    repo: Path,
    out: Path,
    at: datetime | None,
    base_url: str | None,
    cache: Path | None,
    no_cache: bool,
) -> None:
    """Build the static site (endpoints grid, models, changes, feeds, JSON API) into a folder.

    Pages link to each other relatively, so the folder works offline and on any host.

    \b
    Example:
        archiver site --repo archive --out site
        archiver site --repo archive --out old-site --at 2026-07-18T00:00:00Z
    """
    from archiver.history.shallow_fetch import fetch_history_after
    from archiver.site import build_site
    from archiver.site.incremental import default_cache_dir
    from archiver.site.pages_address import configured_base_url

    address = configured_base_url(base_url, repo) or "/"
    if no_cache:
        cache = None
    elif cache is None:
        cache = default_cache_dir(repo)
    if cache is None or at is not None:
        # Read in full: a shallow clone's root would pass for a sync adding everything.
        fetch_history_after(repo, None)
    if at is not None:
        from archiver.history.pricing import PriceLookupError, check_archive_covers

        try:
            # Before the first sync: exit 1 naming it, as `show --at` and `price` do.
            check_archive_covers(repo, at)
        except PriceLookupError as error:
            raise OneLineError(str(error)) from error
    report = build_site(repo, out, at=at, base_url=address, cache=cache)
    epoch = minute_text(report.epoch) if report.epoch else "no sync yet"
    click.echo(f"Built {one_line(str(report.out_dir))} from the sync of {epoch}")
    click.echo(
        f"  {report.pages} pages, {report.files} files, {report.bytes / 1e6:.1f} MB, "
        f"in {report.seconds:.1f}s ({report.unchanged} files unchanged)"
    )
    if report.history:
        click.echo(f"  {report.history}")
    # Problems quote archived text (a key, a value): one inert line each.
    for problem in report.problems:
        click.echo(f"  note: {one_line(problem)}", err=True)
    for problem in report.skipped:
        click.echo(f"  problem: {one_line(problem)}", err=True)
    if report.skipped:
        # Built all the rest, but the archive holds files the site left out: say so.
        raise SystemExit(1)
