"""The README's commands run as written, and every CLI command and option is documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click

from archiver.capture.files import read_capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from tests.archive_helpers import capture_entities, commit_count, keys_at, status_clean

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
# The sparse patterns of CI's checkout (.github/workflows/ci.yml; tests/test_workflows.py
# checks they agree): everything but data/telemetry/.
CODE_ONLY = ["/*", "!/data/telemetry/"]


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
    """Run it as a new user would, in a fresh clone, against a replay: it makes its own venv."""
    install_and_sync, _ = quick_start_commands()
    # The command's `python3` is the interpreter running the tests (>= 3.11), not whatever
    # python3 the PATH holds; the virtual environment it makes downloads the dependencies.
    python_dir = tmp_path / "python"
    python_dir.mkdir()
    (python_dir / "python3").symlink_to(sys.executable)
    workdir = tmp_path / "project"
    # Without data/telemetry/, as CI checks this project out: in the archive's own repository
    # HEAD holds every day's telemetry files (gigabytes a year), which the quick start does not
    # read. A new user's whole clone differs only by those files.
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(workdir)], check=True)
    git_in_clone = ["git", "-C", str(workdir)]
    subprocess.run([*git_in_clone, "sparse-checkout", "set", "--no-cone", *CODE_ONLY], check=True)
    subprocess.run([*git_in_clone, "reset", "-q", "--hard", "HEAD"], check=True)
    _copy_work_tree(workdir)
    with ReplayServer(daily_paths[0]) as server:
        env = {
            **os.environ,
            "PATH": f"{python_dir}:{os.environ['PATH']}",
            "ARCHIVER_BASE_URL": server.base_url,
        }
        for inherited in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
            env.pop(inherited, None)
        done = subprocess.run(
            install_and_sync, shell=True, cwd=workdir, env=env, capture_output=True, text=True
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "archiver" in (workdir / ".venv" / "bin" / "archiver").read_text()
    archive = workdir / "archive"
    assert commit_count(archive) == 1
    # Every endpoint the replayed capture lists, counted from its responses independently.
    expected = capture_entities(read_capture(daily_paths[0]))
    assert keys_at(archive)["endpoint"] == expected.endpoints
    assert keys_at(archive)["model"] == expected.models
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
        # git lists a nested repository (the quick start's ./archive) as one entry "archive/":
        # it is not part of the project, so it is left out.
        if source.is_dir():
            continue
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
