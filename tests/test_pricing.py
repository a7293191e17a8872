"""`archiver price`, `archiver cost`, the pricing intervals of the JSON API and the calculator.

Every expected figure is computed here from the raw capture responses (the endpoint's
pricing object as OpenRouter sent it, exact decimals), independently of the archiver, and
compared with what the command line, the API files and a real browser show.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.times import format_epoch, hour_epoch
from tests.archive_helpers import capture_entities
from tests.browser import needs_chromium, recording_page
from tests.site_helpers import SiteArchive
from tests.small_captures import SyncedArchive

# A model whose endpoints changed prices between the small daily captures.
MOVING = "z-ai/glm-5.2"
# A model with a long-context tier (pricing.overrides, min_prompt_tokens 128,000).
TIERED = "bytedance-seed/seed-1.6"
MILLION = Decimal(1_000_000)


def run(*args: str) -> Any:
    """Run the CLI; return the click result."""
    return CliRunner().invoke(main, list(args))


def run_json(*args: str) -> Any:
    """Run the CLI with --json and return what it printed, parsed."""
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def epoch_of(capture: Capture) -> datetime:
    """Return the sync epoch a capture was archived at (its hour)."""
    return hour_epoch(capture.time)


def in_force(captures: Sequence[Capture], at: datetime) -> Capture:
    """Return the capture whose sync was the last at or before `at`."""
    return [capture for capture in captures if epoch_of(capture) <= at][-1]


def endpoints_of(capture: Capture, model: str) -> dict[str, Any]:
    """Return {id: endpoint object} of one model's endpoints in a capture's responses."""
    found = capture_entities(capture).endpoint_objects
    return {key: e for key, e in found.items() if e["model_variant_slug"] == model}


def sold_per_unit(pricing: Mapping[str, Any]) -> bool:
    """Tell whether display_pricing sells by a unit other than web search (per second...)."""
    web = {pricing.get("web_search"), pricing.get("request")}
    return any(
        entry.get("kind") == "unit" and entry.get("price") not in web
        for entry in pricing.get("display_pricing", [])
    )


def expected_cost(pricing: Mapping[str, Any], inputs: int, outputs: int) -> Decimal | None:
    """Price a request the way the issue states it, from the raw pricing object."""
    if sold_per_unit(pricing) or "prompt" not in pricing or "completion" not in pricing:
        return None
    prices = dict(pricing)
    reached = [t for t in pricing.get("overrides", []) if inputs >= t["min_prompt_tokens"]]
    if reached:
        prices.update(max(reached, key=lambda tier: tier["min_prompt_tokens"]))
    fee = Decimal(str(prices.get("request", "0")))
    return (
        inputs * Decimal(str(prices["prompt"])) + outputs * Decimal(str(prices["completion"])) + fee
    )


def dollars_text(amount: Decimal) -> str:
    """Return dollars as the archiver writes them: exact, at least two decimals."""
    whole, _, decimals = format(amount.normalize(), "f").partition(".")
    return f"${int(whole):,}.{decimals.ljust(2, '0')}"


def check_costs(
    repo: Path, captures: Sequence[Capture], model: str, at: datetime, inputs: int, outputs: int
) -> list[dict[str, Any]]:
    """Run `archiver cost` at `at` and compare every endpoint with the capture in force."""
    shown = run_json(
        "cost", "--repo", str(repo), model, "--at", format_epoch(at),
        "--input", str(inputs), "--output", str(outputs),
    )  # fmt: skip
    expected = {
        key: expected_cost(e["pricing"], inputs, outputs)
        for key, e in endpoints_of(in_force(captures, at), model).items()
    }
    got = {row["endpoint"]: Decimal(row["cost"]) if row["cost"] else None for row in shown["costs"]}
    assert got == expected
    for row in shown["costs"]:
        if row["cost"] is not None:
            assert row["cost_text"] == dollars_text(Decimal(row["cost"]))
    priced = [Decimal(row["cost"]) for row in shown["costs"] if row["cost"] is not None]
    assert priced == sorted(priced), "cheapest first"
    return list(shown["costs"])


def test_cost_between_syncs_at_a_sync_and_now(v1_then_daily_archive: SyncedArchive) -> None:
    repo, captures = v1_then_daily_archive.path, v1_then_daily_archive.captures
    daily = [capture for capture in captures if capture_entities(capture).endpoint_objects]
    moments = [
        epoch_of(daily[0]) + timedelta(minutes=30),  # between the first and second daily syncs
        epoch_of(daily[1]) - timedelta(seconds=1),  # a second before a sync: the one before
        epoch_of(daily[1]),  # exactly at a sync: that sync
        epoch_of(daily[2]) + timedelta(days=30),  # long after the newest sync
    ]
    seen = set()
    for at in moments:
        for inputs, outputs in ((12_000, 800), (1_000_000, 0)):
            rows = check_costs(repo, captures, MOVING, at, inputs, outputs)
            seen.add(tuple(row["cost"] for row in rows))
    assert len(seen) > 2, "the moments must see different prices"
    now = run_json("cost", "--repo", str(repo), MOVING, "--input", "5", "--output", "7")
    latest = check_costs(repo, captures, MOVING, epoch_of(daily[2]), 5, 7)
    assert now["costs"] == latest


def test_cost_applies_the_long_context_tier_from_its_threshold(
    v1_then_daily_archive: SyncedArchive,
) -> None:
    repo, captures = v1_then_daily_archive.path, v1_then_daily_archive.captures
    at = epoch_of(captures[-1])
    (endpoint,) = endpoints_of(captures[-1], TIERED).values()
    (tier,) = endpoint["pricing"]["overrides"]
    threshold = tier["min_prompt_tokens"]
    totals = []
    for inputs in (threshold - 1, threshold, threshold + 1):
        (row,) = check_costs(repo, captures, TIERED, at, inputs, 1000)
        totals.append(Decimal(row["cost"]))
        assert row["tier"] == (threshold if inputs >= threshold else None)
    assert Decimal(tier["prompt"]) != Decimal(endpoint["pricing"]["prompt"])
    assert totals[1] - totals[0] > Decimal(tier["prompt"]), "the whole request moves to the tier"


def test_cost_of_one_provider_and_the_errors(v1_then_daily_archive: SyncedArchive) -> None:
    repo, captures = v1_then_daily_archive.path, v1_then_daily_archive.captures
    at = epoch_of(captures[-1])
    endpoints = endpoints_of(captures[-1], MOVING)
    provider = sorted(e["provider_info"]["slug"] for e in endpoints.values())[0]
    shown = run_json(
        "cost", "--repo", str(repo), MOVING, "--at", format_epoch(at),
        "--input", "100", "--output", "10", "--provider", provider,
    )  # fmt: skip
    wanted = {k for k, e in endpoints.items() if e["provider_info"]["slug"] == provider}
    assert {row["endpoint"] for row in shown["costs"]} == wanted
    stamp = format_epoch(at)
    nobody = run("cost", "--repo", str(repo), MOVING, "--at", stamp, "--input", "1",
                 "--output", "1", "--provider", "no-such-provider")  # fmt: skip
    assert nobody.exit_code == 1 and "did not serve" in nobody.output
    assert provider in nobody.output, "the error names who did serve it"
    unknown = run("cost", "--repo", str(repo), "nobody/no-model", "--input", "1", "--output", "1")
    assert unknown.exit_code == 1 and "no model 'nobody/no-model'" in unknown.output
    first = epoch_of(captures[0])
    early = format_epoch(first - timedelta(hours=1))
    before = run(
        "cost", "--repo", str(repo), MOVING, "--at", early, "--input", "1", "--output", "1"
    )
    assert before.exit_code == 1 and "before the archive began" in before.output
    assert format_epoch(first) in before.output
    assert all(len(r.output.strip().splitlines()) == 1 for r in (nobody, unknown, before))


def test_cost_in_a_v1_only_moment_is_the_list_price(v1_then_daily_archive: SyncedArchive) -> None:
    repo, captures = v1_then_daily_archive.path, v1_then_daily_archive.captures
    june = captures[2]
    assert not capture_entities(june).endpoint_objects, "a /api/v1/models capture"
    model, item = sorted(capture_entities(june).v1_models.items())[0]
    at = epoch_of(june) + timedelta(minutes=5)
    shown = run_json("cost", "--repo", str(repo), model, "--at", format_epoch(at),
                     "--input", "3000", "--output", "200")  # fmt: skip
    (row,) = shown["costs"]
    assert row["endpoint"] is None and row["provider"] == "list price (v1)"
    assert Decimal(row["cost"]) == expected_cost(item["pricing"], 3000, 200)


def since_of(captures: Sequence[Capture], at: datetime, pricing_of: Any) -> datetime:
    """Return the epoch of the first capture of the unbroken run with the pricing in force."""
    shown = [c for c in captures if epoch_of(c) <= at]
    current = pricing_of(shown[-1])
    start = epoch_of(shown[-1])
    for capture in reversed(shown[:-1]):
        if pricing_of(capture) != current:
            break
        start = epoch_of(capture)
    return start


def test_price_of_an_endpoint_at_any_moment(v1_then_daily_archive: SyncedArchive) -> None:
    repo, captures = v1_then_daily_archive.path, v1_then_daily_archive.captures
    daily = [capture for capture in captures if capture_entities(capture).endpoint_objects]
    later = endpoints_of(daily[1], MOVING)
    moved = [
        key
        for key, e in endpoints_of(daily[0], MOVING).items()
        if e["pricing"] != later.get(key, {}).get("pricing")
    ]
    assert moved
    endpoint = sorted(moved)[0]

    def state(capture: Capture) -> Any:
        found = capture_entities(capture).endpoint_objects.get(endpoint)
        return (found["pricing"], found.get("tiers")) if found else None

    for at in (epoch_of(daily[0]) + timedelta(hours=3), epoch_of(daily[2])):
        shown = run_json(
            "price", "--repo", str(repo), "endpoint", endpoint, "--at", format_epoch(at)
        )
        raw = capture_entities(in_force(daily, at)).endpoint_objects[endpoint]["pricing"]
        assert shown["pricing"] == raw
        assert shown["valid_from"] == format_epoch(since_of(daily, at, state))
        skus = {sku["field"]: sku for sku in shown["skus"]}
        assert skus["prompt"]["price"] == raw["prompt"]
        assert Decimal(skus["prompt"]["per_million"]) == Decimal(raw["prompt"]) * MILLION
        assert set(skus) == {name for name in raw if name not in ("discount", "display_pricing",
                                                                  "overrides")}  # fmt: skip
    text = run("price", "--repo", str(repo), "endpoint", endpoint)
    assert text.exit_code == 0 and "still in force" in text.output
    current = capture_entities(daily[-1]).endpoint_objects[endpoint]["pricing"]
    assert f"{current['prompt']} per token" in text.output


def test_price_shows_tiers_discount_and_per_unit_skus(v1_then_daily_archive: SyncedArchive) -> None:
    repo, capture = v1_then_daily_archive.path, v1_then_daily_archive.captures[-1]
    endpoints = capture_entities(capture).endpoint_objects
    tiered = next(k for k, e in endpoints.items() if e["pricing"].get("overrides"))
    discounted = next(k for k, e in endpoints.items() if e["pricing"].get("discount"))
    serviced = next(k for k, e in endpoints.items() if e.get("tiers"))
    shown = run_json("price", "--repo", str(repo), "endpoint", tiered)
    override = endpoints[tiered]["pricing"]["overrides"][0]
    (tier,) = [t for t in shown["tiers"] if t["min_prompt_tokens"] is not None]
    assert tier["min_prompt_tokens"] == override["min_prompt_tokens"]
    assert {s["field"]: s["price"] for s in tier["skus"]} == {
        k: v for k, v in override.items() if k != "min_prompt_tokens"
    }
    share = Decimal(str(endpoints[discounted]["pricing"]["discount"]))
    assert (
        Decimal(run_json("price", "--repo", str(repo), "endpoint", discounted)["discount"]) == share
    )
    service = run_json("price", "--repo", str(repo), "endpoint", serviced)
    assert {t["name"].split()[0] for t in service["tiers"]} >= set(endpoints[serviced]["tiers"])
    per_unit = next(k for k, e in endpoints.items() if sold_per_unit(e["pricing"]))
    text = run("price", "--repo", str(repo), "endpoint", per_unit).output
    unit = next(e for e in endpoints[per_unit]["pricing"]["display_pricing"] if e["kind"] == "unit")
    assert f"per {unit['unitLabel'].lstrip('/')}" in text


def test_price_of_a_model_list_price_and_errors(v1_then_daily_archive: SyncedArchive) -> None:
    repo, captures = v1_then_daily_archive.path, v1_then_daily_archive.captures
    model = "openai/gpt-4.1"
    at = epoch_of(captures[3]) + timedelta(hours=2)

    def state(capture: Capture) -> Any:
        return capture_entities(capture).v1_models.get(model, {}).get("pricing")

    shown = run_json("price", "--repo", str(repo), "model", model, "--at", format_epoch(at))
    assert shown["pricing"] == state(in_force(captures, at))
    assert shown["valid_from"] == format_epoch(since_of(captures, at, state))
    missing = run("price", "--repo", str(repo), "endpoint", "00000000-0000-0000-0000-000000000000")
    assert missing.exit_code == 1 and "no endpoint" in missing.output
    early = run("price", "--repo", str(repo), "model", model, "--at", "2020-01-01")
    assert early.exit_code == 1 and "before the archive began" in early.output


def fetch_json(url: str) -> Any:
    """Return the JSON a URL serves."""
    with urllib.request.urlopen(url) as response:
        return json.loads(response.read())


def test_pricing_intervals_agree_with_the_command_line(
    site_archive: SiteArchive, site_url: str
) -> None:
    index = fetch_json(site_url + "api/pricing/index.json")
    entry = next(item for item in index["models"] if item["key"] == MOVING)
    data = fetch_json(site_url + entry["file"])
    assert data["model"] == MOVING and data["count"] == len(data["endpoints"]) > 0
    repo = str(site_archive.repo)
    checked = 0
    for endpoint in data["endpoints"]:
        starts = {interval["valid_from"]: interval for interval in endpoint["intervals"]}
        for interval in endpoint["intervals"]:
            for at in filter(None, (interval["valid_from"], interval["valid_to"])):
                result = run(
                    "price", "--repo", repo, "endpoint", endpoint["id"], "--at", at, "--json"
                )
                if at not in starts:  # Gone (or unpriced) from its valid_to on.
                    assert result.exit_code == 1 and "no pricing in force" in result.output
                    continue
                shown = json.loads(result.output)
                assert shown["valid_from"] == at
                assert shown["valid_to"] == starts[at]["valid_to"]
                assert shown["pricing"] == starts[at]["pricing"]
                checked += 1
    assert checked > len(data["endpoints"]), "some endpoint changed price"


@needs_chromium
def test_calculator_shows_the_cost_the_command_line_computes(
    site_archive: SiteArchive, site_url: str, page: Any
) -> None:
    index = fetch_json(site_url + "api/pricing/index.json")
    path = next(item["file"] for item in index["models"] if item["key"] == MOVING)
    model_page = "model/" + path.removeprefix("api/pricing/").removesuffix(".json") + ".html"
    page.goto(site_url + model_page)
    page.wait_for_selector("[data-calculator][data-calc-ready]")
    first_daily = fetch_json(site_url + path)["endpoints"][0]["intervals"][0]["valid_from"]
    when = datetime.fromisoformat(first_daily.replace("Z", "+00:00")) + timedelta(hours=2)
    page.fill("[data-calc-inputs] input[name=input]", "250000")
    page.fill("[data-calc-inputs] input[name=output]", "4321")
    page.fill("[data-calc-inputs] input[name=at]", when.strftime("%Y-%m-%dT%H:%M"))
    page.wait_for_function(
        "() => document.querySelector('[data-calc-status]').textContent.includes('250,000')"
    )
    shown = _table(page)
    cli = run_json("cost", "--repo", str(site_archive.repo), MOVING, "--at", format_epoch(when),
                   "--input", "250000", "--output", "4321")  # fmt: skip
    assert shown == [(row["endpoint"], row["cost_text"] or "\u2013") for row in cli["costs"]]
    page.fill("[data-calc-inputs] input[name=at]", "")
    page.wait_for_function(
        "() => !document.querySelector('[data-calc-status]').textContent.includes('T0')"
    )
    now = run_json("cost", "--repo", str(site_archive.repo), MOVING, "--input", "250000",
                   "--output", "4321")  # fmt: skip
    latest = _table(page)
    assert latest == [(row["endpoint"], row["cost_text"] or "\u2013") for row in now["costs"]]
    assert shown and latest and shown != latest, "the moment changes the prices"
    page.fill("[data-calc-inputs] input[name=at]", "2020-01-01T00:00")
    page.wait_for_function(
        "() => document.querySelector('[data-calc-status]').textContent.includes('before')"
    )
    assert _table(page) == []


def _table(page: Any) -> list[tuple[str, str]]:
    """Return the calculator's rows as (endpoint id, cost text)."""
    rows = page.locator("[data-calc-table] tbody tr")
    return [
        (
            rows.nth(i).get_attribute("data-endpoint"),
            rows.nth(i).locator("[data-cost]").inner_text(),
        )
        for i in range(rows.count())
    ]


