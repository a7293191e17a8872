"""Shared fixtures: the small real captures committed under tests/captures, read once.

Every test runs on them, on any machine, with or without ../shared: they are a few dozen
models of each real daily sweep and /api/v1/models capture (tests/captures/trim.py), with
every oddity of the real data kept. The full captures in ../shared are for the benches
(bench/) alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture, read_capture
from archiver.cli import main
from tests.small_captures import SMALL_DAILY, SMALL_V1_MODELS, SyncedArchive, sync_small

DAILY = SMALL_DAILY
V1_MODELS = SMALL_V1_MODELS


def _committed(paths: list[Path], what: str) -> list[Path]:
    """Return committed capture files; their absence is a broken checkout, not a skip."""
    if not paths:
        raise pytest.UsageError(
            f"no {what} captures under tests/captures; run tests/captures/trim.py"
        )
    return paths


@pytest.fixture(scope="session")
def daily_paths() -> list[Path]:
    """Return the small daily capture files, oldest first."""
    return _committed(DAILY, "daily")


@pytest.fixture(scope="session")
def v1_models_paths() -> list[Path]:
    """Return the small /api/v1/models capture files, oldest first."""
    return _committed(V1_MODELS, "v1-models")


@pytest.fixture(scope="session")
def daily_capture(daily_paths: list[Path]) -> Capture:
    """Return the newest small daily capture, read once for the whole session."""
    return read_capture(daily_paths[-1])


# Archives several test modules read, built once per session. Tests must not write to them:
# copy one first (tests/small_captures.py `copy_archive`).


@pytest.fixture(scope="session")
def v1_then_daily_archive(
    tmp_path_factory: pytest.TempPathFactory, v1_models_paths: list[Path], daily_paths: list[Path]
) -> SyncedArchive:
    """Return an archive synced from every capture, June's v1-models then July's daily ones."""
    repo = tmp_path_factory.mktemp("v1-then-daily") / "archive"
    captures = [read_capture(path) for path in [*v1_models_paths, *daily_paths]]
    logs = [sync_small(repo, capture) for capture in captures]
    for capture, log in zip(captures, logs, strict=True):
        assert log.commit_id, f"sync of {capture.path} committed nothing"
    return SyncedArchive(repo, captures, logs)


@pytest.fixture(scope="session")
def daily_imported_archive(
    tmp_path_factory: pytest.TempPathFactory, daily_paths: list[Path]
) -> Path:
    """Return an archive of the three daily captures made by `archiver import`."""
    repo = tmp_path_factory.mktemp("daily-imported") / "archive"
    result = CliRunner().invoke(main, ["import", "--repo", str(repo), *map(str, daily_paths)])
    assert result.exit_code == 0, result.output
    return repo
