"""A reader asked for a key no entity can be archived under says it is not in the archive.

SPEC: a key that would escape data/ (`..`, an empty segment, `.git`, over-long) "is rejected
with a clear error and never written". README (`price`, `cost`): "An unknown entity ... is a
one-line error naming what was asked and what exists (exit 1)". `archiver show model ../x`,
`log`, `price` and `cost` answered with the sync's refusal instead: "refusing model key
'../x': ...; nothing was written for it" and exit 3 ("the command could not run at all"),
from commands that write nothing, where `show endpoint nope` says "no endpoint 'nope' in
the archive", exit 1. Now they say that too, with the reason the key cannot be one.
A real small archive (one real sync of a cut small capture), the command line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from tests.small_captures import small_captures, some_models, sync_small, with_models_only

__all__ = ["small_captures"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]) -> Path:
    """Return an archive of one sync of a cut small capture."""
    capture = small_captures[0]
    repo = tmp_path_factory.mktemp("reader-unsafe-key") / "archive"
    log = sync_small(repo, with_models_only(capture, some_models(capture, 16)))
    assert log.commit_id and not log.failures, log.failures
    return repo


@pytest.mark.parametrize(
    ("args", "asked", "why"),
    [
        (["show", "model", "../x"], "model '../x'", "would escape data/"),
        (["show", "provider", "a//b", "--at", "2026-07-18"], "provider 'a//b'", "empty segment"),
        (["log", "endpoint", ".git"], "endpoint '.git'", "git's own folder"),
        (["log", "model", "x/" + "a" * 300, "--json"], "model 'x/aaa", "characters"),
        (["price", "endpoint", ".."], "endpoint '..'", "would escape data/"),
        (["cost", "../x", "--input", "1", "--output", "1"], "model '../x'", "would escape"),
    ],
)
def test_a_key_no_entity_can_have_is_not_in_the_archive(
    archive: Path, args: list[str], asked: str, why: str
) -> None:
    result = CliRunner().invoke(main, [*args, "--repo", str(archive)])
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: no {asked}") and " in the archive" in result.stderr
    assert why in result.stderr
    assert "written" not in result.stderr
    assert result.stderr.count("\n") == 1