@needs_chromium
def test_calculator_without_javascript_shows_the_example(
    site_archive: SiteArchive, site_url: str, browser: Any
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        index = fetch_json(site_url + "api/pricing/index.json")
        path = next(item["file"] for item in index["models"] if item["key"] == MOVING)
        page.goto(site_url + "model/" + path.removeprefix("api/pricing/")[:-5] + ".html")
        assert page.locator("[data-calc-inputs]").is_hidden()
        status = page.locator("[data-calc-status]").inner_text()
        inputs, outputs = (
            int(n.replace(",", "")) for n in re.findall(r"[\d,]+(?= \w+put)", status)
        )
        cli = run_json("cost", "--repo", str(site_archive.repo), MOVING, "--input", str(inputs),
                       "--output", str(outputs))  # fmt: skip
        expected = [(row["endpoint"], row["cost_text"] or "\u2013") for row in cli["costs"]]
        assert _table(page) == expected
    finally:
        context.close()


@needs_chromium
def test_calculator_on_a_phone_shows_the_cost_column(site_url: str, browser: Any) -> None:
    from playwright.sync_api import expect  # Here: the browser fixture skips without it.

    index = fetch_json(site_url + "api/pricing/index.json")
    path = next(item["file"] for item in index["models"] if item["key"] == MOVING)
    with recording_page(browser, "calculator-phone", 390, 844) as phone:
        phone.goto(site_url + "model/" + path.removeprefix("api/pricing/")[:-5] + ".html")
        phone.wait_for_selector("[data-calculator][data-calc-ready]")
        assert phone.evaluate("document.documentElement.scrollWidth <= innerWidth")
        cost = phone.locator("[data-calc-table] tbody tr").first.locator("[data-cost]")
        cost.scroll_into_view_if_needed()
        box = cost.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
        # Waited for: scrolled into view, the cell's text is laid out at the next rendering
        # (read at once on a busy machine it was still '').
        expect(cost).to_have_text(re.compile(r"^\$"), use_inner_text=True)
