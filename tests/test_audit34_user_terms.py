"""Messages in the user's terms: a lock wait said as asked ("waited 0.3 s", not the
0.29996 s an output lock had left), and `checkout-recent --days` more than any calendar
holds checks out every day instead of "a date outside the years 1 to 9999"."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.archive.lock import output_lock
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.errors import StoreError
from tests.small_captures import small_captures, some_models, sync_small, with_models_only

__all__ = ["small_captures"]


def test_an_output_lock_wait_is_said_as_given(tmp_path: Path) -> None:
    out = tmp_path / "site"
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with output_lock(out, "site"):
            taken.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(30)
        with pytest.raises(StoreError) as refused, output_lock(out, "site", wait=0.3):
            pass
    finally:
        release.set()
        holder.join()
    assert "waited 0.3 s." in str(refused.value)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]) -> Path:
    """Return an archive of one sync of a cut small capture (telemetry included)."""
    capture = small_captures[0]
    repo = tmp_path_factory.mktemp("days") / "archive"
    assert sync_small(repo, with_models_only(capture, some_models(capture, 3))).commit_id
    return repo


@pytest.mark.parametrize("days", ["10000000", "100000000000000000000"])
def test_checkout_recent_with_more_days_than_the_calendar_keeps_them_all(
    archive: Path, days: str
) -> None:
    result = CliRunner().invoke(main, ["checkout-recent", "--repo", str(archive), "--days", days])
    assert result.exit_code == 0, result.output
    assert "0001-01-01" not in result.output
    assert (archive / "data" / "telemetry").is_dir()
