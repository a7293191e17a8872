"""What the site shows, value by value, against the archived JSON it comes from.

Each test reads the session site (tests/conftest.py `site_folder`) and computes what a
value must read from the archive's own files, never through the site's functions.
"""

from __future__ import annotations

import html
import itertools
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.archive_helpers import blob, git
from tests.browser import needs_chromium
from tests.site_helpers import SiteArchive

_HERO = re.compile(r'<header class="panel hero">(.*?)</header>', re.S)
_CARD = re.compile(r'<article class="card".*?</article>', re.S)
_FIGURES = re.compile(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>")


def _archived_endpoints(repo: Path) -> dict[str, dict[str, Any]]:
    """Return every archived endpoint by its id, as its file holds it."""
    found = {}
    for path in (repo / "data" / "endpoint").rglob("*.json"):
        entity = orjson.loads(path.read_bytes())
        found[str(entity["id"])] = entity
    return found


def _unit_only(endpoint: dict[str, Any]) -> bool:
    """Tell whether an endpoint is sold per unit alone (a song, a second, a character)."""
    prices = endpoint.get("display_pricing") or []
    return bool(prices) and all(price.get("kind") == "unit" for price in prices)


def _dollars(value: Decimal) -> str:
    """Return dollars as people read them: at least two decimals, no trailing zeros past."""
    whole, _, decimals = f"{value.normalize():f}".partition(".")
    return f"${whole}.{decimals.rstrip('0').ljust(2, '0')}"


def _unit_texts(endpoint: dict[str, Any]) -> list[str]:
    """Return each unit price of an endpoint as upstream's own page shows it ($0.08 /song)."""
    return [
        f"{_dollars(Decimal(p['price']) * Decimal(str(p.get('displayMultiplier') or 1)))} "
        f"{p['unitLabel']}"
        for p in endpoint["display_pricing"]
    ]


def _pages(site: Path, name: str, key: str) -> dict[str, str]:
    """Return {key: page path} from the site's JSON API."""
    items = orjson.loads((site / "api" / f"{name}.json").read_bytes())[name]
    return {str(item[key]): str(item["page"]) for item in items}


@pytest.fixture(scope="module")
def unit_priced(site_archive: SiteArchive) -> dict[str, dict[str, Any]]:
    """Return the archived endpoints sold per unit alone (none in the captures: a broken test)."""
    found = {k: e for k, e in _archived_endpoints(site_archive.repo).items() if _unit_only(e)}
    assert found, "the small captures hold no endpoint priced per unit alone"
    return found


def test_unit_priced_endpoint_pages_show_every_unit_price(
    unit_priced: dict[str, dict[str, Any]], site_folder: Path
) -> None:
    """A song, a second of video, a million characters: the page says so, never "free" or a dash.

    The grid showed "$0.08 /song" while the endpoint's own page showed no input or output price,
    its "available" card "input free, output free" (upstream's token prices are "0"), and a
    per-token price chart of $0 lines.
    """
    pages = _pages(site_folder, "endpoints", "id")
    for key, endpoint in unit_priced.items():
        text = html.unescape((site_folder / pages[key]).read_text())
        hero = _HERO.search(text)
        assert hero, key
        for shown in _unit_texts(endpoint):
            assert shown in hero.group(1), (key, shown)
        for card in _CARD.findall(text):
            figures = dict(_FIGURES.findall(card))
            if figures:
                assert "free" not in figures.values(), (key, figures)
                assert all(
                    any(shown in value for value in figures.values())
                    for shown in _unit_texts(endpoint)
                ), (key, figures)
        assert 'id="prices"' not in text, f"{key}: unit prices charted per million tokens"


def test_unit_priced_endpoints_show_their_price_on_the_model_page(
    unit_priced: dict[str, dict[str, Any]], site_folder: Path
) -> None:
    """The model page's endpoint table gives a unit-priced endpoint its price, as the grid."""
    models = _pages(site_folder, "models", "key")
    endpoints = _pages(site_folder, "endpoints", "id")
    for key, endpoint in unit_priced.items():
        text = html.unescape((site_folder / models[endpoint["model"]]).read_text())
        table = text[text.index('id="endpoints"') :]
        row = table[table.index(f"{Path(endpoints[key]).name}") :]
        row = row[: row.index("</tr>")]
        assert _unit_texts(endpoint)[0] in row, key


def _calculator_prices(text: str) -> dict[str, tuple[str, str]]:
    """Return the calculator table's {endpoint id: (input /M, output /M)} of a page's HTML."""
    table = text[text.index("data-calc-table") :]
    table = table[: table.index("</table>")]
    found = {}
    for row in re.findall(r"<tr data-endpoint=.*?</tr>", table, re.S):
        key = re.search(r'data-endpoint="([^"]+)"', row)
        cells = re.findall(r'<td class="num">([^<]*)</td>', row)
        assert key and len(cells) == 2, row
        found[key.group(1)] = (cells[0], cells[1])
    return found


@needs_chromium
def test_calculator_gives_no_token_price_to_an_endpoint_sold_per_unit(
    unit_priced: dict[str, dict[str, Any]], site_folder: Path, site_url: str, page: Any
) -> None:
    """A second of video has no price per million tokens: a dash in the calculator, not $0.00.

    Upstream sends prompt and completion "0" beside the unit price; the calculator printed
    them as $0.00 input and output per million tokens, with and without JavaScript.
    """
    models = _pages(site_folder, "models", "key")
    owners = {models[endpoint["model"]] for endpoint in unit_priced.values()}
    for path in sorted(owners):
        shown = _calculator_prices(html.unescape((site_folder / path).read_text()))
        for key in set(shown) & set(unit_priced):
            assert shown[key] == ("\u2013", "\u2013"), (path, key, shown[key])
    # Veo: two prices per second, token prices "0"; the script redraws the same table.
    path = next(models[e["model"]] for e in unit_priced.values() if len(e["display_pricing"]) > 1)
    page.goto(site_url + path)
    page.wait_for_selector("[data-calculator][data-calc-ready]")
    drawn = page.locator("[data-calc-table] tbody tr td.num").all_inner_texts()
    assert drawn and set(drawn) == {"\u2013"}, drawn


def _gone_endpoints(repo: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """Return {endpointId: (epoch it left, its last file)} of endpoints HEAD no longer holds."""
    log = git(
        repo, "log", "--no-renames", "--diff-filter=D", "--name-only",
        "--format=@%H %(trailers:key=Sync-Epoch,valueonly)", "--", "data/endpoint/",
    )  # fmt: skip
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    commit = epoch = ""
    for line in log.splitlines():
        if line.startswith("@"):
            commit, _, epoch = line[1:].partition(" ")
        elif line.strip():
            entity = orjson.loads(blob(repo, f"{commit}^", line.strip()))
            found.setdefault(str(entity["id"]), (epoch.strip(), entity))  # Newest first.
    held = set(_archived_endpoints(repo))
    return {key: gone for key, gone in found.items() if key not in held}


def test_gone_endpoints_stay_gone_in_the_graveyard_prices_and_charts(
    site_archive: SiteArchive, site_folder: Path
) -> None:
    """An endpoint that left the catalog has its last endpoints row, a closed price interval
    and a price line that ends, also when it left the ZDR list in the same sync.

    The ZDR ledger's change of such an endpoint came after its removal in the sync, with its
    last file on both sides: read as a state it brought the endpoint back, so the graveyard
    said "none archived" for the 6 models whose endpoints had left with them, and those 9
    gone endpoints had a pricing interval still in force and a chart line running on to now.
    """
    gone = _gone_endpoints(site_archive.repo)
    assert any(epoch for epoch, _ in gone.values())
    page = html.unescape((site_folder / "deprecations.html").read_text())
    rows = dict(re.findall(r'<tr data-key="([^"]+)" data-left="[^"]+">(.*?)</tr>', page, re.S))
    assert rows, "no model left in the site archive"
    for model, row in rows.items():
        last = row.split("<td>")[-2]  # The "Last endpoints" cell.
        shown = sorted(re.findall(r"<div>(\S+) <span", last))
        expected = sorted(e["provider_slug"] for _, e in gone.values() if e["model"] == model)
        assert shown == expected, model
    models = _pages(site_folder, "models", "key")
    index = orjson.loads((site_folder / "api" / "pricing" / "index.json").read_bytes())
    files = {item["key"]: item["file"] for item in index["models"]}
    for key, (epoch, entity) in gone.items():
        pricing = orjson.loads((site_folder / files[entity["model"]]).read_bytes())
        listed = next(e for e in pricing["endpoints"] if e["id"] == key)
        assert listed["intervals"][-1]["valid_to"] == epoch, key
        if entity["model"] in models:
            text = (site_folder / models[entity["model"]]).read_text()
            for chart in re.findall(r'data-chart="([^"]*)"', text):
                for series in orjson.loads(html.unescape(chart))["series"]:
                    if series["label"] == f"{entity['provider_slug']} (gone)":
                        assert series["points"][-1][1] is None, (key, series["points"])


def test_endpoint_pages_show_the_prices_of_long_prompts(
    site_archive: SiteArchive, site_folder: Path
) -> None:
    """Grok 4.5 costs $2 in below 200,000 prompt tokens and $4 from there: the page says both.

    The page showed the base prices alone, where upstream's own page shows both tiers.
    """
    pages = _pages(site_folder, "endpoints", "id")
    tiered = {
        key: e["pricing"]["overrides"]
        for key, e in _archived_endpoints(site_archive.repo).items()
        if e.get("pricing", {}).get("overrides") and not _unit_only(e)
    }
    assert tiered, "the small captures hold no long-context price"
    for key, overrides in tiered.items():
        hero = _HERO.search(html.unescape((site_folder / pages[key]).read_text()))
        assert hero, key
        for tier in overrides:
            assert f"from {tier['min_prompt_tokens']:,} prompt tokens" in hero.group(1), key
            for name, label in (("prompt", "in"), ("completion", "out")):
                price = _dollars(Decimal(tier[name]) * 1_000_000)
                assert f"{price} {label}" in hero.group(1), (key, name)


def test_a_model_arriving_shows_the_context_its_page_shows(
    site_archive: SiteArchive, site_folder: Path
) -> None:
    """A catalog-only model (no /api/v1/models record) arrives with the catalog's context.

    Its "available" card read "context" with a dash under a page heading "Context 16,384".
    """
    repo = site_archive.repo
    models = _pages(site_folder, "models", "key")
    checked = 0
    for path in git(repo, "ls-files", "--", "data/model/").splitlines():
        added = git(repo, "log", "--no-renames", "--diff-filter=A", "--format=%H", "--", path)
        if len(added.split()) != 1:
            continue  # Left and came back: its cards are not all "available".
        first = orjson.loads(blob(repo, added.strip(), path))
        context = (first.get("v1") or {}).get("context_length") or (first.get("catalog") or {}).get(
            "context_length"
        )
        expected = "\u2013" if context is None else f"{context:,}"
        text = html.unescape((site_folder / models[str(first["key"])]).read_text())
        for card in _CARD.findall(text):
            if 'data-category="model"' in card and "k-added" in card:
                assert dict(_FIGURES.findall(card))["context"] == expected, first["key"]
                checked += 1
    assert checked


def _percent_of(share: Any) -> str:
    """Return a discount share (0.8235) in percent as set (82.35%)."""
    return f"{format((Decimal(str(share)) * 100).normalize(), 'f')}%"


def test_discount_moves_read_as_set_without_a_percent_of_a_percent(
    site_archive: SiteArchive, site_folder: Path
) -> None:
    """A discount from 80.05% to 82.35% reads so on the endpoint's card, with no "+2.9%".

    The card rounded both to whole percents ("80% -> 82%") and added the discount's change
    relative to itself, read beside real price moves as if the discount grew 2.9 points.
    """
    repo = site_archive.repo
    pages = _pages(site_folder, "endpoints", "id")
    line = re.compile(
        r"<tr><th>discount</th><td><s>([^<]*)</s> → <b>([^<]*)</b>.*?<td[^>]*>(.*?)</td>", re.S
    )
    checked = 0
    for path in git(repo, "ls-files", "--", "data/endpoint/").splitlines():
        commits = git(repo, "log", "--format=%H", "--", path).split()
        shares = [
            (orjson.loads(blob(repo, commit, path)).get("pricing") or {}).get("discount")
            for commit in reversed(commits)
        ]
        moves = [
            (_percent_of(old), _percent_of(new))
            for old, new in itertools.pairwise(shares)
            if old != new and old is not None and new is not None
        ]
        if not moves:
            continue
        key = path.rsplit("/", 1)[-1].removesuffix(".json")
        shown = line.findall(html.unescape((site_folder / pages[key]).read_text()))
        assert sorted((old, new) for old, new, _ in shown) == sorted(moves), key
        assert all("%" not in arrow for _, _, arrow in shown), (key, shown)
        checked += 1
    assert checked, "no discount moved in the site archive"
