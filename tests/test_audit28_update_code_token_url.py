"""`archiver update-code --upstream` with a token in the URL keeps the token out of history.

A private upstream is often named as https://x-access-token:TOKEN@github.com/OWNER/NAME.git.
The update commit's message said `From <the URL>`, token and all, and pushed it to the fork
(public, often, and for good); the command's own line printed it too. Now both name the URL
without its user and password.

Real bare repositories on disk as GitHub's upstream and fork (tests.test_fork's world); git's
`url.<base>.insteadOf` takes the token-bearing URL to upstream's folder, as GitHub's server
would take it.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from archiver.cli import main
from tests.archive_helpers import git
from tests.test_fork import World, captures, workflow_clone, world, world_template

__all__ = ["captures", "world", "world_template"]

TOKEN = "ghp_notARealTokenButSecret"
PLAIN = "https://github.example/me/archiver.git"
WITH_TOKEN = f"https://x-access-token:{TOKEN}@github.example/me/archiver.git"


def test_the_upstream_token_is_neither_committed_nor_printed(world: World, tmp_path: Path) -> None:
    mine = workflow_clone(world, tmp_path / "mine")
    git(mine, "config", f"url.{world.upstream_url}.insteadOf", WITH_TOKEN)

    result = CliRunner().invoke(
        main, ["update-code", "--repo", str(mine), "--upstream", WITH_TOKEN]
    )

    assert result.exit_code == 0, result.output
    message = git(world.fork, "log", "-1", "--format=%B", "main")
    assert f"From {PLAIN}:" in message
    assert TOKEN not in message and TOKEN not in result.output
    assert PLAIN in result.output
