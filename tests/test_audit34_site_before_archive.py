"""`archiver site --at` a time before the archive's first sync: one line naming that sync,
exit 1, as `show --at` and `price` say it (it exited 3 naming no sync, and wrote nothing)."""

from __future__ import annotations

from pathlib import Path

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
    repo = tmp_path_factory.mktemp("site-before") / "archive"
    log = sync_small(repo, with_models_only(capture, some_models(capture, 4)))
    assert log.commit_id and not log.failures, log.failures
    return repo, format_epoch(capture.time.replace(minute=0, second=0, microsecond=0))


def test_site_at_before_the_first_sync_names_it_as_show_does(
    archive: tuple[Path, str], tmp_path: Path
) -> None:
    repo, first = archive
    at = "2025-07-17T18:00:00Z"
    site = CliRunner().invoke(
        main, ["site", "--repo", str(repo), "--out", str(tmp_path / "s"), "--at", at]
    )
    show = CliRunner().invoke(main, ["show", "--repo", str(repo), "provider", "--all", "--at", at])
    assert show.exit_code == 1
    assert site.exit_code == show.exit_code
    assert site.stderr == show.stderr
    assert first in site.stderr and site.stderr.count("\n") == 1
    assert not (tmp_path / "s").exists()
