"""`archiver notify` with a webhook secret that is no valid URL: one line, exit 1, no secret.

A secret pasted wrong (a bracket of an IPv6 host left open, a line break inside, a port that
is no number) made urllib's `urlsplit` raise ValueError and httpx raise InvalidURL out of
the command: a Python traceback in the hourly job's log. Now the command says in one line
that the URL is not valid, quoting neither it nor httpx's words (both may hold the secret),
and exits 1 as for any other failing webhook. A real small archive, its first sync matching
the default watch list, so there is something to post.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from tests.small_captures import small_daily, sync_small

SECRET = "very-secret-token"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an archive of one small real sync: every entity added, so a message to post."""
    repo = tmp_path_factory.mktemp("notify-url") / "archive"
    sync_small(repo, small_daily()[0])
    return repo


@pytest.mark.parametrize(
    "url",
    [
        f"https://[::1/api/webhooks/1/{SECRET}",
        f"https://discord.example/api/webhooks/1/{SECRET}\nsecond line",
        f"https://discord.example:port/api/webhooks/1/{SECRET}",
    ],
    ids=["open-bracket", "line-break", "port"],
)
def test_a_malformed_webhook_url_is_one_line_and_exit_1(archive: Path, url: str) -> None:
    result = CliRunner().invoke(
        main, ["notify", "--repo", str(archive)], env={"ARCHIVER_WEBHOOK_URL": url}
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "not a valid URL" in lines[0], result.output
    assert SECRET not in result.output and "port" not in result.output
