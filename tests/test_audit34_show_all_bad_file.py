"""`archiver show --all CATEGORY` with one file a person committed that is not JSON: the
rest printed, one `problem:` line naming the file, exit 1, as `changes` and the site do (it
printed nothing and exited 3)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from tests.small_captures import small_captures, some_models, sync_small, with_models_only

__all__ = ["small_captures"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]) -> Path:
    """Return an archive of one sync of a cut small capture, then a person's bad commit."""
    capture = small_captures[0]
    repo = tmp_path_factory.mktemp("show-all-bad") / "archive"
    assert sync_small(repo, with_models_only(capture, some_models(capture, 3))).commit_id
    bad = sorted((repo / "data" / "provider").glob("*.json"))[0]
    bad.write_text("not json\n")
    person = ["-c", "user.name=p", "-c", "user.email=p@example.com"]
    subprocess.run(["git", "-C", str(repo), *person, "commit", "-qam", "oops"], check=True)
    return repo


def test_show_all_prints_the_rest_and_names_the_bad_file(archive: Path) -> None:
    bad = sorted((archive / "data" / "provider").glob("*.json"))[0]
    files = list((archive / "data" / "provider").rglob("*.json"))
    result = CliRunner().invoke(main, ["show", "--repo", str(archive), "provider", "--all"])
    assert result.exit_code == 1
    shown = orjson.loads(result.stdout)
    assert len(shown) == len(files) - 1 and bad.stem not in shown
    problems = [line for line in result.stderr.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 1 and f"data/provider/{bad.name}" in problems[0]
