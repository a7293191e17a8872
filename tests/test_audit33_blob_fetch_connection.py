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

from archiver.archive import partial_clone
from archiver.archive.partial_clone import BlobReader
from tests.archive_helpers import git
from tests.small_captures import eighth_base, small_captures

__all__ = ["eighth_base", "small_captures"]
GITHUB_502 = "error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502"
UPLOAD_PACK = "git -c uploadpack.allowfilter=1 -c uploadpack.allowanysha1inwant=1 upload-pack"


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
    runs = tmp_path / "runs"
    flaky = tmp_path / "flaky-upload-pack"
    flaky.write_text(
        f"#!/bin/sh\necho x >> '{runs}'\n"
        f"if [ $(wc -l < '{runs}') -le 1 ]; then echo '{GITHUB_502}' >&2; exit 1; fi\n"
        f'exec {UPLOAD_PACK} "$@"\n'
    )
    flaky.chmod(0o755)
    git(clone, "config", "remote.origin.uploadpack", str(flaky))
    monkeypatch.setattr(partial_clone, "GIT_FETCH_BACKOFF", 0.01)

    data = BlobReader(repo).data(blob)

    assert runs.read_text().count("x") == 2  # The fetch that failed, then the one that worked.
    assert data == (eighth_base / path).read_bytes()
