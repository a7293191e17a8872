"""A sync's commit names the author and committer git itself would name.

The sync commits with libgit2, which reads neither GIT_AUTHOR_* (it used the committer's
name for both) nor GIT_CONFIG_GLOBAL nor `git -c` settings: someone who keeps their
identity there got commits by "openrouter-archiver" instead. git's own answer is read now,
in git's order: the role's environment variables, then author.* or committer.*, then
user.*, and the archiver's identity only when git has none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.archive.store import DEFAULT_EMAIL, DEFAULT_NAME
from tests.archive_helpers import git
from tests.small_captures import SMALL_DAILY, sync_small

IDENTITY_VARIABLES = [
    f"GIT_{role}_{part}" for role in ("AUTHOR", "COMMITTER") for part in ("NAME", "EMAIL")
]


@pytest.fixture
def capture_file() -> Path:
    """Return the first small daily capture's file."""
    return SMALL_DAILY[0]


@pytest.fixture
def no_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a global config file git reads, empty, with no other identity anywhere."""
    config = tmp_path / "global.gitconfig"
    config.write_text("")
    for name in IDENTITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GIT_CONFIG_COUNT", raising=False)
    return config


def _names(repo: Path) -> str:
    return git(repo, "log", "-1", "--format=%an <%ae> | %cn <%ce>").strip()


def test_without_an_identity_the_archiver_names_itself(
    tmp_path: Path, no_identity: Path, capture_file: Path
) -> None:
    repo = tmp_path / "archive"
    sync_small(repo, capture_file)
    me = f"{DEFAULT_NAME} <{DEFAULT_EMAIL}>"
    assert _names(repo) == f"{me} | {me}"


def test_the_global_config_git_reads_names_both(
    tmp_path: Path, no_identity: Path, capture_file: Path
) -> None:
    no_identity.write_text(
        "[user]\n\tname = Ada Archivist\n\temail = ada@example.org\n"
        "[committer]\n\temail = bot@example.org\n"
    )
    repo = tmp_path / "archive"
    sync_small(repo, capture_file)
    assert _names(repo) == "Ada Archivist <ada@example.org> | Ada Archivist <bot@example.org>"


def test_the_environment_names_each_role_first(
    tmp_path: Path,
    no_identity: Path,
    capture_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_identity.write_text("[user]\n\tname = Ada Archivist\n\temail = ada@example.org\n")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Hourly Job")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "actions@example.org")
    # `git -c` settings reach git through the environment, as a workflow's do.
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "author.email")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "job@example.org")
    repo = tmp_path / "archive"
    sync_small(repo, capture_file)
    assert _names(repo) == "Hourly Job <job@example.org> | Ada Archivist <actions@example.org>"
    # git itself names the same people for a commit made now.
    expected = git(repo, "var", "GIT_AUTHOR_IDENT").rsplit(" ", 2)[0]
    assert _names(repo).startswith(expected)
