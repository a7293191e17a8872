"""`archiver log`, `show` and `changes` on the command line, checked against git itself."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import read_capture
from archiver.cli import main
from archiver.paths import key_to_path
from archiver.times import format_epoch, hour_epoch
from tests.archive_helpers import blob, capture_entities, git, load


@pytest.fixture(scope="module")
def archive(daily_imported_archive: Path) -> Path:
    """Return the session's archive of the three daily captures, imported (read only)."""
    return daily_imported_archive


def run(*args: str) -> str:
    """Run the CLI and return its output, failing on a non-zero exit."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_log_lists_the_versions_git_lists(archive: Path) -> None:
    changed = git(archive, "diff", "--name-only", "HEAD~2", "HEAD", "--", "data/endpoint").split()
    for path in changed[:5]:
        key = path.removeprefix("data/endpoint/").removesuffix(".json")
        versions = orjson.loads(run("log", "--repo", str(archive), "endpoint", key, "--json"))
        commits = git(archive, "log", "--format=%H", "--", path).split()
        assert [v["commit"] for v in versions] == commits


def test_log_shows_readable_field_changes(archive: Path) -> None:
    path = next(
        p
        for p in git(
            archive, "diff", "--name-only", "HEAD~1", "HEAD", "--", "data/endpoint"
        ).split()
        if "pricing" in git(archive, "diff", "HEAD~1", "HEAD", "--", p)
    )
    key = path.removeprefix("data/endpoint/").removesuffix(".json")
    printed = run("log", "--repo", str(archive), "endpoint", key)
    assert "pricing." in printed and " -> " in printed


def test_show_at_each_epoch_is_that_syncs_file(archive: Path, daily_paths: list[Path]) -> None:
    key = "openai/gpt-4.1"
    for age, path in enumerate(reversed(daily_paths)):
        at = format_epoch(hour_epoch(read_capture(path).time))
        shown = orjson.loads(run("show", "--repo", str(archive), "model", key, "--at", at))
        assert shown == load(blob(archive, f"HEAD~{age}", key_to_path("model", key)))


def test_show_all_is_the_whole_category(archive: Path, daily_paths: list[Path]) -> None:
    shown = orjson.loads(run("show", "--repo", str(archive), "provider", "--all"))
    listed = git(archive, "ls-tree", "-r", "--name-only", "HEAD", "data/provider/").split()
    assert len(shown) == len(listed)
    # Every provider the newest capture names is there (not vacuous: dozens of them).
    providers = capture_entities(read_capture(daily_paths[-1])).providers
    assert {key_to_path("provider", slug) for slug in providers} == set(listed)
    assert sorted(shown) == sorted(providers)


def test_changes_match_the_commits(archive: Path) -> None:
    groups = orjson.loads(run("changes", "--repo", str(archive), "--json"))
    assert len(groups) == 3
    for group in groups[:2]:
        touched = git(
            archive,
            "diff-tree",
            "-r",
            "--name-only",
            "--no-commit-id",
            group["commit"],
            "--",
            "data/model",
            "data/endpoint",
            "data/provider",
        ).split()
        assert len(group["changes"]) == len(touched)


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_unknown_entity_is_a_clear_error(archive: Path, extra: list[str]) -> None:
    # With --json too: an empty list and exit 0 read as a history that exists but is empty.
    arguments = ["log", "--repo", str(archive), "model", "nobody/nothing", *extra]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1
    assert result.stdout == "" and "nobody/nothing" in result.stderr
