"""`archiver price` and `archiver cost`: the pricing in force at a moment, a past request's cost."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import orjson

from archiver import jsonvalue
from archiver.cli import main
from archiver.cli.common import IsoTime, OneLineError, archived_key, repo_option, reports_errors
from archiver.history.price_moves import EXACT, dollars
from archiver.history.price_sheet import ROUTED, PriceSheet, Sku, exact_text, price_sheet
from archiver.history.pricing import (
    EndpointCost,
    PriceInterval,
    PriceLookupError,
    model_costs,
    price_in_force,
)
from archiver.paths import Category
from archiver.textsafe import json_text, one_line
from archiver.times import format_epoch

PRICED = click.Choice(["endpoint", "model"])


def _echo_json(value: Any) -> None:
    """Print a value as indented JSON, with what a terminal would act on escaped."""
    text = jsonvalue.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    click.echo(json_text(text))


@main.command()
@repo_option
@click.argument("category", type=PRICED)
@click.argument("key")
@click.option("--at", type=IsoTime(), help="As of the last sync at or before this time.")
@click.option("--json", "as_json", is_flag=True, help="Print the pricing and its SKUs as JSON.")
@reports_errors
def price(repo: Path, category: Category, key: str, at: datetime | None, as_json: bool) -> None:
    """The pricing of an endpoint (or a model's v1 list price) in force now or at --at.

    Every SKU as archived (exact decimals) with its price per million tokens or per unit,
    long-context and service tiers, the discount (already applied), and since when
    (the sync that first showed this pricing).

    \b
    Example:
        archiver price endpoint d68054f9-503c-4742-bbbb-32c415d27aa2 --at 2026-07-18
        archiver price model openai/gpt-4.1 --json
    """
    archived_key(category, key)
    interval = _lookup(lambda: price_in_force(repo, category, key, at))
    sheet = price_sheet(interval.pricing, interval.service_tiers)
    if as_json:
        _echo_json(_price_json(category, key, at, interval, sheet))
        return
    moment = format_epoch(at) if at else "now"
    click.echo(f"{category} {key}: pricing in force {moment}")
    click.echo(f"  since {format_epoch(interval.valid_from)}, {_until(interval)}")
    for line in _sheet_lines(sheet):
        click.echo(line)


@main.command()
@repo_option
@click.argument("model")
@click.option("--at", type=IsoTime(), help="When the request ran (default: now).")
@click.option(
    "--input", "input_tokens", type=click.IntRange(0), required=True, help="Input (prompt) tokens."
)
@click.option(
    "--output",
    "output_tokens",
    type=click.IntRange(0),
    required=True,
    help="Output (completion) tokens.",
)
@click.option("--provider", help="Only this provider (its slug, or a tagged one: deepinfra/fp8).")
@click.option("--json", "as_json", is_flag=True, help="Print the costs as JSON.")
@reports_errors
def cost(
    repo: Path,
    model: str,
    at: datetime | None,
    input_tokens: int,
    output_tokens: int,
    provider: str | None,
    as_json: bool,
) -> None:
    """What a request cost on each endpoint of MODEL in force at --at, cheapest first.

    input x prompt price + output x completion price + the per-request fee, exact, with
    the long-context tier the prompt reached. Without archived endpoints (a v1-only
    archive), the model's list price.

    \b
    Example:
        archiver cost openai/gpt-4.1 --at 2026-07-18T12:00:00Z --input 12000 --output 800
        archiver cost z-ai/glm-5.2 --input 1000000 --output 5000 --provider novita --json
    """
    archived_key("model", model)
    found = _lookup(lambda: model_costs(repo, model, at, input_tokens, output_tokens, provider))
    if as_json:
        _echo_json(
            {
                "model": model,
                "at": format_epoch(at) if at else None,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "costs": [_cost_json(item) for item in found],
            }
        )
        return
    moment = format_epoch(at) if at else "now"
    click.echo(f"{model} {moment}: {input_tokens:,} input + {output_tokens:,} output tokens")
    width = max(len(item.provider_tag) for item in found)
    for item in found:
        click.echo(one_line(_cost_line(item, width)))


def _lookup(question: Any) -> Any:
    """Return question()'s answer; a pricing that does not exist is a one-line error (exit 1)."""
    try:
        return question()
    except PriceLookupError as error:
        raise OneLineError(str(error)) from error


def _until(interval: PriceInterval) -> str:
    """Return how long a pricing stayed in force."""
    if interval.valid_to is None:
        return "still in force"
    # Not "replaced at": a pricing also ends where its endpoint (or model) left the catalog.
    return f"until {format_epoch(interval.valid_to)}"


def _sheet_lines(sheet: PriceSheet) -> list[str]:
    """Return a price sheet as aligned lines: label, exact archived price, price people read."""
    rows: list[tuple[str, str, str]] = [_sku_row("  ", sku) for sku in sheet.skus]
    if sheet.discount:
        share = format((sheet.discount * 100).normalize(), "f")
        rows.append(("  discount", f"{share}%", "already applied to the prices above"))
    for tier in sheet.tiers:
        rows.append((f"  {tier.name}:", "", ""))
        rows += [_sku_row("    ", sku) for sku in tier.skus]
    if sheet.display_only:
        rows.append(("  shown by OpenRouter per unit:", "", ""))
        rows += [_sku_row("    ", sku) for sku in sheet.display_only]
    if sheet.unpriced:
        rows.append(("  not a number, shown as archived:", "", ""))
        rows += [
            ("    " + one_line(field), _shortened(one_line(value)), "")
            for field, value in sheet.unpriced
        ]
    widths = [max((len(row[column]) for row in rows if row[1]), default=0) for column in (0, 1)]
    return [
        f"{name:{widths[0]}}  {exact:{widths[1]}}  {shown}".rstrip() if exact else name
        for name, exact, shown in rows
    ]


def _shortened(text: str, most: int = 120) -> str:
    """Return a text cut to a line's worth (a value upstream sent may be a whole object)."""
    return text if len(text) <= most else text[: most - 1] + "…"


def _sku_row(indent: str, sku: Sku) -> tuple[str, str, str]:
    """Return one SKU's label, exact archived price and the price in the unit people read."""
    # Labels and field names are upstream's: escaped before the columns are measured.
    name = one_line(sku.label if sku.field == "display_pricing" else f"{sku.label} ({sku.field})")
    exact = f"{sku.text} per {sku.unit}"
    if sku.multiplier != 1:  # Shown per M characters: the archived price is per character.
        exact = f"{sku.text} x {sku.multiplier:,f}"
    if sku.routed:  # Not a charge of minus a million dollars.
        return indent + name, exact, ROUTED
    return indent + name, exact, f"{dollars(sku.shown)} per {sku.shown_unit}"


def _cost_line(item: EndpointCost, width: int) -> str:
    """Return one endpoint's cost as a line: cost, provider, prices, tier, since, endpoint."""
    paid = item.cost
    since = f"since {format_epoch(item.interval.valid_from)}" if item.interval else ""
    if paid.total is None:
        return f"  {'-':>14}  {item.provider_tag:{width}}  {paid.reason}  {item.endpoint or ''}"
    prices = f"input {_per_m(paid.prompt)}/M  output {_per_m(paid.completion)}/M"
    if paid.request:
        prices += f"  request {dollars(paid.request)}"
    if paid.tier is not None:
        prices += f"  (tier {paid.tier:,}+ prompt tokens)"
    where = f"{item.provider_tag:{width}}  {prices}  {since}  {item.endpoint or ''}"
    return f"  {dollars(paid.total):>14}  {where}".rstrip()


def _per_m(value: Decimal | None) -> str:
    """Return a per-token price per million tokens, exact."""
    return dollars(EXACT.multiply(value, 1_000_000)) if value is not None else "-"


def _price_json(
    category: str, key: str, at: datetime | None, interval: PriceInterval, sheet: PriceSheet
) -> dict[str, Any]:
    """Return `archiver price --json`: the interval, its SKUs, tiers and discount."""
    return {
        "category": category,
        "key": key,
        "at": format_epoch(at) if at else None,
        **interval.to_json(),
        "skus": [sku.to_json() for sku in sheet.skus],
        "discount": str(sheet.discount) if sheet.discount is not None else None,
        "tiers": [
            {
                "name": tier.name,
                "min_prompt_tokens": tier.min_prompt_tokens,
                "skus": [sku.to_json() for sku in tier.skus],
            }
            for tier in sheet.tiers
        ],
        "display_only": [sku.to_json() for sku in sheet.display_only],
        "unpriced": [{"field": field, "as_archived": value} for field, value in sheet.unpriced],
    }


def _cost_json(item: EndpointCost) -> dict[str, Any]:
    """Return one endpoint's cost as JSON: exact decimals as strings."""
    paid = item.cost
    return {
        "endpoint": item.endpoint,
        "provider": item.provider,
        "provider_tag": item.provider_tag,
        **_span(item.interval),
        "prompt": _text(paid.prompt),
        "completion": _text(paid.completion),
        "request": _text(paid.request),
        "tier": paid.tier,
        "cost": _text(paid.total),
        "cost_text": dollars(paid.total) if paid.total is not None else None,
        "reason": paid.reason or None,
    }


def _span(interval: PriceInterval | None) -> dict[str, str | None]:
    """Return the syncs a pricing was in force between (None: no pricing archived)."""
    if interval is None:
        return {"valid_from": None, "valid_to": None}
    return {
        "valid_from": format_epoch(interval.valid_from),
        "valid_to": format_epoch(interval.valid_to) if interval.valid_to else None,
    }


def _text(value: Decimal | None) -> str | None:
    """Return an exact decimal as plain text (no exponent), or None."""
    return exact_text(value) if value is not None else None
