"""An empty KEY has no telemetry; it never makes a sound telemetry file read as damaged.

`archiver telemetry endpoint "$ID"` with $ID unset searched the shard for the empty text,
which is found at every offset, ran past the file's end and said: "d.tsv is not a telemetry
file the archiver can read ...; restore it from history", exit 3, about a file that was fine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver import telemetry
from archiver.cli import main
from archiver.telemetry.reader import sample_in_force
from tests.small_captures import small_daily, some_models, sync_small, with_models_only


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an archive of two small days cut to a few models (read only by these tests)."""
    repo = tmp_path_factory.mktemp("empty-key")
    days = small_daily()[:2]
    keys = some_models(days[0], 8, featured=2)
    for day in days:
        sync_small(repo, with_models_only(day, keys))
    return repo


@pytest.mark.parametrize("kind", ["endpoint", "model", "model-variant"])
def test_the_empty_key_has_no_telemetry(archive: Path, kind: str) -> None:
    # The empty key's shard (sha1 da39...) holds lines: the search must read it, not fail.
    assert list((archive / "data/telemetry").glob("*/*/*/d.tsv"))
    result = CliRunner().invoke(main, ["telemetry", kind, "", "--repo", str(archive)])
    assert result.exit_code == 1, result.output
    assert f"no telemetry for {kind} ''" in result.output
    assert "restore it" not in result.output


def test_the_python_api_reads_no_samples_for_the_empty_key(archive: Path) -> None:
    assert telemetry.endpoint_series(archive, "") == []
    assert sample_in_force(archive, "endpoint", "", "2026-07-19T00:00:00Z") is None
