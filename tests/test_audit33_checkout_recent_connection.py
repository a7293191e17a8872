"""`checkout-recent` whose fetch loses its connection tries again (audit).

The hourly jobs clone without blobs, and `archiver checkout-recent` makes git fetch the
newest days of telemetry as it checks them out. When GitHub's git service failed that fetch
for a moment (`error: RPC failed; HTTP 502`), the step failed at once: the sync job stopped
before its sync and the hour was not archived, though the same command a second later
worked. It now tries again after a backoff, as the sync's own fetches and pushes do.

A real bare repository of a small real archive, a blob-less sparse clone made as
actions/checkout makes the jobs', and an upload-pack (the program git runs on the remote's
side of a fetch) that fails its first run with GitHub's words.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from archiver import backoff
from archiver.telemetry.recent_checkout import check_out_recent
from tests.archive_helpers import UPLOAD_PACK, flaky_upload_pack, git
from tests.small_captures import eighth_base, small_captures

__all__ = ["eighth_base", "small_captures"]


def test_a_checkout_whose_fetch_lost_its_connection_once_checks_out_all(
    eighth_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = eighth_base  # Read only: cloned.
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(archive), str(bare))
    clone = tmp_path / "runner"
    command = ["git", "clone", "--quiet", "--depth", "1", "--filter=blob:none", "--no-checkout"]
    subprocess.run([*command, "-u", UPLOAD_PACK, f"file://{bare}", str(clone)], check=True)
    git(clone, "sparse-checkout", "set", "--no-cone", "/*", "!/data/telemetry/")
    git(clone, "checkout", "--quiet", "main")
    flaky = flaky_upload_pack(tmp_path)
    git(clone, "config", "remote.origin.uploadpack", str(flaky))
    monkeypatch.setattr(backoff, "GIT_FETCH_BACKOFF", 0.01)

    recent = check_out_recent(clone, days=3)

    runs = (tmp_path / "runs").read_text()
    assert runs.count("x") == 2  # The fetch that failed, then the one that worked.
    kept = git(archive, "ls-tree", "-r", "--name-only", "HEAD", "--", "data/telemetry").split()
    assert recent.last is not None and kept
    for path in kept:
        assert (clone / path).read_bytes() == (archive / path).read_bytes(), path
    assert git(clone, "status", "--porcelain") == ""
