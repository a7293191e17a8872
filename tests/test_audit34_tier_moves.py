"""A long-context tier added in front of another, or the tiers reordered, moves no price.

Price moves were matched by place in `pricing.overrides`: when an endpoint priced from 128K
prompt tokens gained a 32K tier listed first (as OpenRouter lists Qwen's, lowest first),
`archiver changes --json` gave the change class `price_down` with moves "overrides[0].prompt
0.00000195 -> 0.00000156, -20%" that no price made, the export's `price_moves` table held
them and the site's cards showed "▼ 20%", while the summary said, rightly, "input above 32K
tokens price added". The same tiers in another order read as a +25% and a -20% move. Tiers
are now matched by `min_prompt_tokens`, as the summaries match them. Real small syncs of one
model whose endpoint carries Qwen3 Max Thinking's real tiers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from archiver.capture.files import read_capture
from archiver.cli import main
from archiver.export import export_parquet
from tests.small_captures import SMALL_DAILY, sync_small, with_endpoint_edited, with_models_only

MODEL, ENDPOINT = "z-ai/glm-5.2", "8a4a8285-addf-4bb6-87fc-707f6f9eb3c5"
T32 = {"completion": "0.0000078", "min_prompt_tokens": 32000, "prompt": "0.00000156"}
T128 = {"completion": "0.00000975", "min_prompt_tokens": 128000, "prompt": "0.00000195"}
CHEAPER_128 = {**T128, "prompt": "0.00000156"}
# One tier; a second added in front; the two swapped; the 128K one cheaper, moved back.
STEPS = ([T128], [T32, T128], [T128, T32], [T32, CHEAPER_128])


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an archive of one model whose endpoint's long-context tiers go through STEPS."""
    repo = tmp_path_factory.mktemp("tier-moves") / "archive"
    base = with_models_only(read_capture(SMALL_DAILY[-1]), {MODEL})
    for hour, tiers in enumerate(STEPS):

        def tiered(endpoint: dict[str, Any], tiers: list[dict[str, Any]] = tiers) -> None:
            endpoint["pricing"]["overrides"] = tiers

        capture = replace(base, time=base.time + timedelta(hours=hour))
        assert sync_small(repo, with_endpoint_edited(capture, ENDPOINT, tiered)).commit_id
    return repo


def _changes(repo: Path) -> list[dict[str, Any]]:
    """Return the endpoint's changes after its arrival, oldest first, as `changes --json`."""
    since = ["--since", "2026-07-19T16:00:00Z", "--category", "endpoint", "--json"]
    result = CliRunner().invoke(main, ["changes", "--repo", str(repo), *since])
    assert result.exit_code == 0, result.output
    syncs = orjson.loads(result.stdout)
    return [c for sync in reversed(syncs) for c in sync["changes"] if c["key"] == ENDPOINT]


def test_changes_json_moves_only_the_price_that_moved(archive: Path) -> None:
    found = _changes(archive)
    assert [c["prices"] for c in found] == [
        [],
        [],
        [
            {
                "field": "pricing.overrides[1].prompt",
                "old": "0.00000195",
                "new": "0.00000156",
                "percent": -20.0,
            }
        ],
    ]
    assert [[k for k in c["classes"] if k.startswith("price")] for c in found] == [
        [],
        [],
        ["price_down"],
    ]


def test_export_holds_only_the_price_that_moved(archive: Path, tmp_path: Path) -> None:
    export_parquet(archive, tmp_path / "export")
    moves = pq.read_table(tmp_path / "export" / "price_moves").to_pylist()
    assert [(m["key"], m["field"], m["old"], m["new"], m["direction"]) for m in moves] == [
        (ENDPOINT, "pricing.overrides[1].prompt", "0.00000195", "0.00000156", "down")
    ]
