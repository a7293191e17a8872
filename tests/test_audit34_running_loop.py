"""`archiver.sync` called where an event loop runs: a notebook cell (Jupyter, IPython).

`asyncio.run` refuses to start inside a running loop, so the README's first call raised
RuntimeError there and left its fetch never awaited. The fetch now runs on a loop of its
own in a worker thread; the archive it writes is the one a plain script's sync writes.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

import archiver
from archiver.capture.files import Capture
from tests.small_captures import small_daily, with_models_only


def _sync(repo: Path, capture: Capture) -> archiver.SyncLog:
    replay = archiver.ReplayTransport(capture)
    options = archiver.SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time)
    return archiver.sync(repo, options)


def _tree(repo: Path) -> str:
    command = ["git", "-C", str(repo), "rev-parse", "HEAD^{tree}"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_a_sync_in_a_running_loop_writes_what_a_script_writes(tmp_path: Path) -> None:
    capture = with_models_only(small_daily()[0], {"openai/gpt-4.1"})

    async def cell() -> archiver.SyncLog:
        return _sync(tmp_path / "notebook", capture)

    log = asyncio.run(cell())
    assert log.commit_id is not None and not log.failures
    assert _sync(tmp_path / "script", capture).commit_id is not None
    assert _tree(tmp_path / "notebook") == _tree(tmp_path / "script")


def test_an_error_of_the_fetch_is_not_chained_to_the_loop_check() -> None:
    from archiver.upstream.loop import run_to_end

    async def failing() -> None:
        raise LookupError("from the fetch")

    with pytest.raises(LookupError) as raised:
        run_to_end(failing())
    assert raised.value.__context__ is None
