"""`archiver.sync`, the README's first call, stays the function.

Importing a submodule binds it as an attribute of its package, so `archiver.sync` became
the module archiver/sync.py once anything loaded it: after `archiver.SyncOptions(...)`, or
after one `archiver.sync(...)`, a bot's next `archiver.sync("archive")` raised TypeError
('module' object is not callable). Run in a fresh interpreter, as a user's script is.
"""

from __future__ import annotations

import importlib
import os
import pydoc
import subprocess
import sys
from pathlib import Path

import archiver
from tests.small_captures import SMALL_V1_MODELS

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import sys
import archiver

capture = archiver.read_capture(sys.argv[2])
replay = archiver.ReplayTransport(capture)
options = archiver.SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time)
first = archiver.sync(sys.argv[1], options)
again = archiver.sync(sys.argv[1], options)
print(first.commit_id is not None, again.commit_id)
from archiver.sync import sync
print(archiver.sync is sync, callable(archiver.sync))
"""


def test_sync_called_twice_after_sync_options(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", SCRIPT, str(tmp_path / "archive"), str(SMALL_V1_MODELS[0])]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "None", "True", "True"]


def test_the_public_names_are_what_the_readme_says() -> None:
    importlib.import_module("archiver.sync")  # Loaded, as any import of it loads it.
    assert callable(archiver.sync) and archiver.sync.__module__ == "archiver.sync"
    for name in archiver.__all__:
        assert not isinstance(getattr(archiver, name), type(archiver)) or name == "telemetry"


def test_help_lists_the_public_names() -> None:
    """The README: "typed; `help(archiver)` lists them"; it listed none of the lazy names."""
    text = pydoc.plain(pydoc.render_doc(archiver))
    for name in ("class History", "class SyncOptions", "class FetchPolicy", "sync(repo"):
        assert name in text
    assert {"History", "sync", "path_to_key"} <= set(dir(archiver))
