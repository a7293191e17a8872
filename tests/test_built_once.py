"""A build the xdist workers share is made once per run, and redone after a failed one.

The workers are separate processes; here two temp path factories under one run folder
stand for two of them, as xdist lays them out (<run>/popen-gw0, <run>/popen-gw1).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.archive_helpers import built_once


def worker_factory(run: Path, worker: str) -> pytest.TempPathFactory:
    """Return the temp path factory an xdist worker of a run has."""
    return pytest.TempPathFactory(run / f"popen-{worker}", retention_count=1,
                                  retention_policy="all", trace=lambda *_: None,
                                  _ispytest=True)  # fmt: skip


def test_two_workers_share_one_build_and_a_failed_one_is_redone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    first, second = worker_factory(tmp_path, "gw0"), worker_factory(tmp_path, "gw1")
    builds: list[str] = []

    def slow_build(folder: Path) -> None:
        builds.append(folder.name)
        time.sleep(0.2)  # Long enough for the other worker to ask while this one builds.
        (folder / "made").write_text(str(len(builds)))

    other: list[Path] = []
    waiting = threading.Thread(target=lambda: other.append(built_once(second, "x", slow_build)))
    waiting.start()
    folder = built_once(first, "x", slow_build)
    waiting.join()
    assert other == [folder] and builds == ["x"]
    assert (folder / "made").read_text() == "1"

    def failing_build(folder: Path) -> None:
        (folder / "half").write_text("")
        raise RuntimeError("build failed")

    with pytest.raises(RuntimeError):
        built_once(first, "y", failing_build)
    redone = built_once(second, "y", slow_build)
    assert sorted(path.name for path in redone.iterdir()) == ["made"]
