"""A git identity git accepts and libgit2 refuses (audit): the sync commits as git would.

`user.email = <ann@example.org>` (the angle brackets typed in, as a commit shows them) or
`user.name = Ann <Smith>`: git trims and drops those characters and commits. libgit2 refuses
a signature holding them, so every sync fetched everything and then failed with "failed to
parse signature ...; free disk space or fix permissions", exit 3, hour after hour. A name
that is nothing but spaces failed the same way. The sync now names the author and committer
as git writes them (`git var GIT_AUTHOR_IDENT`), and its own name where git has none.

A real small archive cut to a few models, the identity set in its real git config.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.archive.store import DEFAULT_NAME
from archiver.capture.files import Capture
from tests.archive_helpers import git, head, status_clean
from tests.small_captures import (
    copy_archive,
    small_captures,
    sync_small,
)
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


def ident(repo: Path, role: str) -> str:
    """Return who git would name in a commit made now, without the time."""
    return git(repo, "var", f"GIT_{role}_IDENT").rsplit(" ", 2)[0]


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ("Ann <Smith>", "<ann@example.org>", "Ann Smith <ann@example.org>"),
        ("   ", "ann@example.org", f"{DEFAULT_NAME} <ann@example.org>"),
    ],
)
def test_the_sync_commits_under_an_identity_libgit2_would_refuse(
    base: Path,
    cut: list[Capture],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    email: str,
    expected: str,
) -> None:
    for variable in ("NAME", "EMAIL"):
        for role in ("AUTHOR", "COMMITTER"):
            monkeypatch.delenv(f"GIT_{role}_{variable}", raising=False)
    repo = copy_archive(base, tmp_path / "archive")
    git(repo, "config", "user.name", name)
    git(repo, "config", "user.email", email)

    log = sync_small(repo, cut[1])

    assert log.commit_id == head(repo) and status_clean(repo)
    shown = git(repo, "log", "-1", "--format=%an <%ae>%n%cn <%ce>").splitlines()
    assert shown == [expected, expected]
    if name.strip():  # git itself commits under this identity: the same one.
        assert ident(repo, "AUTHOR") == ident(repo, "COMMITTER") == expected
    assert git(repo, "fsck").strip() == ""
