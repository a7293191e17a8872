"""The README's commands run as written, and every CLI command and option is documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import click

from archiver.capture.replay import ReplayServer
from archiver.cli import main
from tests.archive_helpers import commit_count, keys_at, status_clean

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    """Return the shell commands of the README's Quick start section."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)[:2]


def test_quick_start_has_two_commands() -> None:
    install_and_sync, install_and_test = quick_start_commands()
    assert "archiver sync" in install_and_sync
    assert "pytest" in install_and_test


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, install_and_test = quick_start_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install_and_test in ci_lines


def test_first_quick_start_command_installs_and_syncs(
    daily_paths: list[Path], tmp_path: Path
) -> None:
    """Run it as a new user would, in a fresh virtual environment, against a replay."""
    install_and_sync, _ = quick_start_commands()
    env_dir = tmp_path / "venv"
    # System site-packages provide the dependencies offline; `pip install .` still builds
    # and installs this project into the new environment.
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    workdir = tmp_path / "project"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(workdir)], check=True)
    _copy_work_tree(workdir)
    with ReplayServer(daily_paths[0]) as server:
        env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "ARCHIVER_BASE_URL": server.base_url,
        }
        env.pop("PYTHONPATH", None)
        done = subprocess.run(
            install_and_sync, shell=True, cwd=workdir, env=env, capture_output=True, text=True
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "archiver" in (bin_dir / "archiver").read_text()
    archive = workdir / "archive"
    assert commit_count(archive) == 1
    assert len(keys_at(archive)["endpoint"]) > 1000
    assert status_clean(archive)


def _copy_work_tree(workdir: Path) -> None:
    """Bring uncommitted changes into the clone, so the test checks the tree under test."""
    diff = subprocess.run(
        ["git", "-C", str(ROOT), "diff", "HEAD", "--binary"], capture_output=True, check=True
    ).stdout
    if diff:
        subprocess.run(["git", "-C", str(workdir), "apply", "-"], input=diff, check=True)
    untracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, untracked):
        source = ROOT / name.decode()
        target = workdir / name.decode()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())


def test_every_command_and_option_is_in_the_readme() -> None:
    context = click.Context(main)
    assert isinstance(main, click.Group)
    for name, command in main.commands.items():
        assert f"archiver {name}" in README, f"`archiver {name}` is not in the README"
        for param in command.get_params(context):
            if "--help" in param.opts:
                continue
            spelled = param.opts[0] if isinstance(param, click.Option) else param.name.upper()
            assert f"`{spelled}" in README, f"{spelled} of `archiver {name}` is not in the README"


def test_python_m_archiver_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "archiver", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "sync" in done.stdout


def test_the_archive_layout_doc_is_the_one_every_sync_writes(
    daily_paths: list[Path], tmp_path: Path
) -> None:
    """data/README.md here, the packaged copy, and the one a fresh archive gets are one text."""
    from archiver.sync import layout_readme

    assert (ROOT / "data" / "README.md").read_bytes() == layout_readme()
    with ReplayServer(daily_paths[0]) as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "archiver",
                "sync",
                "--repo",
                str(tmp_path / "a"),
                "--base-url",
                server.base_url,
            ],
            capture_output=True,
            text=True,
        )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "a" / "data" / "README.md").read_bytes() == layout_readme()
    assert "data/** -text" in (tmp_path / "a" / ".gitattributes").read_text()
