"""Shared fixtures: the small real captures committed under tests/captures, read once.

Every test runs on them, on any machine, with or without ../shared: they are a few dozen
models of each real daily sweep and /api/v1/models capture (tests/captures/trim.py), with
every oddity of the real data kept. The full captures in ../shared are for the benches
(bench/) alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.capture import Capture, read_capture
from tests.small_captures import SMALL_DAILY, SMALL_V1_MODELS

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
