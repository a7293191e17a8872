"""`archiver update-code`: bring upstream's code into a fork, keeping the fork's own data."""

from __future__ import annotations

import os
from pathlib import Path

import click

from archiver.cli import main
from archiver.cli.common import repo_option, reports_errors


@main.command("update-code")
@repo_option
@click.option(
    "--upstream",
    help="The repository forked from: OWNER/NAME on GitHub, or any git URL "
    "(default: the fork's parent, asked from GitHub's API inside a workflow).",
)
@click.option("--upstream-branch", default="main", show_default=True, help="Upstream's branch.")
@click.option("--remote", default="origin", show_default=True, help="The fork's own remote.")
@reports_errors
def update_code(repo: Path, upstream: str | None, upstream_branch: str, remote: str) -> None:
    """Commit upstream's latest code on top of the fork's branch, its data/ untouched, and push.

    GitHub's "Sync fork" conflicts on data/ (both sides sync every hour). This merges only
    the code, as one ordinary commit: data/, .gitattributes and the fork's CNAME and
    notify.toml stay as they are, and the archive's history stays the fork's own. Exit 3
    with one line when the fork's own code edits conflict with upstream's, GitHub
    refuses the push, or a sync is running in the same clone; nothing is pushed then.

    \b
    Example:
        archiver update-code --upstream OWNER/openrouter-archiver
        archiver update-code --upstream https://github.com/OWNER/NAME.git --remote origin
    """
    from archiver.archive.fork import (
        git,
        parent_repository,
        shown_url,
        update_code,
        upstream_url,
    )
    from archiver.archive.lock import repository_lock

    if upstream:
        url = upstream_url(upstream)
    elif os.environ.get("GITHUB_REPOSITORY"):
        api = os.environ.get("GITHUB_API_URL", "https://api.github.com")
        url = parent_repository(os.environ["GITHUB_REPOSITORY"], api, os.environ.get("GH_TOKEN"))
    else:
        raise click.UsageError("name the repository forked from with --upstream OWNER/NAME")
    # The update ends by moving the local branch and work tree: a sync in this clone must not
    # commit meanwhile, so it holds the lock a sync takes (and waits for a running one).
    git_dir = git(repo, "rev-parse", "--absolute-git-dir").stdout.strip()
    with repository_lock(git_dir, repo, "update-code"):
        result = update_code(repo, url, upstream_branch=upstream_branch, remote=remote)
    if result.commit is None:
        click.echo(f"update-code: the code is already upstream's ({result.upstream_head[:12]})")
        return
    click.echo(
        f"update-code: pushed {result.commit[:12]} to {remote}/{result.branch}: "
        f"{len(result.changed)} code file(s) from {shown_url(url)} at {result.upstream_head[:12]}; "
        "data/ unchanged"
    )
