"""The random-fault soak on the small captures: failed listings leave no noise version.

The full soak (the shared daily captures, 3% of listings failing, 10 seeds) is a bench,
bench/fault_soak.py: it takes minutes. This runs the same check on the small captures with
a higher failure rate, so that each seed fails several listings of every sync.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.capture.files import Capture
from tests.soak import check, random_failures, run

RATE = 0.1
SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def clean_states(
    tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]
) -> list[dict[str, str]]:
    """Return each sync's entity files of a fault-free run."""
    repo = tmp_path_factory.mktemp("soak-clean") / "archive"
    return run(repo, small_captures, [set() for _ in small_captures])


@pytest.mark.parametrize("seed", SEEDS)
def test_random_listing_failures_leave_no_noise_version(
    tmp_path: Path, small_captures: list[Capture], clean_states: list[dict[str, str]], seed: int
) -> None:
    failing = random_failures(small_captures, RATE, seed)
    repo = tmp_path / "archive"
    faulty = run(repo, small_captures, failing)
    assert check(repo, clean_states, faulty, small_captures, failing) == []
    # The faults did bite: some endpoint files lag behind the clean run.
    assert any(faulty[n] != clean_states[n] for n in range(1, len(small_captures)))
