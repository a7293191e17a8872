"""Ctrl-C and SIGTERM: one line, the shell's status, and an archive the next run makes whole.

- Ctrl-C gave click's "Aborted!" and exit 1, the status the README gives a sync that
  finished with some data not archived: a script could not tell an interrupted sync from
  a partial one. It exits 130 now, in one line.
- Ctrl-C in the second or so the command modules take to import (pygit2, httpx) printed a
  KeyboardInterrupt traceback.
- SIGTERM (`timeout`, `kill`, a stopped service) ended the process at once without a word
  and without the cleanup Ctrl-C runs (a site build left its lock and its half-built folder
  beside --out). It stops as Ctrl-C does now, exit 143.

A real small archive, the replay server on loopback holding one response back so that the
signal finds the sync mid-fetch, the command line in child processes, git to check.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import tests.small_captures as small
from archiver.capture.faults import Fault
from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.times import format_epoch
from archiver.upstream import sources
from tests.archive_helpers import git, head, status_clean
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

HANG_GUARD_S = 120
# Imported in the child before the command modules' heavy imports: a Ctrl-C then.
CTRL_C_WHILE_IMPORTING = """
import builtins, os, runpy, signal, sys
real_import = builtins.__import__
def import_(name, *args, **kwargs):
    if name == "pygit2":
        os.kill(os.getpid(), signal.SIGINT)
    return real_import(name, *args, **kwargs)
builtins.__import__ = import_
sys.argv = ["archiver", *sys.argv[1:]]
runpy.run_module("archiver", run_name="__main__")
"""


def _ctrl_c_at_default() -> None:
    """Let the child take Ctrl-C as from a terminal (a test process may pass it on ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _ctrl_c_ignored() -> None:
    """Start the child as a shell starts a background job: Ctrl-C ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("stop", "start"),
    [
        (signal.SIGINT, _ctrl_c_at_default),
        (signal.SIGTERM, _ctrl_c_at_default),
        (signal.SIGTERM, _ctrl_c_ignored),
    ],
    ids=["ctrl-c", "sigterm", "sigterm-in-the-background"],
)
def test_a_sync_stopped_mid_fetch_says_so_and_the_next_sync_is_a_clean_one(
    small_archive: Path,
    small_captures: list[Capture],
    tmp_path: Path,
    stop: signal.Signals,
    start: Callable[[], None],
) -> None:
    before = head(small_archive)
    capture = small_captures[1]
    held = Fault(sources.CATALOG_MODELS, delay=HANG_GUARD_S)
    with ReplayServer(capture, faults=[held]) as server:
        command = [sys.executable, "-m", "archiver", "sync", "--repo", str(small_archive)]
        command += ["--base-url", server.base_url, "--epoch", format_epoch(capture.time)]
        with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=start,
        ) as process:
            deadline = time.monotonic() + HANG_GUARD_S  # A hang guard only.
            while not any(url.startswith(sources.CATALOG_MODELS) for url in server.requests):
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            process.send_signal(stop)
            _, stderr = process.communicate(timeout=HANG_GUARD_S)
    assert process.returncode == 128 + stop
    assert "Traceback" not in stderr and "Aborted" not in stderr
    assert stderr.splitlines()[-1] == f"Error: stopped by {stop.name}"
    assert head(small_archive) == before and status_clean(small_archive)
    assert "error" not in git(small_archive, "fsck", "--no-progress").lower()

    clean = small.copy_archive(small_archive, tmp_path / "clean")
    assert small.sync_small(clean, capture).commit_id
    assert small.sync_small(small_archive, capture).commit_id
    assert git(small_archive, "rev-parse", "HEAD^{tree}") == git(clean, "rev-parse", "HEAD^{tree}")


def test_ctrl_c_while_the_commands_import_is_one_line(small_archive: Path) -> None:
    command = [sys.executable, "-c", CTRL_C_WHILE_IMPORTING, "log", "model", "openai/gpt-4.1"]
    done = subprocess.run(
        [*command, "--repo", str(small_archive)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        preexec_fn=_ctrl_c_at_default,
    )
    assert (done.returncode, done.stderr, done.stdout) == (130, "Error: stopped by SIGINT\n", "")


def test_sigterm_stops_a_site_build_as_ctrl_c_does(small_archive: Path, tmp_path: Path) -> None:
    beside = tmp_path / "sites"
    beside.mkdir()
    out = beside / "site"
    command = [sys.executable, "-m", "archiver", "site", "--repo", str(small_archive)]
    command += ["--out", str(out), "--no-cache"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        deadline = time.monotonic() + HANG_GUARD_S  # A hang guard only.
        while not (beside / ".site.building").exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=HANG_GUARD_S)
    assert process.returncode == 143
    assert stderr.decode().splitlines()[-1] == "Error: stopped by SIGTERM"
    # Its lock let go and its half-built folder removed, as after a Ctrl-C.
    assert sorted(path.name for path in beside.iterdir()) == []
