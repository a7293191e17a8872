"""An import cut short and run again with the same captures says which captures to give.

An import killed after some captures (Ctrl-C, a job's timeout) leaves the archive at the
last capture synced; run again with the same files, it is refused because the first ones
are now older than the archive. The refusal told only to "import older captures into a new
archive first": now it names the captures from the archive's latest sync on, and giving
those finishes the archive as one uninterrupted import would have.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from archiver.backfill import import_captures
from archiver.cli import main
from tests.archive_helpers import git, head
from tests.small_captures import SMALL_V1_MODELS


def run_import(repo: Path, *captures: Path) -> Result:
    """Run `archiver import` on the command line."""
    return CliRunner().invoke(main, ["import", "--repo", str(repo), *map(str, captures)])


def history(repo: Path) -> list[str]:
    """Return each commit's tree and sync epoch, oldest first."""
    log = git(repo, "log", "--reverse", "--format=%T %(trailers:key=Sync-Epoch,valueonly)")
    return [" ".join(line.split()) for line in log.splitlines() if line.strip()]


def test_the_refusal_names_what_is_left_and_that_finishes_the_archive(tmp_path: Path) -> None:
    captures = SMALL_V1_MODELS[:5]
    whole = tmp_path / "whole"
    import_captures(whole, captures)
    cut = tmp_path / "cut"
    import_captures(cut, captures[:3])  # the archive an import killed after three leaves
    before = head(cut)
    result = run_import(cut, *reversed(captures))
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    line = result.output.strip().splitlines()[-1]
    assert "2 capture(s) older than the archive's latest sync" in line
    assert f"to go on with an import cut short, give only the 3 from {captures[2].name} (" in line
    assert head(cut) == before
    assert run_import(cut, *captures[2:]).exit_code == 0
    assert history(cut) == history(whole)


def test_with_nothing_left_to_import_only_the_new_archive_is_offered(tmp_path: Path) -> None:
    repo = tmp_path / "archive"
    import_captures(repo, SMALL_V1_MODELS[1:2])
    result = run_import(repo, SMALL_V1_MODELS[0])
    assert result.exit_code == 3, result.output
    line = result.output.strip().splitlines()[-1]
    assert "cut short" not in line and "into a new archive first" in line
