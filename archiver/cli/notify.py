"""`archiver notify`: post the newest sync's changes that match a watch list to a webhook."""

from __future__ import annotations

import os
from pathlib import Path

import click

from archiver.cli import main
from archiver.cli.common import Finite, PartialFailure, repo_option, reports_errors
from archiver.textsafe import one_line

DEFAULT_ENV = "ARCHIVER_WEBHOOK_URL"


@main.command()
@repo_option
@click.option(
    "--webhook-env",
    default=DEFAULT_ENV,
    show_default=True,
    help="Environment variable holding the webhook URL (a secret: never on the command line).",
)
@click.option(
    "--watch",
    # exists=True: a mistyped --watch must not fall back to the default rule silently.
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Watch list (default: notify.toml at the archive's root).",
)
@click.option("--after", help="Post every sync after this commit (default: HEAD's sync only).")
@click.option(
    "--site-url",
    help="The site's address, linked at the end of the message (default: GitHub Pages' "
    "address of $GITHUB_REPOSITORY, as `archiver site` uses).",
)
@click.option(
    "--timeout",
    # As sync's --timeout: 0, a negative or nan failed every post as "did not answer in time"
    # or "unreachable", naming a webhook that was never given a chance.
    type=Finite(0.1),
    default=10.0,
    show_default=True,
    help="Seconds per post.",
)
@click.option("--dry-run", is_flag=True, help="Print the messages instead of posting them.")
@reports_errors
def notify(
    repo: Path,
    webhook_env: str,
    watch: Path | None,
    after: str | None,
    site_url: str | None,
    timeout: float,
    dry_run: bool,
) -> None:
    """Post the changes of the newest sync that match the watch list to a Slack or Discord webhook.

    Without the webhook variable set it posts nothing and exits 0, so the hourly workflow
    runs it unconditionally. A webhook that fails (timeout, refused, HTTP error) exits 1
    with one line naming its host; the sync's data is never affected.

    \b
    Example:
        ARCHIVER_WEBHOOK_URL=https://discord.com/api/webhooks/... archiver notify
        archiver notify --after "$GITHUB_SHA" --dry-run
    """
    from archiver.notify import WebhookError, messages, newest_syncs, post, read_watch_list
    from archiver.site.pages_address import configured_base_url

    url = os.environ.get(webhook_env, "").strip()
    if not url and not dry_run:
        click.echo(f"notify: {webhook_env} is not set; nothing posted")
        return
    rules = read_watch_list(watch or repo / "notify.toml")
    address = configured_base_url(site_url, repo)
    texts = messages(repo, newest_syncs(repo, after), rules, address)
    if dry_run:
        for text in texts:
            click.echo(text + "\n")
        click.echo(f"notify: {len(texts)} message(s) not posted (--dry-run)")
        return
    if not texts:
        click.echo("notify: no change matches the watch list; nothing posted")
        return
    try:
        posted = post(url, texts, timeout)
    except WebhookError as error:
        raise PartialFailure(one_line(str(error))) from None
    click.echo(f"notify: posted {posted} message(s)")
