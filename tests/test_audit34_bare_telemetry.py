"""A bare repository has no work tree, so no telemetry to read: site and telemetry say so.

`archiver site --repo archive.git` (a bare mirror, as a server keeps one) built every page
with no latency, throughput or status anywhere, and exit 0; `archiver telemetry --repo
archive.git endpoint ID` said "no telemetry for endpoint ID", when HEAD holds all of it. Both
read telemetry from the work tree; a sparse checkout that leaves it out was refused already.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from tests.archive_helpers import keys_at
from tests.small_captures import small_daily, some_models, sync_small, with_models_only


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a bare clone of an archive of one small day cut to a few models."""
    folder = tmp_path_factory.mktemp("bare")
    day = small_daily()[0]
    sync_small(folder / "archive", with_models_only(day, some_models(day, 8, featured=2)))
    command = ["git", "clone", "-q", "--bare", str(folder / "archive"), str(folder / "a.git")]
    subprocess.run(command, check=True)
    return folder / "a.git"


def run(*args: str) -> tuple[int, str]:
    """Return an `archiver` command's exit code and output."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_telemetry_of_a_bare_repository_is_refused_not_reported_missing(bare: Path) -> None:
    endpoint = min(keys_at(bare)["endpoint"])
    code, output = run("telemetry", "endpoint", endpoint, "--repo", str(bare))
    assert code == 3, output
    assert "bare repository" in output and "no telemetry" not in output


def test_a_site_of_a_bare_repository_is_refused_not_built_without_figures(
    bare: Path, tmp_path: Path
) -> None:
    code, output = run("site", "--repo", str(bare), "--out", str(tmp_path / "site"))
    assert code == 3, output
    assert "bare repository" in output
    assert not (tmp_path / "site").exists()


def test_history_still_reads_a_bare_repository(bare: Path) -> None:
    model = min(keys_at(bare)["model"])
    code, output = run("log", "model", model, "--repo", str(bare))
    assert code == 0, output
    assert "added" in output
