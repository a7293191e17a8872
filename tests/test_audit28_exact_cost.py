"""`archiver cost` and `archiver price` are exact whatever the number of digits of a price.

README: the cost is "input x prompt + output x completion + the per-request fee, exact", and
`--json` "prints exact decimals". Python's decimals keep 28 digits unless told otherwise, so
a price with more of them (a float's tail upstream, `0.000000150000000000000012` times a
long prompt, or a tiny price beside a fee) came out rounded: `1000.0000001` for
`1000.0000001000000000000000000000000001`, in the total, its text and the price per M.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from pathlib import Path

import orjson
from click.testing import CliRunner

from archiver.cli import main
from tests.archive_helpers import as_person

ID = "0201e32d-e7d4-4307-850a-67c239dd2ba9"
PROMPT = "0.00000012345678901234567890123456789"
ENDPOINT = {
    "id": ID,
    "model_variant_slug": "a/b",
    "provider_info": "deepinfra",
    "provider_slug": "deepinfra",
    "pricing": {"prompt": PROMPT, "completion": "0.000001", "request": "1000"},
}


def _archive(tmp_path: Path) -> Path:
    """Return a repository with one sync commit holding the endpoint."""
    repo = tmp_path / "archive"
    (repo / "data/endpoint").mkdir(parents=True)
    (repo / f"data/endpoint/{ID}.json").write_bytes(orjson.dumps(ENDPOINT) + b"\n")
    as_person(repo, "init", "-q")
    as_person(repo, "add", "-A")
    as_person(repo, "commit", "-q", "-m", "Sync", "-m", "Sync-Epoch: 2026-07-17T18:00:00Z")
    return repo


def _json(repo: Path, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(main, [*args, "--repo", str(repo), "--json"])
    assert result.exit_code == 0, result.output
    found: dict[str, object] = orjson.loads(result.output)
    return found


def test_a_cost_is_exact_past_28_digits(tmp_path: Path) -> None:
    repo = _archive(tmp_path)
    found = _json(repo, "cost", "a/b", "--input", "123456789", "--output", "7")
    cost = found["costs"][0]  # type: ignore[index]
    with localcontext(prec=100):  # The reference's own arithmetic, exact at these sizes.
        exact = 123456789 * Decimal(PROMPT) + 7 * Decimal("0.000001") + 1000
    assert exact == Decimal("1015.24158575171467887517146788750190521")
    assert Decimal(cost["cost"]) == exact
    assert cost["cost_text"] == f"${format(exact, ',f').rstrip('0')}"


def test_a_price_per_million_is_exact_past_28_digits(tmp_path: Path) -> None:
    repo = _archive(tmp_path)
    skus = _json(repo, "price", "endpoint", ID)["skus"]
    prompt = next(sku for sku in skus if sku["field"] == "prompt")  # type: ignore[attr-defined]
    assert prompt["per_million"] == "0.12345678901234567890123456789"
    assert prompt["price"] == PROMPT
