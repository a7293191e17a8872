"""A broken or hostile upstream: clear errors, the right exit code, nothing archived lost.

Each test syncs the second small daily capture, with one fault, on the command line against
a replay server, into a copy of an archive of the first. Both cut to one catalog model in
MODEL_STEP (and the model whose listing fails): every kind of listing and entity is still
there, and each sync makes about a hundred requests, not four hundred.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from archiver.canonical import is_canonical
from archiver.capture.files import Capture, CapturedResponse, read_capture, write_capture
from archiver.capture.replay import Fault, ReplayServer
from archiver.cli import main
from archiver.paths import key_to_path
from tests.archive_helpers import blob, capture_entities, head, keys_at, load, status_clean
from tests.small_captures import some_models, with_models_only
from tests.test_sync import files_at, sync_capture

V1 = "/api/v1/models"
CATALOG = "/api/frontend/v1/catalog/models"
ALL_PROVIDERS = "/api/frontend/v1/all-providers"
MODEL_STEP = 4
FAILING_MODEL = "anthropic/claude-opus-4.7"


@pytest.fixture(scope="module")
def captures(daily_paths: list[Path]) -> list[Capture]:
    """Return the first two daily captures, cut to some models: the base, and the one synced
    with faults."""
    whole = [read_capture(path) for path in daily_paths[:2]]
    keys = some_models(whole[1], MODEL_STEP) | {FAILING_MODEL}
    return [with_models_only(capture, keys) for capture in whole]


@pytest.fixture(scope="module")
def base_archive(tmp_path_factory: pytest.TempPathFactory, captures: list[Capture]) -> Path:
    """Return an archive holding the first daily capture."""
    repo = tmp_path_factory.mktemp("base") / "archive"
    sync_capture(repo, captures[0])
    return repo


@pytest.fixture
def archive(base_archive: Path, tmp_path: Path) -> Path:
    """Return a private copy of the base archive."""
    return Path(shutil.copytree(base_archive, tmp_path / "archive"))


def run_sync(repo: Path, server: ReplayServer, *args: str) -> Result:
    """Run `archiver sync` on the command line against a replay server."""
    command = ["sync", "--repo", str(repo), "--base-url", server.base_url, "--retries", "1", *args]
    return CliRunner().invoke(main, command)


def assert_nothing_corrupt(repo: Path) -> None:
    """Every archived file is canonical JSON and the work tree matches HEAD."""
    assert status_clean(repo)
    for path, data in files_at(repo, "HEAD").items():
        assert not path.endswith(".json") or is_canonical(data), path


def test_a_failed_endpoint_listing_keeps_that_models_endpoints(
    archive: Path, captures: list[Capture]
) -> None:
    old = keys_at(archive)
    model_key, url = _endpoint_listing(captures[1], FAILING_MODEL)
    mine = {
        k
        for k in old["endpoint"]
        if load(blob(archive, "HEAD", key_to_path("endpoint", k)))["model"] == model_key
    }
    assert mine
    with ReplayServer(captures[1], faults=[Fault(url, status=500)]) as server:
        result = run_sync(archive, server)
    assert result.exit_code == 1, result.output
    assert "HTTP 500" in result.stderr and model_key in result.stderr
    assert mine <= keys_at(archive)["endpoint"]
    assert keys_at(archive)["model"] == capture_entities(captures[1]).models
    assert_nothing_corrupt(archive)


def test_429_with_retry_after_is_honoured(archive: Path, captures: list[Capture]) -> None:
    with ReplayServer(
        captures[1], faults=[Fault(V1, status=429, retry_after="1", times=1)]
    ) as server:
        started = time.monotonic()
        result = run_sync(archive, server)
        elapsed = time.monotonic() - started
        asked = [url for url in server.requests if url.split("?")[0] == V1]
    assert result.exit_code == 0, result.output
    assert len(asked) == 2
    assert elapsed >= 1.0
    assert keys_at(archive)["model"] == capture_entities(captures[1]).models


def test_a_timeout_keeps_what_it_could_not_see(archive: Path, captures: list[Capture]) -> None:
    before = files_at(archive, "HEAD")
    with ReplayServer(captures[1], faults=[Fault(ALL_PROVIDERS, delay=3.0)]) as server:
        result = run_sync(archive, server, "--timeout", "0.5", "--retries", "0")
    assert result.exit_code == 1
    assert "timed out" in result.stderr and ALL_PROVIDERS in result.stderr
    after = files_at(archive, "HEAD")
    for path, data in before.items():
        if path.startswith("data/provider/") and "all_providers" in load(data):
            assert load(after[path])["all_providers"] == load(data)["all_providers"], path
    assert_nothing_corrupt(archive)


def test_truncated_catalog_removes_nothing(archive: Path, captures: list[Capture]) -> None:
    old = keys_at(archive)
    with ReplayServer(captures[1], faults=[Fault(CATALOG, body="truncated")]) as server:
        result = run_sync(archive, server)
    assert result.exit_code == 1
    assert "not valid JSON" in result.stderr and CATALOG in result.stderr
    new = keys_at(archive)
    assert old["endpoint"] <= new["endpoint"]
    assert old["model"] - new["model"] <= old["model"] - capture_entities(captures[1]).models
    assert_nothing_corrupt(archive)


def test_an_html_error_page_is_reported(archive: Path, captures: list[Capture]) -> None:
    old = keys_at(archive)
    with ReplayServer(captures[1], faults=[Fault(ALL_PROVIDERS, body="html")]) as server:
        result = run_sync(archive, server)
    assert result.exit_code == 1
    assert "text/html" in result.stderr
    assert old["provider"] <= keys_at(archive)["provider"]
    assert_nothing_corrupt(archive)


def test_an_empty_listing_removes_nothing(archive: Path, captures: list[Capture]) -> None:
    before = files_at(archive, "HEAD")
    with ReplayServer(captures[1], faults=[Fault(V1, body="empty-data")]) as server:
        result = run_sync(archive, server)
    assert result.exit_code == 1
    assert "removed none" in result.stderr
    after = files_at(archive, "HEAD")
    with_v1 = [p for p, d in before.items() if p.startswith("data/model/") and "v1" in load(d)]
    assert len(with_v1) == len(capture_entities(captures[0]).v1_models) > 0
    assert all("v1" in load(after[path]) for path in with_v1)
    assert_nothing_corrupt(archive)


def test_everything_failing_makes_no_commit(archive: Path, captures: list[Capture]) -> None:
    before = head(archive)
    with ReplayServer(captures[1], faults=[Fault("*", status=503)]) as server:
        result = run_sync(archive, server)
    assert result.exit_code == 1
    assert "HTTP 503" in result.stderr
    assert head(archive) == before
    assert_nothing_corrupt(archive)


def test_unreachable_upstream_is_a_clear_error(archive: Path) -> None:
    before = head(archive)
    result = CliRunner().invoke(
        main, ["sync", "--repo", str(archive), "--base-url", "http://127.0.0.1:9", "--retries", "0"]
    )
    assert result.exit_code == 1
    assert "ConnectError" in result.stderr and "127.0.0.1:9" in result.stderr
    assert head(archive) == before


def test_items_missing_a_field_are_skipped_and_block_removals(
    archive: Path, captures: list[Capture], tmp_path: Path
) -> None:
    old = keys_at(archive)
    broken = _edited(
        captures[1], tmp_path, V1, lambda items: [{**items[0], "id": None}, *items[1:]]
    )
    with ReplayServer(broken) as server:
        result = run_sync(archive, server)
    assert result.exit_code == 1
    assert "lack a string id" in result.stderr
    new = keys_at(archive)
    assert old["model"] - new["model"] <= old["model"] - capture_entities(captures[1]).models
    assert_nothing_corrupt(archive)


@pytest.mark.parametrize(
    "hostile", ["../../../etc/evil", ".git/hooks/pre-commit", "a/./b", "nul\x00byte", "x" * 300]
)
def test_a_hostile_key_is_refused_and_nothing_written_for_it(
    archive: Path, captures: list[Capture], tmp_path: Path, hostile: str
) -> None:
    def add_hostile(items: list[Any]) -> list[Any]:
        return [*items, {**items[0], "id": hostile}]

    broken = _edited(captures[1], tmp_path, V1, add_hostile)
    with ReplayServer(broken) as server:
        result = run_sync(archive, server)
    assert result.exit_code == 1
    assert "refusing model key" in result.stderr
    assert repr(hostile)[:40] in result.stderr
    assert hostile not in keys_at(archive)["model"]
    assert (
        not (archive.parent / "etc").exists()
        and not (archive / ".git" / "hooks" / "pre-commit").exists()
    )
    assert keys_at(archive)["model"] == capture_entities(captures[1]).models
    assert_nothing_corrupt(archive)


def _endpoint_listing(capture: Capture, model_key: str) -> tuple[str, str]:
    """Return (modelKey, stats/endpoint URL) of a model in a capture."""
    for response in capture.responses:
        if response.url.startswith("/api/frontend/v1/stats/endpoint?"):
            items = response.body["data"]
            if items and items[0]["model_variant_slug"] == model_key:
                return model_key, response.url
    raise AssertionError(f"{model_key} has no endpoint listing in the capture")


def _edited(capture: Capture, tmp_path: Path, url: str, edit: Any) -> Path:
    """Write a copy of a capture whose listing at url went through edit(items)."""
    responses = [
        CapturedResponse(r.method, r.url, r.status, {"data": edit(r.body["data"])})
        if r.url == url
        else r
        for r in capture.responses
    ]
    path = tmp_path / "edited.jsonl.gz"
    write_capture(path, capture.time, capture.source, "edited for a test", responses)
    return path


def test_a_dropped_connection_is_retried(archive: Path, captures: list[Capture]) -> None:
    with ReplayServer(captures[1], faults=[Fault(CATALOG, body="dropped", times=1)]) as server:
        result = run_sync(archive, server)
        asked = [url for url in server.requests if url.split("?")[0] == CATALOG]
    assert result.exit_code == 0, result.output
    assert len(asked) == 2
    assert keys_at(archive)["endpoint"] == capture_entities(captures[1]).endpoints


def test_a_connection_that_keeps_dropping_loses_nothing(
    archive: Path, captures: list[Capture]
) -> None:
    old = keys_at(archive)
    with ReplayServer(captures[1], faults=[Fault(CATALOG, body="dropped")]) as server:
        result = run_sync(archive, server)
    assert result.exit_code == 1
    assert "RemoteProtocolError" in result.stderr and "after 2 attempts" in result.stderr
    assert old["endpoint"] <= keys_at(archive)["endpoint"]
    assert_nothing_corrupt(archive)
