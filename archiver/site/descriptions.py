"""The meta description of each page: one or two sentences of facts a search result shows.

Each is built from what the page itself shows (counts, prices per million tokens, the sync
it is as of), so a result says what a reader will find before they open it. The text is
plain; the templates escape it like any other value (model names are upstream text).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from archiver.history.price_sheet import ROUTED
from archiver.site.formats import count, moment, money
from archiver.site.rows import EndpointRow, ModelRow, ProviderRow

__all__ = [
    "api_description",
    "changes_description",
    "endpoint_description",
    "endpoint_list_description",
    "grid_description",
    "model_description",
    "models_description",
    "provider_description",
    "providers_description",
    "status_description",
]


def grid_description(total: int, epoch: datetime | None) -> str:
    """Return the endpoints grid's description."""
    return (
        f"All {count(total)} OpenRouter endpoints (a model on a provider) with input, output and"
        f" cache prices per million tokens, context, throughput, latency and status{_as_of(epoch)}."
    )


def endpoint_list_description(first: int, last: int, total: int, epoch: datetime | None) -> str:
    """Return the description of one paged table of endpoints."""
    return (
        f"OpenRouter endpoints {count(first)} to {count(last)} of {count(total)}, newest first,"
        f" with their prices per million tokens, context and status{_as_of(epoch)}."
    )


def models_description(total: int, epoch: datetime | None) -> str:
    """Return the models table's description."""
    return (
        f"All {count(total)} OpenRouter models with their cheapest and dearest input and output"
        f" prices per million tokens, context and endpoints{_as_of(epoch)}."
    )


def providers_description(total: int, epoch: datetime | None) -> str:
    """Return the providers table's description."""
    return (
        f"All {count(total)} OpenRouter providers with their endpoints, models, headquarters"
        f" and data policies{_as_of(epoch)}."
    )


def model_description(model: ModelRow) -> str:
    """Return a model page's description: its offers and price ranges, then its history."""
    if not model.endpoint_count:
        offers = "no endpoint archived"
    else:
        offers = (
            f"{_plural(model.endpoint_count, 'endpoint')}, input"
            f" {_span(model.cheapest_input, model.dearest_input)} and output"
            f" {_span(model.cheapest_output, model.dearest_output)} per million tokens"
        )
    context = f", context {count(model.context)} tokens" if model.context else ""
    return (
        f"{model.name} ({model.key}) on OpenRouter: {offers}{context}. Its pricing history"
        " on every provider and every change since the archive began."
    )


def endpoint_description(row: EndpointRow) -> str:
    """Return an endpoint page's description: its prices and context, then its history."""
    if row.unit_price:
        # Routed (-1): ROUTED says "priced by ..." itself.
        prices = row.unit_price if row.unit_price == ROUTED else f"priced {row.unit_price}"
    else:
        prices = f"input {money(row.input)}, output {money(row.output)} per million tokens"
    context = f", context {count(row.context)} tokens" if row.context else ""
    return (
        f"{row.model_name} on {row.provider_name} ({row.provider_tag}): {prices}{context}."
        " Its pricing and telemetry history and every change."
    )


def provider_description(provider: ProviderRow) -> str:
    """Return a provider page's description."""
    return (
        f"{provider.name} on OpenRouter: {_plural(provider.endpoint_count, 'endpoint')} of"
        f" {_plural(provider.model_count, 'model')} with their prices per million tokens, its"
        " data policy and every change."
    )


def changes_description(days: int, epoch: datetime | None, number: int, pages: int) -> str:
    """Return the description of one page of the change monitor."""
    page = f" Page {number} of {pages}." if pages > 1 else ""
    return (
        f"What changed in OpenRouter's catalog in the {days} days before the newest sync"
        f"{_as_of(epoch, ' of')}: prices, endpoints added, removed and returned, context,"
        f" limits and data policy, most important first.{page}"
    )


def status_description(newest: datetime | None, syncs: int) -> str:
    """Return the status page's description."""
    newest_text = f"the newest sync {moment(newest)}" if newest else "no sync yet"
    return (
        f"How fresh this archive of OpenRouter's catalog is ({newest_text}) and the log of its"
        f" {_plural(syncs, 'sync')}: what each fetched and changed, failures and durations."
    )


def api_description(files: int) -> str:
    """Return the API page's description."""
    return (
        f"The site's static JSON API: {_plural(files, 'file')} of OpenRouter's endpoints,"
        " models, providers, pricing intervals and changes, rebuilt after each sync."
    )


def _as_of(epoch: datetime | None, word: str = ", as of") -> str:
    """Return ', as of <moment>' for a known sync, or nothing."""
    return f"{word} {moment(epoch)}" if epoch else ""


def _span(low: Decimal | None, high: Decimal | None) -> str:
    """Return a price range as text ($0.10 to $0.60), or one price when both ends agree."""
    if low == high or high is None:
        return money(low)
    return f"{money(low)} to {money(high)}"


def _plural(number: int, noun: str) -> str:
    """Return '1 endpoint', '12 endpoints'."""
    return f"{count(number)} {noun}{'' if number == 1 else 's'}"
