"""A damaged repository (a ref to a missing commit, a lost tree) gets one line and exit 3.

Before, pygit2's own errors escaped as tracebacks from sync, import, changes and site.
Real small archives with real objects removed, the command line run in this process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archiver.cli import main
from tests.archive_helpers import git
from tests.small_captures import SMALL_DAILY, small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

MISSING_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _ref_to_a_missing_commit(repo: Path) -> None:
    """Point the branch at a commit the object database does not hold."""
    branch = git(repo, "symbolic-ref", "HEAD").strip()
    (repo / ".git" / branch).write_text(MISSING_COMMIT + "\n")


def _lost_tree(repo: Path) -> None:
    """Delete HEAD's root tree object (a loose object, as the archiver writes them)."""
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    (repo / ".git" / "objects" / tree[:2] / tree[2:]).unlink()


def _branches(repo: Path) -> dict[str, str]:
    """Return {branch: the id its ref file holds}."""
    return {path.name: path.read_text() for path in (repo / ".git/refs/heads").iterdir()}


def _one_line_exit_3(result: Result) -> str:
    """Assert exit 3 with one `Error:` line and no traceback; return that line."""
    assert result.exit_code == 3, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


@pytest.mark.parametrize(
    ("damage", "command"),
    [
        (_ref_to_a_missing_commit, ["changes"]),
        (_ref_to_a_missing_commit, ["import", str(SMALL_DAILY[1])]),
        (_ref_to_a_missing_commit, ["site"]),
        (_lost_tree, ["site"]),
    ],
)
def test_a_damaged_repository_is_one_line_and_exit_3(
    small_archive: Path, tmp_path: Path, damage: Callable[[Path], None], command: list[str]
) -> None:
    damage(small_archive)
    refs = _branches(small_archive)
    args = [*command, "--repo", str(small_archive)]
    if command[0] == "site":
        args += ["--out", str(tmp_path / "site")]

    result = CliRunner().invoke(main, args)

    line = _one_line_exit_3(result)
    assert "git fsck" in line
    assert _branches(small_archive) == refs  # Nothing was moved or repaired behind the user.
