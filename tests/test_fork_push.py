"""A fork meets GitHub's settings: a push refused by rule, the site's Pages address.

Real things: a bare repository as GitHub's copy, refusing pushes from a pre-receive hook with
GitHub's words (GH006 for branch protection, GH013 for rulesets); archives synced from the
small real captures; the CLI as the workflow runs it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.archive.push_refusal import TOKEN_SECRET
from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.publish import PublishError, publish
from archiver.site.pages_address import configured_base_url, pages_base_url
from tests.archive_helpers import git
from tests.fork_helpers import GH006, GH013, fetched, refuse_pushes
from tests.small_captures import copy_archive, small_daily, sync_small


@dataclass(frozen=True)
class Pushing:
    """GitHub's copy of an archive (bare) and the runner's clone of it."""

    remote: Path
    clone: Path


@pytest.fixture(scope="module")
def captures() -> list[Capture]:
    """Return the three small daily captures."""
    return small_daily()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, captures: list[Capture]) -> Path:
    """Return an archive of the first capture (read only: copy it to write)."""
    repo = tmp_path_factory.mktemp("fork-push") / "archive"
    assert sync_small(repo, captures[0]).commit_id
    return repo


@pytest.fixture
def pushing(base: Path, tmp_path: Path) -> Pushing:
    """Return a bare copy of the base archive and a clone that pushes to it."""
    remote, clone = tmp_path / "remote.git", tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--bare", str(base), str(remote)], check=True)
    subprocess.run(["git", "clone", "-q", remote.as_uri(), str(clone)], check=True)
    return Pushing(remote, clone)


@pytest.mark.parametrize(
    ("lines", "cause", "fix"),
    [
        (GH006, "branch protection rule on main (GH006)", "Settings > Branches"),
        (GH013, "repository ruleset on main (GH013)", "bypass list"),
    ],
    ids=["GH006", "GH013"],
)
def test_a_push_refused_by_rule_names_the_cause_and_the_fix(
    pushing: Pushing, captures: list[Capture], lines: list[str], cause: str, fix: str
) -> None:
    before = git(pushing.remote, "rev-parse", "main").strip()
    refuse_pushes(pushing.remote, lines)
    with pytest.raises(PublishError) as refused:
        publish(pushing.clone, fetched(captures[1]), backoff=0.01)
    message = str(refused.value)
    assert "\n" not in message
    assert cause in message and fix in message and TOKEN_SECRET in message
    assert refused.value.log is not None and refused.value.log.commit_id  # Synced, not pushed.
    assert git(pushing.remote, "rev-parse", "main").strip() == before


def test_sync_push_refused_by_a_ruleset_fails_with_one_line_and_a_summary(
    pushing: Pushing, tmp_path: Path, captures: list[Capture]
) -> None:
    refuse_pushes(pushing.remote, GH013)
    summary = tmp_path / "summary.md"
    with ReplayServer(captures[1]) as server:
        command = ["sync", "--repo", str(pushing.clone), "--push", "--base-url", server.base_url]
        epoch = captures[1].time.isoformat()
        command += ["--epoch", epoch, "--summary-file", str(summary)]
        result = CliRunner().invoke(main, command)
    assert result.exit_code == 3, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "GH013" in errors[0] and TOKEN_SECRET in errors[0]
    assert "Traceback" not in result.output
    assert "**Not published.**" in summary.read_text()


@pytest.mark.parametrize(
    ("repository", "domain", "address"),
    [
        ("me/archive", None, "https://me.github.io/archive/"),
        ("Me/Archive", None, "https://me.github.io/Archive/"),
        ("Me/me.github.io", None, "https://me.github.io/"),
        ("me/ME.GitHub.io", None, "https://me.github.io/"),
        ("me/archive", "rates.example.com", "https://rates.example.com/"),
        # actions/configure-pages gives base_url without the final slash.
        ("me/archive", "https://www.example.com", "https://www.example.com/"),
        ("me/archive", "https://me.github.io/archive", "https://me.github.io/archive/"),
    ],
)
def test_pages_address_follows_githubs_rule(
    repository: str, domain: str | None, address: str
) -> None:
    assert pages_base_url(repository, domain) == address


def test_notify_links_to_the_pages_address_of_the_repository_it_runs_in(
    base: Path, captures: list[Capture], tmp_path: Path
) -> None:
    mine = copy_archive(base, tmp_path / "archive")
    assert sync_small(mine, captures[1]).commit_id
    command = ["notify", "--repo", str(mine), "--after", "HEAD~1", "--dry-run"]

    def link(env: dict[str, str], *options: str) -> list[str]:
        output = CliRunner().invoke(main, [*command, *options], env=env).output
        return [line for line in output.splitlines() if line.startswith("Every change: ")]

    user_site = {"GITHUB_REPOSITORY": "Me/me.github.io"}
    assert link(user_site) == ["Every change: https://me.github.io/changes/index.html"]
    assert link(user_site, "--site-url", "https://www.example.com") == [
        "Every change: https://www.example.com/changes/index.html"
    ]
    (mine / "CNAME").write_text("rates.example.com\n")
    assert link({"GITHUB_REPOSITORY": "me/archive"}) == [
        "Every change: https://rates.example.com/changes/index.html"
    ]
    assert configured_base_url("", mine, {}) is None  # Outside a workflow: relative links.
