"""`archiver price` shows a price sent as a JSON number as the archived file spells it.

The archive writes upstream's number `9e-7` as `9e-7` (audit 33 made the export and
`changes --json` read it so), but `archiver price`, which promises every SKU "as archived",
printed Python's spelling: `9e-07 per token` and `"price": "9e-07"` in `--json`, a text the
file does not hold (`2.5e-06` for `2.5e-6`). A real small sync of one model, one endpoint's
prices sent as numbers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import read_capture
from archiver.cli import main
from archiver.paths import key_to_path
from tests.small_captures import SMALL_DAILY, sync_small, with_endpoint_edited, with_models_only

MODEL, ENDPOINT = "z-ai/glm-5.2", "8a4a8285-addf-4bb6-87fc-707f6f9eb3c5"


def _numbers(endpoint: dict[str, Any]) -> None:
    """Send the endpoint's prices as JSON numbers."""
    endpoint["pricing"].update({"prompt": 9e-7, "completion": 2.5e-6})


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an archive of one model, one endpoint priced in JSON numbers."""
    repo = tmp_path_factory.mktemp("price-sheet-spelling") / "archive"
    capture = with_models_only(read_capture(SMALL_DAILY[-1]), {MODEL})
    assert not sync_small(repo, with_endpoint_edited(capture, ENDPOINT, _numbers)).failures
    return repo


def test_price_json_spells_skus_as_archived(archive: Path) -> None:
    text = (archive / key_to_path("endpoint", ENDPOINT)).read_text()
    assert re.search(r'"prompt": 9e-7,?$', text, re.MULTILINE), "not archived as a number"
    command = ["price", "--repo", str(archive), "endpoint", ENDPOINT]
    result = CliRunner().invoke(main, [*command, "--json"])
    assert result.exit_code == 0, result.output
    found = orjson.loads(result.stdout)
    skus = {sku["field"]: sku["price"] for sku in found["skus"]}
    assert (skus["prompt"], skus["completion"]) == ("9e-7", "2.5e-6")
    lines = CliRunner().invoke(main, command)
    assert lines.exit_code == 0, lines.output
    assert "9e-7 per token" in lines.output and "2.5e-6 per token" in lines.output
    assert "e-07" not in lines.output and "e-06" not in lines.output
