"""Shared fixtures: the real OpenRouter captures in ../shared, read once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.capture import Capture, read_capture

CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "openrouter" / "captures"
DAILY = sorted((CAPTURES / "daily").glob("*.jsonl.gz"))
V1_MODELS = sorted((CAPTURES / "v1-models").glob("*.jsonl.gz"))


@pytest.fixture(scope="session")
def daily_paths() -> list[Path]:
    """Return the daily capture files, oldest first, or skip if they are absent."""
    if not DAILY:
        pytest.skip(f"no daily captures under {CAPTURES / 'daily'}")
    return DAILY


@pytest.fixture(scope="session")
def v1_models_paths() -> list[Path]:
    """Return the /api/v1/models capture files, oldest first, or skip if they are absent."""
    if not V1_MODELS:
        pytest.skip(f"no v1-models captures under {CAPTURES / 'v1-models'}")
    return V1_MODELS


@pytest.fixture(scope="session")
def daily_capture(daily_paths: list[Path]) -> Capture:
    """Return the newest daily capture, read once for the whole session."""
    return read_capture(daily_paths[-1])
