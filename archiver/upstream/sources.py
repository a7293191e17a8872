"""Every upstream URL path the archiver calls, in one place: OpenRouter moves them."""

from __future__ import annotations

from urllib.parse import quote, urlencode

DEFAULT_BASE_URL = "https://openrouter.ai"

V1_MODELS = "/api/v1/models"
V1_PROVIDERS = "/api/v1/providers"
CATALOG_MODELS = "/api/frontend/v1/catalog/models"
ALL_PROVIDERS = "/api/frontend/v1/all-providers"
ENDPOINT_STATS = "/api/frontend/v1/stats/endpoint"
EFFECTIVE_PRICING = "/api/frontend/v1/stats/effective-pricing"
MODEL_ACTIVITY = "/api/frontend/v1/stats/model-activity"

LISTINGS = (V1_MODELS, CATALOG_MODELS, ALL_PROVIDERS, V1_PROVIDERS)


def variant_url(path: str, permaslug: str, variant: str) -> str:
    """Return a per-model-variant URL (stats/endpoint and friends) as OpenRouter spells it."""
    query = urlencode({"permaslug": permaslug, "variant": variant}, quote_via=quote, safe="~")
    return f"{path}?{query}"
