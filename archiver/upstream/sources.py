"""Every upstream URL path the archiver calls, in one place: OpenRouter moves them."""

from __future__ import annotations

import os
from typing import Literal
from urllib.parse import quote, urlencode

DEFAULT_BASE_URL = "https://openrouter.ai"
BASE_URL_VARIABLE = "ARCHIVER_BASE_URL"

V1_MODELS = "/api/v1/models"
V1_PROVIDERS = "/api/v1/providers"
CATALOG_MODELS = "/api/frontend/v1/catalog/models"
ALL_PROVIDERS = "/api/frontend/v1/all-providers"
ENDPOINT_STATS = "/api/frontend/v1/stats/endpoint"
EFFECTIVE_PRICING = "/api/frontend/v1/stats/effective-pricing"
MODEL_ACTIVITY = "/api/frontend/v1/stats/model-activity"
# The documented list of zero-data-retention endpoints (archiver.upstream.zdr).
ZDR_ENDPOINTS = "/api/v1/endpoints/zdr"

# The catalog-wide listings, by the name the observer takes each under (never by position).
ListingName = Literal["v1_models", "catalog", "all_providers", "v1_providers"]
LISTINGS: dict[ListingName, str] = {
    "v1_models": V1_MODELS,
    "catalog": CATALOG_MODELS,
    "all_providers": ALL_PROVIDERS,
    "v1_providers": V1_PROVIDERS,
}


def variant_url(path: str, permaslug: str, variant: str) -> str:
    """Return a per-model-variant URL (stats/endpoint and friends) as OpenRouter spells it."""
    query = urlencode({"permaslug": permaslug, "variant": variant}, quote_via=quote, safe="~")
    return f"{path}?{query}"


def base_url_from_environment() -> str:
    """Return ARCHIVER_BASE_URL if set (a replay server, a mirror), else OpenRouter's."""
    return os.environ.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL
