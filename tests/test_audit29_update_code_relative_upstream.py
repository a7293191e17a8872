"""`archiver update-code --repo archive --upstream ../openrouter-archiver`: a local upstream
named relative to where the command runs.

The path went to git as it was, and git runs in --repo: it read the path from there, which
named no repository ("could not fetch main from ../openrouter-archiver: and the repository
exists.", the last line of git's refusal) or another one. `--upstream` takes any git URL,
a local folder included; it is now made absolute first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from tests.archive_helpers import git

PERSON = ("-c", "user.name=A Person", "-c", "user.email=person@example.com")


@pytest.fixture(autouse=True)
def _no_global_git_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the machine's own git settings out of the test."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def test_a_relative_upstream_folder_is_read_from_where_the_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream = tmp_path / "code" / "openrouter-archiver"
    git(tmp_path, "init", "-q", "-b", "main", str(upstream))
    (upstream / "code.py").write_text("rate = 1\n")
    git(upstream, "add", "code.py")
    git(upstream, *PERSON, "commit", "-qm", "The code")
    fork = tmp_path / "fork.git"
    git(tmp_path, "clone", "-q", "--bare", str(upstream), str(fork))
    git(tmp_path, "clone", "-q", str(fork), str(tmp_path / "work" / "archive"))
    (upstream / "code.py").write_text("rate = 2\n")
    git(upstream, *PERSON, "commit", "-qam", "New code")
    monkeypatch.chdir(tmp_path / "work")
    args = ["update-code", "--repo", "archive", "--upstream", "../code/openrouter-archiver"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert git(fork, "show", "main:code.py") == "rate = 2\n"
    assert git(tmp_path / "work" / "archive", "remote", "get-url", "upstream").strip() == str(
        upstream
    )
