"""Backfill: captures become dated syncs through the same path as a live sync."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from archiver.capture.files import read_capture, write_capture
from archiver.cli import main
from archiver.times import format_epoch, hour_epoch
from archiver.upstream.entities import catalog_key
from tests.archive_helpers import commit_count, git, head, load, status_clean
from tests.test_sync import files_at


def run_import(repo: Path, *captures: Path) -> Result:
    """Run `archiver import` on the command line."""
    return CliRunner().invoke(main, ["import", "--repo", str(repo), *map(str, captures)])


def test_captures_import_in_time_order_whatever_the_argument_order(
    daily_paths: list[Path], v1_models_paths: list[Path], tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    captures = [*daily_paths, *v1_models_paths]  # July first on the command line
    result = run_import(repo, *captures)
    assert result.exit_code == 0, result.output
    assert commit_count(repo) == len(captures)
    printed = git(repo, "log", "--reverse", "--format=%(trailers:key=Sync-Epoch,valueonly)").split()
    times = sorted(read_capture(p).time for p in captures)
    assert printed == [format_epoch(hour_epoch(t)) for t in times]
    assert status_clean(repo)


def test_a_capture_of_some_sources_leaves_the_others_untouched(
    daily_paths: list[Path], tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    assert run_import(repo, daily_paths[0]).exit_code == 0
    # A real /api/v1/models response recorded alone, an hour after the full sweep.
    newer = read_capture(daily_paths[1])
    alone = [r for r in newer.responses if r.url == "/api/v1/models"]
    partial = tmp_path / "v1-only.jsonl.gz"
    write_capture(partial, newer.time + timedelta(hours=1), "test", "v1 models only", alone)
    trees = {name: git(repo, "rev-parse", f"HEAD:data/{name}") for name in ("endpoint", "provider")}
    result = run_import(repo, partial)
    assert result.exit_code == 0, result.output
    assert "not offered" in result.output
    assert commit_count(repo) == 2
    for name, tree in trees.items():
        assert git(repo, "rev-parse", f"HEAD:data/{name}") == tree, name
    changed = git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split()
    assert changed and all(
        path.startswith(("data/model/", "data/telemetry/model/")) for path in changed
    ), "a v1-only capture changes models and their telemetry, nothing else"
    assert any(path.startswith("data/telemetry/model/") for path in changed)
    # Only v1 parts moved: every model's catalog part is exactly as it was.
    before, after = files_at(repo, "HEAD~1"), files_at(repo, "HEAD")
    catalog_parts = [
        p for p, d in before.items() if p.startswith("data/model/") and "catalog" in load(d)
    ]
    # Every catalog model of the first capture has its catalog part.
    catalog = read_capture(daily_paths[0]).responses
    listed = next(r.body["data"] for r in catalog if r.url == "/api/frontend/v1/catalog/models")
    assert len(catalog_parts) == len({catalog_key(entry) for entry in listed})
    for path in catalog_parts:
        assert load(after[path])["catalog"] == load(before[path])["catalog"], path


def test_an_older_capture_is_refused(daily_paths: list[Path], tmp_path: Path) -> None:
    repo = tmp_path / "archive"
    assert run_import(repo, daily_paths[1]).exit_code == 0
    before = head(repo)
    result = run_import(repo, daily_paths[0])
    assert result.exit_code == 3
    assert "older than the archive's latest sync" in result.output
    assert daily_paths[0].name in result.output
    assert head(repo) == before


def test_importing_the_same_capture_again_adds_no_commit(
    daily_paths: list[Path], tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    assert run_import(repo, daily_paths[0]).exit_code == 0
    result = run_import(repo, daily_paths[0])
    assert result.exit_code == 0
    assert "no commit" in result.output
    assert commit_count(repo) == 1
