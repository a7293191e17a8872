"""`telemetry.endpoint_series` given a folder of the archive, or a path that is not there.

`History("archive/data")` reads the archive, as `archiver telemetry --repo archive/data`
does, but the library's telemetry readers looked for `archive/data/data/telemetry` and
answered no samples; a mistyped path answered no samples too, as if none were recorded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import archiver
from tests.small_captures import small_daily, sync_small, with_models_only

MODEL = "openai/gpt-4.1"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("telemetry-path") / "archive"
    sync_small(path, with_models_only(small_daily()[0], {MODEL}))
    return path


def test_a_folder_of_the_archive_reads_the_archive(repo: Path) -> None:
    endpoint = archiver.History(repo).cost(MODEL, 1, 1)[0].endpoint
    assert endpoint is not None
    samples = archiver.telemetry.endpoint_series(repo, endpoint)
    assert samples
    for folder in (repo / "data", repo / "data" / "telemetry" / "endpoint"):
        assert archiver.telemetry.endpoint_series(folder, endpoint) == samples
        assert archiver.telemetry.endpoint_series(str(folder), endpoint) == samples
    assert archiver.telemetry.model_series(repo / "data", MODEL) == (
        archiver.telemetry.model_series(repo, MODEL)
    )


def test_a_path_that_is_no_folder_is_a_one_line_error(repo: Path) -> None:
    for path in (repo.parent / "archiv", repo / "README.md"):
        with pytest.raises(archiver.ArchiverError, match="not a git repository"):
            archiver.telemetry.endpoint_series(path, "x")
    assert archiver.telemetry.endpoint_series(repo, "no-such-endpoint") == []
