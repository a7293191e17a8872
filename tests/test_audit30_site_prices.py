"""A price per million tokens reads on the site with the digits `archiver price` gives it.

The grid, the endpoint page and the model page's endpoint table rounded a price to four
places past $0.01 (half to even) and to eight below: a real cache read of $0.02145 read
$0.0214 beside the calculator's $0.02145 on the same page, $0.32175 read $0.3218, and a
paid price under $0.000000005 per million read $0.00, as if free.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.site import build_site
from tests.small_captures import small_daily, sync_small, with_first_endpoints_edited
from tests.small_captures import with_models_only as models_only

MODEL = "openai/gpt-4.1"
# Per-token prices: two real ones (the daily captures) and one far under a cent per million.
PRICES = {"prompt": "0.00000032175", "completion": "0.000000000000001"}
CACHE_READ = "0.00000002145"
SKUS = {"prompt": "Input", "completion": "Output", "input_cache_read": "Cache read"}
GRID_COLUMNS = {"prompt": "input", "completion": "output", "input_cache_read": "cache_read"}


def _odd_prices(endpoint: dict[str, Any]) -> dict[str, Any]:
    pricing = {**endpoint["pricing"], **PRICES, "input_cache_read": CACHE_READ}
    return {**endpoint, "pricing": pricing}


@pytest.fixture(scope="module")
def priced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Return (archive, site, endpoint id) of one model whose first endpoint has odd prices."""
    root = tmp_path_factory.mktemp("odd-prices")
    capture, edited = with_first_endpoints_edited(
        models_only(small_daily()[-1], {MODEL}), [_odd_prices]
    )
    log = sync_small(root / "archive", capture)
    assert log.commit_id and not log.failures, log.failures
    build_site(root / "archive", root / "site")
    return root / "archive", root / "site", edited[0]


def _cli_prices(repo: Path, key: str) -> dict[str, str]:
    """Return {price field: its price per million as `archiver price --json` gives it, as $}."""
    result = CliRunner().invoke(main, ["price", "--repo", str(repo), "endpoint", key, "--json"])
    assert result.exit_code == 0, result.output
    found = {}
    for sku in orjson.loads(result.output)["skus"]:
        if sku["field"] in SKUS:
            whole, _, decimals = f"{Decimal(sku['per_million']):,f}".partition(".")
            found[sku["field"]] = f"${whole}.{decimals.ljust(2, '0')}"
    assert set(found) == set(SKUS)
    return found


def test_the_grid_shows_the_command_lines_digits(priced: tuple[Path, Path, str]) -> None:
    repo, site, key = priced
    grid = orjson.loads((site / "grid.json").read_bytes())
    row = grid["ids"].index(key)
    for field, expected in _cli_prices(repo, key).items():
        column = grid["columns"][GRID_COLUMNS[field]]
        assert column["values"][column["codes"][row]][1] == expected, field


def test_the_endpoint_and_model_pages_show_the_command_lines_digits(
    priced: tuple[Path, Path, str],
) -> None:
    repo, site, key = priced
    expected = _cli_prices(repo, key)
    page = html.unescape((site / "endpoint" / f"{key}.html").read_text())
    for field, label in SKUS.items():
        shown = re.search(rf"<dt>{label}</dt><dd>([^<]*)</dd>", page)
        assert shown and shown.group(1).split()[0] == expected[field], (field, shown)
    model = html.unescape((site / "model" / "openai" / "gpt-4.1.html").read_text())
    row = model[model.index(f"{key}.html") :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'<td class="num[^"]*" data-v="[^"]*">([^<]*)</td>', row)
    assert cells[:3] == [expected[field] for field in SKUS], cells
