"""The Python API: every public name resolves, and the README's example runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import archiver
from archiver.capture.replay import ReplayServer

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_public_name_resolves_to_what_it_names() -> None:
    for name in archiver.__all__:
        value = getattr(archiver, name)
        assert value is not None, name
        if isinstance(value, type) or (callable(value) and name != "Category"):
            assert value.__module__.startswith("archiver."), name
    assert archiver.History.__module__ == "archiver.history.api"


def test_the_readme_python_example_runs(daily_paths: list[Path], tmp_path: Path) -> None:
    section = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
    example = re.findall(r"```python\n(.+?)\n```", section, re.S)[0]
    with ReplayServer(daily_paths[-1]) as server:
        env = {**os.environ, "ARCHIVER_BASE_URL": server.base_url}
        done = subprocess.run(
            [sys.executable, "-c", example], cwd=tmp_path, env=env, capture_output=True, text=True
        )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Sync ") and len(lines[0].split()[-1]) == 40  # the commit id
    assert lines[-1].endswith(" pages") and int(lines[-1].split()[0]) > 100
    assert (tmp_path / "site" / "index.html").exists()
