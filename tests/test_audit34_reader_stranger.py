"""A --repo folder inside a person's own git repository (a project, a home folder under
git) that is no archive: the readers took that repository for an archive, wrote their
history index into its .git and answered as if it held an empty archive. Refused in one
line, nothing written; a subfolder of an archive still stands for the archive."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from tests.archive_helpers import stranger_repository


@pytest.mark.parametrize(
    "command", [["changes"], ["show", "provider", "--all"], ["log", "provider", "x"]]
)
def test_a_folder_inside_another_repository_is_refused_untouched(
    tmp_path: Path, command: list[str]
) -> None:
    home = stranger_repository(tmp_path)
    before = sorted(str(path) for path in (home / ".git").rglob("*"))
    result = CliRunner().invoke(main, [*command, "--repo", str(home / "project" / "notes")])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "not an archive" in errors[0]
    assert sorted(str(path) for path in (home / ".git").rglob("*")) == before
