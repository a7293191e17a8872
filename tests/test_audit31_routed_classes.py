"""A price moving to or from OpenRouter's routed -1 is a pricing change with no direction.

-1 in a pricing field means "priced by the model it routes to" (openrouter/auto): no price
of its own. The summaries said so already ("input $0.15 per M tokens -> routed (-1)"), but
the classification under them still called a move to -1 `price_down` with a percent of
-666,666,766.7, and a move from -1 `price_up`: in `archiver changes --json` (`classes`,
`prices[].percent`), on the site's change cards ("▼ 666666766.7%", "▼ price") and in the
export's `changes` and `price_moves` tables (`direction` down, `percent`). Such a move is now
of class `price_changed`, with no direction and no percent, everywhere; ordinary moves keep
`price_up` / `price_down`.

A real archive: three syncs of a small real capture whose first endpoint's prompt price goes
0.00000015 -> -1 -> 0.00000015.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.export import export_parquet
from archiver.history.classify import classify
from archiver.site.build import build_site
from archiver.site.urls import endpoint_page
from tests.small_captures import small_daily, sync_small, with_first_endpoints_edited

PRICES = ("0.00000015", "-1", "0.00000015")


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Return an archive whose endpoint's prompt price went to -1 and back, and its id."""
    repo = tmp_path_factory.mktemp("routed") / "archive"
    first = small_daily()[0]
    endpoint = ""
    for hour, price in enumerate(PRICES):

        def priced(entry: dict[str, Any], price: str = price) -> dict[str, Any]:
            return {**entry, "pricing": {**entry["pricing"], "prompt": price}}

        edited, (endpoint,) = with_first_endpoints_edited(first, [priced])
        later = first.time + timedelta(hours=hour)
        log = sync_small(repo, Capture(later, edited.source, "", edited.responses))
        assert log.commit_id and not log.failures, log.failures
    return repo, endpoint


def _price_changes(repo: Path) -> list[dict[str, Any]]:
    """Return `changes --json`'s price changes, oldest first."""
    args = ["changes", "--repo", str(repo), "--kind", "price", "--json"]
    result = CliRunner().invoke(main, [*args, "--since", "2000-01-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.output)
    syncs = data if isinstance(data, list) else data["syncs"]
    return [change for sync in reversed(syncs) for change in sync["changes"]]


def test_changes_json_gives_no_direction_and_no_percent(routed: tuple[Path, str]) -> None:
    repo, endpoint = routed
    found = _price_changes(repo)
    assert [(c["key"], c["kinds"], c["classes"]) for c in found] == [
        (endpoint, ["price"], ["price_changed"]),
        (endpoint, ["price"], ["price_changed"]),
    ]
    assert [c["prices"] for c in found] == [
        [{"field": "pricing.prompt", "old": "0.00000015", "new": "-1", "percent": None}],
        [{"field": "pricing.prompt", "old": "-1", "new": "0.00000015", "percent": None}],
    ]


def test_ordinary_moves_keep_their_direction() -> None:
    def moved(old: str, new: str) -> tuple[tuple[str, ...], float | None]:
        found = classify("endpoint", {"pricing": {"prompt": old}}, {"pricing": {"prompt": new}})
        return found.kinds, found.prices[0].percent

    assert moved("0.0000002", "0.0000001") == (("price_down",), -50.0)
    assert moved("0.0000001", "0.0000002") == (("price_up",), 100.0)
    assert moved("0", "0.0000002") == (("price_up",), None)
    assert moved("-1", "-2") == (("price_changed",), None)


def test_site_cards_show_no_cut_and_no_rise(routed: tuple[Path, str], tmp_path: Path) -> None:
    repo, endpoint = routed
    build_site(repo, tmp_path / "site")
    page = (tmp_path / "site" / endpoint_page(endpoint)).read_text()
    tables = [
        re.sub(r"\s+", " ", t) for t in re.findall(r'<table class="prices">.*?</table>', page, re.S)
    ]
    assert tables == [
        '<table class="prices"><tbody> <tr><th>input</th><td><s>routed (-1)</s> → '
        '<b>$0.15</b> <span class="unit">/Mtok</span></td> <td></td></tr> </tbody></table>',
        '<table class="prices"><tbody> <tr><th>input</th><td><s>$0.15</s> → '
        '<b>routed (-1)</b> <span class="unit">/Mtok</span></td> <td></td></tr> </tbody></table>',
    ]
    badges = re.findall(r'<span class="kind (k-[a-z_]+)">([^<]*)</span>', page)
    assert badges == [
        ("k-price_changed", "price"),
        ("k-price_changed", "price"),
        ("k-added", "+ available"),
    ]


def test_export_tables_give_no_direction_and_no_percent(
    routed: tuple[Path, str], tmp_path: Path
) -> None:
    repo, endpoint = routed
    out = tmp_path / "export"
    export_parquet(repo, out)
    moves = pq.read_table(out / "price_moves").to_pylist()
    assert [(m["key"], m["old"], m["new"], m["percent"], m["direction"]) for m in moves] == [
        (endpoint, "0.00000015", "-1", None, None),
        (endpoint, "-1", "0.00000015", None, None),
    ]
    changes = pq.read_table(out / "changes").to_pylist()
    priced = [c for c in changes if "price" in c["kinds"]]
    assert [c["classes"] for c in priced] == [["price_changed"], ["price_changed"]]
    assert [orjson.loads(c["prices"])[0]["percent"] for c in priced] == [None, None]
