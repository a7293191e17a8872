"""Times a library user gives `History`, `build_site` and the telemetry readers.

A naive datetime counts as UTC (archiver.times), yet `History.price` and `History.cost`
compared it with the archive's aware epochs and raised TypeError; a `date`, or ISO text as
the telemetry readers and the command line take, raised AttributeError from deep inside.
Every one is now read as `--at` reads it, and anything else is a one-line ArchiverError.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import archiver
from tests.small_captures import small_daily, sync_small, with_models_only

MODEL = "openai/gpt-4.1"
NOON = datetime(2026, 7, 18, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of one model over the three small daily syncs."""
    path = tmp_path_factory.mktemp("times") / "archive"
    for capture in small_daily():
        sync_small(path, with_models_only(capture, {MODEL}))
    return path


def _endpoint(repo: Path) -> str:
    found = archiver.History(repo).cost(MODEL, 1, 1, at=NOON)[0].endpoint
    assert found is not None
    return found


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 7, 18, 12),  # naive: UTC
        datetime(2026, 7, 18, 14, tzinfo=timezone(timedelta(hours=2))),
        "2026-07-18T12:00:00Z",
        "2026-07-18T12:00",
    ],
)
def test_price_and_cost_read_a_naive_time_or_text_as_utc(repo: Path, at: Any) -> None:
    history = archiver.History(repo)
    assert history.price("model", MODEL, at) == history.price("model", MODEL, NOON)
    assert history.cost(MODEL, 1000, 100, at=at) == history.cost(MODEL, 1000, 100, at=NOON)
    assert history.entity_at("model", MODEL, at) == history.entity_at("model", MODEL, NOON)


def test_a_date_is_its_midnight_utc(repo: Path) -> None:
    history = archiver.History(repo)
    day, midnight = date(2026, 7, 18), datetime(2026, 7, 18, tzinfo=UTC)
    assert history.category_at("model", day) == history.category_at("model", midnight)
    assert history.entity_at("model", MODEL, day) == history.entity_at("model", MODEL, midnight)
    assert history.changes(since=day) == history.changes(since=midnight)
    assert history.changes(until=day) == history.changes(until=midnight)
    assert history.price("model", MODEL, day) == history.price("model", MODEL, midnight)
    assert history.cost(MODEL, 5, 5, at=day) == history.cost(MODEL, 5, 5, at=midnight)
    endpoint = _endpoint(repo)
    series = archiver.telemetry.endpoint_series
    assert series(repo, endpoint, since=day) == series(repo, endpoint, since=midnight)
    assert series(repo, endpoint, since=date(2026, 7, 19)) != series(repo, endpoint, since=day)


@pytest.mark.parametrize(
    "at",
    [
        1784000000,
        "yesterday",
        datetime.max.replace(tzinfo=timezone(timedelta(hours=-14))),
    ],
)
def test_a_time_that_cannot_be_read_is_a_one_line_archiver_error(
    repo: Path, at: Any, tmp_path: Path
) -> None:
    history = archiver.History(repo)
    calls: list[Callable[[], object]] = [
        lambda: history.entity_at("model", MODEL, at),
        lambda: history.category_at("model", at),
        lambda: history.changes(since=at),
        lambda: history.changes(until=at),
        lambda: history.price("model", MODEL, at),
        lambda: history.cost(MODEL, 1, 1, at=at),
        lambda: archiver.build_site(repo, tmp_path / "site", at=at),
        lambda: archiver.telemetry.endpoint_series(repo, "x", until=at),
    ]
    for call in calls:
        with pytest.raises(archiver.ArchiverError) as raised:
            call()
        assert "\n" not in str(raised.value)
    assert not (tmp_path / "site").exists()
