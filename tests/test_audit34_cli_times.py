"""The CLI says how a pricing ended, and names times as every other line does.

`archiver price` said a pricing was "replaced at" the sync that removed its endpoint, when
no other pricing ever replaced it; `archiver telemetry` named the range of an empty answer
as `2026-07-20T00:00:00+00:00`, where every other line (and the `--since` it suggests in the
same line) reads `2026-07-19T15:00:00Z`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from tests.archive_helpers import keys_at
from tests.small_captures import small_daily, sync_small, with_models_only

MODEL = "stepfun/step-3.7-flash"
GONE = "10010a7e-dc0c-4a4a-adb4-d9e2527db49f"  # Ambient's endpoint, gone on 2026-07-19.


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an archive of 2026-07-18 and -19 cut to MODEL (read only by these tests)."""
    repo = tmp_path_factory.mktemp("cli-times")
    for day in small_daily()[1:]:
        sync_small(repo, with_models_only(day, {MODEL}))
    return repo


def run(repo: Path, *args: str) -> tuple[int, str]:
    """Return an `archiver` command's exit code and its output."""
    result = CliRunner().invoke(main, [*args, "--repo", str(repo)])
    return result.exit_code, result.output


def test_a_pricing_whose_endpoint_left_is_not_told_as_replaced(archive: Path) -> None:
    code, output = run(archive, "price", "endpoint", GONE, "--at", "2026-07-18T16:00:00Z")
    assert code == 0, output
    assert "replaced" not in output
    assert "since 2026-07-18T15:00:00Z, until 2026-07-19T15:00:00Z" in output


def test_an_empty_telemetry_range_is_named_in_utc_with_z(archive: Path) -> None:
    staying = min(keys_at(archive)["endpoint"])
    code, output = run(
        archive, "telemetry", "endpoint", staying, "--since", "2026-07-20T02:00:00+02:00",
        "--until", "2026-07-21T00:00:00Z",
    )  # fmt: skip
    assert code == 1
    assert "from 2026-07-20T00:00:00Z to 2026-07-21T00:00:00Z;" in output
    assert "+00:00" not in output
