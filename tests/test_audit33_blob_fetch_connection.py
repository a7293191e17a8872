"""A partial clone's blob fetch that loses its connection tries again (audit).

The hourly jobs clone without blobs; the sync fetches the older files it reads (a shard's
latest file, weeks old; the files a fast-forward onto a newer remote head changes), the site
and the export the versions they read, each in one `git fetch` from the promisor remote.
When GitHub's git service failed that fetch for a moment (`error: RPC failed; HTTP 502`),
the reader failed at once: in the sync job, the hour was not archived. It now tries again
after a backoff, as the sync's own fetches and pushes do.

A real bare repository of a small real archive, a blob-less clone of it, and an upload-pack
(the program git runs on the remote's side of a fetch) that fails its first run with
GitHub's words.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest

from archiver import backoff
from archiver.archive.partial_clone import BlobReader
from tests.archive_helpers import UPLOAD_PACK, flaky_upload_pack, git
from tests.small_captures import eighth_base, small_captures

__all__ = ["eighth_base", "small_captures"]


def test_a_blob_fetch_that_lost_its_connection_once_reads_the_blob(
    eighth_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(eighth_base), str(bare))
    clone = tmp_path / "runner"
    command = ["git", "clone", "--quiet", "--depth", "1", "--filter=blob:none", "--no-checkout"]
    subprocess.run([*command, "-u", UPLOAD_PACK, f"file://{bare}", str(clone)], check=True)
    path = git(bare, "ls-tree", "-r", "--name-only", "HEAD", "--", "data/telemetry").split()[0]
    blob = git(bare, "rev-parse", f"HEAD:{path}").strip()
    repo = pygit2.Repository(str(clone))
    assert blob not in repo  # Left out by the clone: read, it is fetched.
    flaky = flaky_upload_pack(tmp_path)
    git(clone, "config", "remote.origin.uploadpack", str(flaky))
    monkeypatch.setattr(backoff, "GIT_FETCH_BACKOFF", 0.01)

    data = BlobReader(repo).data(blob)

    runs = (tmp_path / "runs").read_text()
    assert runs.count("x") == 2  # The fetch that failed, then the one that worked.
    assert data == (eighth_base / path).read_bytes()
