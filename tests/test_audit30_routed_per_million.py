"""`archiver price --json` gives a routed price (-1) no price per million tokens.

OpenRouter lists -1 for the prompt and completion price of a router (openrouter/auto in the
real v1 captures): whatever the model routed to charges. The text and `shown` say so, but
`per_million` still multiplied the -1 ("-1000000"), a price a script reading the JSON sums
as minus a million dollars; the site, reading the same price, shows none.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from archiver.cli import main
from archiver.paths import key_to_path
from tests.archive_helpers import as_person

MODEL = "openrouter/auto"
# The v1 object of openrouter/auto in the 2026-06 captures, trimmed to what is priced.
V1 = {"id": MODEL, "name": "Auto Router", "pricing": {"prompt": "-1", "completion": "-1"}}


def _archive(tmp_path: Path) -> Path:
    """Return a repository with one sync commit holding the routed model."""
    repo = tmp_path / "archive"
    path = repo / key_to_path("model", MODEL)
    path.parent.mkdir(parents=True)
    path.write_bytes(orjson.dumps({"v1": V1}) + b"\n")
    as_person(repo, "init", "-q")
    as_person(repo, "add", "-A")
    as_person(repo, "commit", "-q", "-m", "Sync", "-m", "Sync-Epoch: 2026-06-07T18:00:00Z")
    return repo


def test_a_routed_price_has_no_price_per_million(tmp_path: Path) -> None:
    repo = _archive(tmp_path)
    result = CliRunner().invoke(main, ["price", "--repo", str(repo), "model", MODEL, "--json"])
    assert result.exit_code == 0, result.output
    skus = orjson.loads(result.output)["skus"]
    assert [(sku["field"], sku["price"]) for sku in skus] == [
        ("prompt", "-1"),
        ("completion", "-1"),
    ]
    assert [sku["per_million"] for sku in skus] == [None, None]
