"""checkout-recent acts only on an archive: a --repo inside a person's own git repository
(a project, a home folder under git) switched that repository to a sparse checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner

from archiver.cli import main


def _git(cwd: Path, *args: str) -> str:
    run = subprocess.run(
        ["git", "-c", "user.name=a", "-c", "user.email=a@b", "-C", str(cwd), *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return run.stdout


def _stranger(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "project" / "notes").mkdir(parents=True)
    (home / "a.txt").write_text("a\n")
    (home / "project" / "b.txt").write_text("b\n")
    _git(home, "init", "-q")
    _git(home, "add", "-A")
    _git(home, "commit", "-qm", "mine")
    return home


def test_folder_inside_another_repository_is_refused_untouched(tmp_path: Path) -> None:
    home = _stranger(tmp_path)
    config = (home / ".git" / "config").read_bytes()
    result = CliRunner().invoke(
        main, ["checkout-recent", "--repo", str(home / "project" / "notes")]
    )
    # Refused by --repo itself (a usage error, as for every command): a folder inside a
    # repository that is no archive.
    assert result.exit_code == 2
    assert "not an archive" in result.output
    assert (home / ".git" / "config").read_bytes() == config
    assert not (home / ".git" / "info" / "sparse-checkout").exists()


def test_top_of_a_repository_that_is_no_archive_is_refused(tmp_path: Path) -> None:
    home = _stranger(tmp_path)
    result = CliRunner().invoke(main, ["checkout-recent", "--repo", str(home)])
    assert result.exit_code == 3
    assert "not an archive" in result.output
    assert _git(home, "config", "core.sparseCheckout") == ""


def test_a_fresh_fork_holding_data_readme_is_an_archive(tmp_path: Path) -> None:
    fork = tmp_path / "fork"
    (fork / "data").mkdir(parents=True)
    (fork / "data" / "README.md").write_text("layout\n")
    _git(fork, "init", "-q")
    _git(fork, "add", "-A")
    _git(fork, "commit", "-qm", "fork")
    result = CliRunner().invoke(main, ["checkout-recent", "--repo", str(fork)])
    assert result.exit_code == 0, result.output
    assert "no telemetry yet" in result.output
