"""A capture answering no URL a sync asks for is refused, not imported as a silent no-op.

Recorded under another base URL (`/openrouter/api/v1/models`, a proxy's prefix) or with
URLs lacking their leading `/`, a capture imported as a sync that "fetched nothing" and
exited 0 with the capture's hour missing from history.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archiver.capture.files import Capture, CapturedResponse, read_capture, write_capture
from archiver.cli import main
from tests.archive_helpers import commit_count
from tests.small_captures import SMALL_V1_MODELS


def run_import(repo: Path, *captures: Path) -> Result:
    """Run `archiver import` on the command line."""
    return CliRunner().invoke(main, ["import", "--repo", str(repo), *map(str, captures)])


def rewritten(capture: Capture, folder: Path, prefix: str, cut: int = 0) -> Path:
    """Write the capture with every URL prefixed (its first `cut` characters dropped)."""
    path = folder / f"moved-{capture.time:%Y%m%dT%H%M%S}.jsonl.gz"
    responses = [
        CapturedResponse(r.method, prefix + r.url[cut:], r.status, r.body)
        for r in capture.responses
    ]
    write_capture(path, capture.time, capture.source, capture.note, responses)
    return path


@pytest.mark.parametrize(
    ("prefix", "cut", "shown"),
    [
        ("/openrouter", 0, "'/openrouter/api/v1/models'"),
        ("", 1, "'api/v1/models'"),
    ],
)
def test_a_capture_under_another_base_is_refused_before_any_sync(
    tmp_path: Path, prefix: str, cut: int, shown: str
) -> None:
    moved = rewritten(read_capture(SMALL_V1_MODELS[1]), tmp_path, prefix, cut)
    repo = tmp_path / "archive"
    result = run_import(repo, SMALL_V1_MODELS[0], moved, SMALL_V1_MODELS[2])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    line = result.output.strip().splitlines()[-1]
    assert moved.name in line and "answers no URL the archiver asks for" in line
    assert f"its URLs are like {shown}" in line
    assert "another base URL" in line
    assert not (repo / ".git").exists() or commit_count(repo) == 0


def test_an_absolute_url_of_the_right_path_still_imports(tmp_path: Path) -> None:
    absolute = rewritten(read_capture(SMALL_V1_MODELS[0]), tmp_path, "https://openrouter.ai")
    result = run_import(tmp_path / "archive", absolute)
    assert result.exit_code == 0, result.output
    assert commit_count(tmp_path / "archive") == 1
