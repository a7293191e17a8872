"""`archiver show --at` a time before the archive's first sync is a one-line error, exit 1.

`price` and `cost` refuse such a time naming the first sync (README: "a time before the
archive's first sync ... is a one-line error"), and so does `site --at`. But `show --all
--at` printed `{}` and exit 0, an empty catalog the archive never recorded: a script saving
`archiver show --at 2025-07-18 --all endpoint > endpoints-then.json` (a year mistyped) got
an empty file and no error. `show KEY --at` said the entity was not in the archive then.
A real small archive (one real sync of a cut small capture), the command line.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.times import format_epoch
from tests.small_captures import small_captures, some_models, sync_small, with_models_only

__all__ = ["small_captures"]


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]
) -> tuple[Path, str]:
    """Return (an archive of one sync of a cut small capture, that sync's epoch)."""
    capture = small_captures[0]
    repo = tmp_path_factory.mktemp("show-before") / "archive"
    log = sync_small(repo, with_models_only(capture, some_models(capture, 16)))
    assert log.commit_id and not log.failures, log.failures
    return repo, format_epoch(capture.time.replace(minute=0, second=0, microsecond=0))


def _show(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["show", "--repo", str(repo), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("what", [["--all"], ["KEY"]])
def test_a_time_before_the_first_sync_is_refused_naming_it(
    archive: tuple[Path, str], what: list[str]
) -> None:
    repo, first = archive
    code, output, _ = _show(repo, "provider", "--all", "--at", first)
    providers = orjson.loads(output)
    assert code == 0 and providers
    asked = [next(iter(providers))] if what == ["KEY"] else what
    code, output, error = _show(repo, "provider", *asked, "--at", "2025-07-17T18:00:00Z")
    assert code == 1 and output == ""
    assert "before the archive began" in error and first in error
    assert error.count("\n") == 1
