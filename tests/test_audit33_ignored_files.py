"""A file git ignores where a sync writes a new one (audit 33).

Found and fixed: `archiver sync` refuses untracked files under data/ before it fetches,
but `git status` does not list a file git ignores (a `.gitignore` rule, `.git/info/exclude`,
`core.excludesFile`). One standing where the sync then wrote a new entity's file was
replaced without a word: a person's file lost. The sync now refuses it (exit 3, naming
the file), commits nothing and keeps the file.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.errors import StoreError
from archiver.paths import key_to_path
from archiver.sync import SyncOptions, sync
from archiver.times import format_epoch
from archiver.upstream import sources
from archiver.upstream.entities import catalog_key
from tests.archive_helpers import as_person, git, head
from tests.small_captures import small_captures, sync_small, with_models_only

__all__ = ["small_captures"]

MINE = b"my own notes, kept out of git\n"


@pytest.fixture
def grown(tmp_path: Path, small_captures: list[Capture]) -> tuple[Path, Capture, str]:
    """Return an archive of one model, the next hour's capture that adds a second, and the
    path of the second model's file (a new file to that sync)."""
    catalog = next(r for r in small_captures[0].responses if r.url == sources.CATALOG_MODELS)
    first, second = [catalog_key(e) for e in catalog.body["data"] if e.get("endpoint")][:2]
    repo = tmp_path / "archive"
    sync_small(repo, with_models_only(small_captures[0], {first}))
    later = with_models_only(small_captures[0], {first, second})
    later = Capture(later.time + timedelta(hours=1), later.source, later.note, later.responses)
    path = key_to_path("model", second)
    assert path not in git(repo, "ls-files", "data/model").split()
    return repo, later, path


def _sync(repo: Path, capture: Capture) -> None:
    replay = ReplayTransport(capture)
    sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time))


def _place(repo: Path, path: str) -> None:
    """Put a person's file at path, written well before the sync starts."""
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(MINE)
    os.utime(target, (1_700_000_000, 1_700_000_000))


@pytest.mark.parametrize("rule", ["info/exclude", ".gitignore"])
def test_a_sync_never_replaces_a_file_git_ignores(
    grown: tuple[Path, Capture, str], rule: str
) -> None:
    repo, later, path = grown
    if rule == ".gitignore":
        (repo / ".gitignore").write_text(f"/{path}\n")
        as_person(repo, "add", ".gitignore")
        as_person(repo, "commit", "-qm", "ignore a file")
    else:
        (repo / ".git/info/exclude").write_text(f"/{path}\n")
    _place(repo, path)
    assert git(repo, "status", "--porcelain", "--", "data") == ""  # git ignores it
    before = head(repo)
    with pytest.raises(StoreError, match="git ignores") as refused:
        _sync(repo, later)
    assert path in str(refused.value)
    assert (repo / path).read_bytes() == MINE
    assert head(repo) == before
    # Moved away, the next sync writes the new model.
    (repo / path).unlink()
    _sync(repo, later)
    assert path in git(repo, "ls-files", "data/model").split()


def test_the_command_line_names_the_ignored_file(grown: tuple[Path, Capture, str]) -> None:
    repo, later, path = grown
    (repo / ".git/info/exclude").write_text("*.json\n")
    _place(repo, path)
    with ReplayServer(later) as server:
        result = CliRunner().invoke(
            main,
            ["sync", "--repo", str(repo), "--base-url", server.base_url,
             "--epoch", format_epoch(later.time)],
        )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert path in result.output and "Traceback" not in result.output
    assert (repo / path).read_bytes() == MINE
    assert path not in git(repo, "ls-files", "data/model").split()
