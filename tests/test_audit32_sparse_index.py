"""A sparse index (`index.sparse=true` in a cone-mode sparse checkout) (audit): synced.

git's sparse index keeps each folder a cone-mode sparse checkout leaves out as one entry
(extension `sdir`), a format libgit2 cannot read. The sync had git join a split index
libgit2 cannot read, not this one: every `archiver sync` failed with "git cannot read the
repository: unsupported mandatory extension: 'sdir'; check it with `git fsck` and repair it
(or clone it afresh)". git now writes the index whole for it first (the same files); the
sync commits as in a full checkout, and its `git sparse-checkout reapply` makes the index
sparse again.

A real small archive cut to a few models, the sparse index made by git.
"""

from __future__ import annotations

from pathlib import Path

from archiver.capture.files import Capture
from tests.archive_helpers import git, head, keys_at, status_clean
from tests.small_captures import (
    copy_archive,
    small_captures,
    sync_small,
)
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


def test_a_sparse_index_syncs_as_a_full_checkout_and_stays_sparse(
    base: Path, cut: list[Capture], tmp_path: Path
) -> None:
    reference = copy_archive(base, tmp_path / "reference")
    sync_small(reference, cut[1])
    repo = copy_archive(base, tmp_path / "archive")
    git(repo, "update-index", "--refresh")
    git(repo, "sparse-checkout", "set", "--cone", "data/endpoint", "data/provider")
    git(repo, "config", "index.sparse", "true")
    git(repo, "sparse-checkout", "reapply")
    assert "data/model/" in git(repo, "ls-files", "--sparse").splitlines()

    log = sync_small(repo, cut[1])

    assert log.commit_id == head(repo) and status_clean(repo)
    assert keys_at(repo) == keys_at(reference)
    assert git(repo, "rev-parse", "HEAD^{tree}") == git(reference, "rev-parse", "HEAD^{tree}")
    assert "data/model/" in git(repo, "ls-files", "--sparse").splitlines()  # Sparse again.
    assert not (repo / "data" / "model").exists()
    assert git(repo, "fsck").strip() == ""
