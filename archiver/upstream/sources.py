"""Every upstream URL path the archiver calls, in one place: OpenRouter moves them."""

from __future__ import annotations

import os
from typing import Literal
from urllib.parse import quote, urlencode, urlsplit

from archiver.errors import ArchiverError

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
# One endpoint's hourly uptime, a rolling ~72 h window (archiver.upstream.uptime).
UPTIME_HOURLY = "/api/frontend/v1/stats/uptime-hourly"
# OpenRouter's documented endpoint listing of one model (archiver.upstream.documented), as
# the sync log names it: the real path holds the modelKey (`documented_url`).
DOCUMENTED_ENDPOINTS = "/api/v1/models/{author}/{slug}/endpoints"
_DOCUMENTED_PREFIX, _DOCUMENTED_SUFFIX = "/api/v1/models/", "/endpoints"

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


def uptime_url(endpoint_id: str) -> str:
    """Return the URL of one endpoint's hourly uptime window."""
    return f"{UPTIME_HOURLY}?{urlencode({'id': endpoint_id}, quote_via=quote)}"


def documented_url(model_key: str) -> str:
    """Return the URL of a model's documented endpoint listing (its modelKey in the path)."""
    return _DOCUMENTED_PREFIX + quote(model_key, safe="/:") + _DOCUMENTED_SUFFIX


def source_path(url: str) -> str:
    """Return the source a URL calls, as the sync log counts it (one name per source)."""
    path = url.split("?", 1)[0]
    if path.startswith(_DOCUMENTED_PREFIX) and path.endswith(_DOCUMENTED_SUFFIX):
        return DOCUMENTED_ENDPOINTS if path.count("/") > 4 else path
    return path


def checked_base_url(url: str) -> str:
    """Return a base URL a sync can fetch from, or raise ArchiverError saying why not.

    httpx refused some while making the client (a port that is no number, 999.999.999.999)
    and the socket others at the first request (a port past 65535): a traceback out of the
    fetch's task group, not a line. Any other scheme than http(s) fails every request.
    """
    import httpx  # Here: the command line reads this module's names at every start.

    try:
        parsed = httpx.URL(url)
        urlsplit(url).port  # noqa: B018  (ValueError for a port outside 0-65535)
    except (httpx.InvalidURL, ValueError, TypeError) as error:
        reason = str(error)
    else:
        ok = parsed.scheme in ("http", "https") and parsed.host
        reason = "" if ok else "not an http(s) address with a host"
    if reason:
        raise ArchiverError(
            f"base URL {url!r} cannot be fetched from: {reason}; give one like {DEFAULT_BASE_URL}"
        )
    return url


def base_url_from_environment() -> str:
    """Return ARCHIVER_BASE_URL if set (a replay server, a mirror), else OpenRouter's."""
    return os.environ.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL
