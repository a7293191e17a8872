"""The README's uptime-per-provider query counts each hour once, under the tag it had then.

The query joined the uptime rows on `SELECT DISTINCT key, provider_tag` of every version of
every endpoint: an endpoint whose provider tag changed (`parasail/fp4` to `parasail/fp8`)
had every hour it measured counted under both tags, the new tag credited with hours from
before it existed; and the test's independent answer did the same. Three real small syncs
of one model, one endpoint re-tagged from the second on, the real export, DuckDB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from archiver.capture.files import Capture
from archiver.export import export_parquet
from tests.small_captures import SMALL_DAILY, sync_small, with_endpoint_edited, with_models_only
from tests.test_export import readme_queries, uptime_by_tag, with_sources

MODEL, ENDPOINT, OLD_TAG, NEW_TAG = "z-ai/glm-5.2", "8a4a8285", "parasail/fp4", "parasail/fp8"


def _retagged(capture: Capture) -> Capture:
    """Return the capture with one endpoint of the model sent under another provider tag."""

    def retag(endpoint: dict[str, Any]) -> None:
        assert endpoint["provider_slug"] == OLD_TAG
        endpoint["provider_slug"] = NEW_TAG

    return with_endpoint_edited(capture, ENDPOINT, retag)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder holding `export/`: three syncs of one model, re-tagged from the second."""
    root = tmp_path_factory.mktemp("uptime-tags")
    for number, path in enumerate(SMALL_DAILY):
        capture = with_models_only(with_sources(path), {MODEL})
        log = sync_small(root / "archive", _retagged(capture) if number else capture)
        assert log.commit_id and not log.failures, log.failures
    export_parquet(root / "archive", root / "export")
    return root


def test_readme_uptime_counts_each_hour_under_the_tag_it_had(exported: Path) -> None:
    sql = readme_queries()[4]
    assert f"model = '{MODEL}'" in sql
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute(f"SET file_search_path = '{exported}'")
        rows = connection.execute(sql).fetchall()
    expected = uptime_by_tag(exported / "archive", MODEL, "2026-07")
    assert expected[OLD_TAG] and expected[NEW_TAG]  # The re-tag is within the month's hours.
    assert {tag: hours for tag, _, hours in rows} == {
        tag: len(values) for tag, values in expected.items() if values
    }
    for tag, mean, hours in rows:
        assert mean == pytest.approx(sum(expected[tag]) / hours, rel=1e-12)
