"""The small real captures committed under tests/captures (see tests/captures/trim.py).

A few dozen models of each shared daily sweep and /api/v1/models capture, with every
oddity of the real data kept. Tests that need a real archive use these: they run without
../shared and sync in well under a second.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from archiver.archive.synclog import SyncLog
from archiver.capture.files import Capture, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync

HERE = Path(__file__).resolve().parent / "captures"
SMALL_DAILY = sorted((HERE / "daily").glob("*.jsonl.gz"))
SMALL_V1_MODELS = sorted((HERE / "v1-models").glob("*.jsonl.gz"))


@dataclass(frozen=True)
class SyncedArchive:
    """An archive built by syncing captures in order, with each sync's log, oldest first."""

    path: Path
    captures: list[Capture]
    logs: list[SyncLog]


def small_daily() -> list[Capture]:
    """Return the three small daily captures, oldest first."""
    assert SMALL_DAILY, f"no small captures under {HERE}; run tests/captures/trim.py"
    return [read_capture(path) for path in SMALL_DAILY]


def sync_small(repo: Path, capture: Capture | Path) -> SyncLog:
    """Sync one capture served in-process (no socket), with its capture time as the epoch."""
    if isinstance(capture, Path):
        capture = read_capture(capture)
    replay = ReplayTransport(capture)
    return sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time))


def copy_archive(source: Path, target: Path) -> Path:
    """Return a private copy of an archive (a real repository, work tree and .git)."""
    return Path(shutil.copytree(source, target, symlinks=True))


@pytest.fixture(scope="session")
def small_captures() -> list[Capture]:
    """Return the three small daily captures, read once for the session."""
    return small_daily()


@pytest.fixture(scope="session")
def small_base(tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]) -> Path:
    """Return an archive holding the first small daily capture (do not write to it)."""
    repo = tmp_path_factory.mktemp("small-base") / "archive"
    log = sync_small(repo, small_captures[0])
    assert log.commit_id and not log.failures, log.failures
    return repo


@pytest.fixture
def small_archive(small_base: Path, tmp_path: Path) -> Path:
    """Return a private copy of the small base archive, to sync into."""
    return copy_archive(small_base, tmp_path / "archive")
