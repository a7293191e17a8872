"""The export prices an endpoint exactly when `archiver price` does: a price too far from 1.

`archiver price`, `cost` and `changes` read a price whose exponent is past 1,000
("1e-5000") as no price, shown as archived. The export read it as a decimal: its exact column
held "1e-5000" and its double 0.0, so the README's DuckDB query for the price of a model on
each provider listed that endpoint as free, while `archiver cost` listed it without a cost.
A real small archive, one real sync of an edited real capture, the command line.
(Found by a helper's hunt comparing the export with the history commands.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
from click.testing import CliRunner

import tests.small_captures as small
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.export import export_parquet
from tests.small_captures import small_captures

__all__ = ["small_captures"]
FAR = "1e-5000"


def _far_priced(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "pricing": {**item["pricing"], "prompt": FAR, "completion": "0.0000020"}}


def test_a_price_the_commands_hold_as_none_is_none_in_the_export(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    keys = small.some_models(small_captures[0], 4, featured=1)
    edited, (endpoint,) = small.with_first_endpoints_edited(
        small.with_models_only(small_captures[0], keys), [_far_priced]
    )
    repo, out = tmp_path / "archive", tmp_path / "export"
    log = small.sync_small(repo, edited)
    assert log.commit_id and not log.failures, log.failures
    export_parquet(repo, out)

    result = CliRunner().invoke(
        main, ["price", "--repo", str(repo), "endpoint", endpoint, "--json"]
    )
    assert result.exit_code == 0, result.output
    told = orjson.loads(result.stdout)
    assert [entry["field"] for entry in told["unpriced"]] == ["prompt"]
    assert {sku["field"]: sku["price"] for sku in told["skus"]}["completion"] == "0.0000020"

    rows = pq.read_table(out / "endpoints").to_pylist()
    (row,) = [row for row in rows if row["key"] == endpoint]
    assert orjson.loads(row["json"])["pricing"]["prompt"] == FAR  # Kept exactly.
    assert (row["price_prompt"], row["price_prompt_usd"]) == (None, None)
    assert (row["price_completion"], row["price_completion_usd"]) == ("0.0000020", 2e-06)
