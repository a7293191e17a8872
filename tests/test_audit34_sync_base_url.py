"""A base URL no request can be made to: `SyncOptions(base_url=...)`, `--base-url`,
ARCHIVER_BASE_URL.

A port past 65535 raised OverflowError from the socket inside the fetch's task group, and a
port that is no number or an address such as 999.999.999.999 raised httpx.InvalidURL while
the client was made: a traceback (`archiver sync` printed one), not a line. Such an address
is now refused before any request, in one line, and the archive stays as it was.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import archiver
from archiver.cli import main
from tests.small_captures import small_daily, sync_small, with_models_only

BAD = ["http://127.0.0.1:99999", "http://127.0.0.1:abc", "http://999.999.999.999", "ftp://x"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("base-url") / "archive"
    sync_small(path, with_models_only(small_daily()[0], {"openai/gpt-4.1"}))
    return path


def _head(repo: Path) -> str:
    command = ["git", "-C", str(repo), "rev-parse", "HEAD"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("url", BAD)
def test_a_base_url_no_request_can_use_is_one_line(repo: Path, url: str) -> None:
    before = _head(repo)
    policy = archiver.FetchPolicy(attempts=1, deadline=30)
    with pytest.raises(archiver.ArchiverError, match="base URL") as raised:
        archiver.sync(repo, archiver.SyncOptions(base_url=url, policy=policy))
    assert "\n" not in str(raised.value)
    result = CliRunner().invoke(
        main, ["sync", "--repo", str(repo), "--retries", "0"], env={"ARCHIVER_BASE_URL": url}
    )
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output and "base URL" in result.output
    assert _head(repo) == before
