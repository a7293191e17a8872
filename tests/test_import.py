"""Backfill: captures become dated syncs through the same path as a live sync."""

from __future__ import annotations

import gc
import weakref
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from archiver.archive.synclog import SyncLog
from archiver.backfill import import_captures
from archiver.capture.files import Capture, CapturedResponse, read_capture, write_capture
from archiver.cli import main
from archiver.jsonvalue import ExactNumber
from archiver.paths import key_to_path
from archiver.times import format_epoch, hour_epoch
from archiver.upstream.entities import catalog_key
from tests.archive_helpers import blob, commit_count, git, head, load, status_clean
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


def test_an_import_holds_one_captures_responses_at_a_time(
    daily_paths: list[Path], tmp_path: Path
) -> None:
    # A year of daily captures is some 45 MB each once read: held all at once, an import of
    # a year would need 16 GB. At each sync, the captures synced before must be gone.
    synced: list[weakref.ref[Capture]] = []
    alive: list[int] = []

    def count(capture: Capture, log: SyncLog) -> None:
        gc.collect()
        alive.append(sum(ref() is not None for ref in synced))
        assert capture.responses
        synced.append(weakref.ref(capture))

    logs = import_captures(tmp_path / "archive", daily_paths, on_log=count)
    assert len(logs) == len(daily_paths) == len(alive)
    assert alive == [0] * len(daily_paths)


def test_a_bad_capture_among_many_refuses_the_import_before_any_sync(
    daily_paths: list[Path], tmp_path: Path
) -> None:
    # Read lazily, the last file's bad line would show only after the others were synced;
    # every file is checked first, so the import is refused whole and can simply be rerun.
    bad = tmp_path / "bad.jsonl"
    good = read_capture(daily_paths[-1])
    write_capture(bad, good.time + timedelta(hours=1), "test", "cut", good.responses[:3])
    with bad.open("ab") as out:
        out.write(b'{"method": "GET", "url": "/api/v1/models", "status": 200, "body": {\n')
    repo = tmp_path / "archive"
    result = run_import(repo, *daily_paths, bad)
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert f"bad.jsonl:{3 + 2}: line {3 + 2} is not valid JSON" in result.output
    assert not (repo / ".git").exists() or commit_count(repo) == 0


def test_numbers_beyond_64_bits_pass_the_first_check_and_import_digit_for_digit(
    daily_paths: list[Path], tmp_path: Path
) -> None:
    # The first check reads lines with orjson alone, which refuses integers over 64 bits;
    # such a line is still JSON and must import exactly as a live sync archives it.
    big = "123456789012345678901234567890"
    source = read_capture(daily_paths[0])
    responses = [
        CapturedResponse(r.method, r.url, r.status, _with_big_number(r, big))
        for r in source.responses
    ]
    edited = tmp_path / "big.jsonl.gz"
    write_capture(edited, source.time, "test", "a 100-bit integer", responses)
    repo = tmp_path / "archive"
    result = run_import(repo, edited)
    assert result.exit_code == 0, result.output
    model = next(iter(source_v1_keys(source)))
    assert f'"numeric_id": {big}'.encode() in blob(repo, "HEAD", key_to_path("model", model))


def _with_big_number(response: CapturedResponse, big: str) -> Any:
    """Return the body, with the first v1 model given a 100-bit integer field."""
    if response.url != "/api/v1/models":
        return response.body
    first, *rest = response.body["data"]
    return {**response.body, "data": [{**first, "numeric_id": ExactNumber(big)}, *rest]}


def source_v1_keys(capture: Capture) -> list[str]:
    """Return the model keys of a capture's /api/v1/models response, in order."""
    listing = next(r for r in capture.responses if r.url == "/api/v1/models")
    return [str(model["id"]) for model in listing.body["data"]]


def test_a_response_nested_past_what_readers_read_costs_only_its_entities(
    tmp_path: Path,
) -> None:
    """A capture whose models listing holds a value nested 300 levels (readable, not
    writable) and one nested 3,000 (past every reader): the import failed whole, at the
    capture's line (3,000) or at replaying it (300). Now only those two models are refused,
    each with a line, and the others are imported."""
    source = read_capture(Path(__file__).parent / "captures/v1-models/20260620T124724Z.jsonl.gz")
    listing = next(r for r in source.responses if r.url == "/api/v1/models")
    models = listing.body["data"]
    deep: list[Any] = []
    for levels, model in zip((300, 3_000), models, strict=False):
        value: list[Any] = []
        for _ in range(levels - 1):
            value = [value]
        deep.append({**model, "hostile": value})
    body = {**listing.body, "data": [*deep, *models[2:]]}
    edited = tmp_path / "deep.jsonl.gz"
    reply = CapturedResponse(listing.method, listing.url, listing.status, body)
    write_capture(edited, source.time, "test", "values nested too deep", [reply])
    repo = tmp_path / "archive"
    result = run_import(repo, edited)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for model in models[:2]:
        assert f"model '{model['id']}': value nested deeper than 255 levels" in result.output
        assert not (repo / key_to_path("model", model["id"])).exists()
    assert all((repo / key_to_path("model", m["id"])).is_file() for m in models[2:])
