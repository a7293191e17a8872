"""A price upstream sends as a JSON number reads as the archived file spells it, everywhere.

The archive writes upstream's number `9e-7` as `9e-7` (`git log -p` shows that), but the
export's `price_*` columns and `price_moves.old`/`new`, and `archiver changes --json`'s
price moves, spelt it as Python does, `9e-07` (`2.5e-06` for `2.5e-6`): another text for
"the exact archived decimal", which a query matching the file's text missed. Two real
small syncs of one model with one endpoint's prices sent as numbers, the real export.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture, read_capture
from archiver.cli import main
from archiver.export import export_parquet
from archiver.paths import key_to_path
from tests.archive_helpers import git
from tests.small_captures import SMALL_DAILY, sync_small, with_endpoint_edited, with_models_only

MODEL, ENDPOINT = "z-ai/glm-5.2", "8a4a8285-addf-4bb6-87fc-707f6f9eb3c5"
PRICES = ({"prompt": 9e-7, "completion": 2.5e-6}, {"prompt": 8e-7, "completion": 3e-6})


def _priced(capture: Capture, prices: dict[str, float]) -> Capture:
    """Return the capture with one endpoint's prices sent as JSON numbers."""
    return with_endpoint_edited(
        capture, ENDPOINT, lambda endpoint: endpoint["pricing"].update(prices)
    )


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder holding the archive and its export."""
    root = tmp_path_factory.mktemp("price-spelling")
    for path, prices in zip(SMALL_DAILY, PRICES, strict=False):
        capture = with_models_only(read_capture(path), {MODEL})
        assert not sync_small(root / "archive", _priced(capture, prices)).failures
    export_parquet(root / "archive", root / "export")
    return root


def _spelt(root: Path, rev: str) -> dict[str, str]:
    """Return {SKU: its literal} of the endpoint's numeric prices in the archived file."""
    text = git(root / "archive", "show", f"{rev}:{key_to_path('endpoint', ENDPOINT)}")
    return dict(re.findall(r'^    "(prompt|completion)": ([-+.0-9eE]+),?$', text, re.MULTILINE))


def test_export_prices_are_spelt_as_archived(archive: Path) -> None:
    before, after = _spelt(archive, "HEAD~"), _spelt(archive, "HEAD")
    assert before == {"prompt": "9e-7", "completion": "2.5e-6"}
    with duckdb.connect() as connection:
        versions = connection.execute(
            f"SELECT price_prompt, price_completion FROM '{archive}/export/endpoints/*/*.parquet' "
            f"WHERE key = '{ENDPOINT}' ORDER BY valid_from"
        ).fetchall()
        moves = connection.execute(
            f"SELECT field, old, new FROM '{archive}/export/price_moves/*/*.parquet' "
            f"WHERE key = '{ENDPOINT}' ORDER BY field"
        ).fetchall()
    assert versions == [(s["prompt"], s["completion"]) for s in (before, after)]
    assert moves == [(f"pricing.{sku}", before[sku], after[sku]) for sku in sorted(before)]


def test_changes_json_spells_moves_as_archived(archive: Path) -> None:
    before, after = _spelt(archive, "HEAD~"), _spelt(archive, "HEAD")
    result = CliRunner().invoke(
        main, ["changes", "--repo", str(archive / "archive"), "--category", "endpoint", "--json"]
    )
    assert result.exit_code == 0, result.output
    moves = [
        (move["field"], move["old"], move["new"])
        for group in orjson.loads(result.stdout)
        for change in group["changes"]
        if change["key"] == ENDPOINT
        for move in change["prices"]
    ]
    assert moves == [(f"pricing.{sku}", before[sku], after[sku]) for sku in sorted(before)]
