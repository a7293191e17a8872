"""`export OUT --publish DIR` with DIR inside OUT, or OUT inside DIR, is refused at once.

A mirror inside OUT (`export out --publish out/pub`) was exported with OUT's own files: each
run mirrored the last mirror one level deeper (out/pub/pub/...), and the third found a
folder no export writes and refused, stopping the hourly export for good. OUT inside DIR
(`export site/x --publish site`) exported, then refused on the export's own lock file.
Now both are one error line (exit 3) before any work; a real small archive, the command line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]


@pytest.mark.parametrize(("out", "publish"), [("out", "out/pub"), ("site/x", "site")])
def test_publish_inside_the_export_or_holding_it_is_refused_first(
    small_archive: Path, tmp_path: Path, out: str, publish: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    command = ["export", "--repo", str(small_archive), str(work / out)]
    result = CliRunner().invoke(main, [*command, "--publish", str(work / publish)])
    assert result.exit_code == 3, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("Error: --publish ")
    assert list(work.iterdir()) == []  # Refused before any work.


def test_a_link_into_the_export_is_refused_too(small_archive: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "site").symlink_to(tmp_path / "out")
    command = ["export", "--repo", str(small_archive), str(tmp_path / "out")]
    result = CliRunner().invoke(main, [*command, "--publish", str(tmp_path / "site" / "pub")])
    assert result.exit_code == 3 and "one inside the other" in result.output
    assert list((tmp_path / "out").iterdir()) == []
