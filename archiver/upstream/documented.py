"""OpenRouter's documented endpoint listing as a second source: read, mapped, compared.

`/api/v1/models/{author}/{slug}/endpoints` is versioned and documented; the frontend paths
the archive lives on are neither, and moved once already. A sync fetches it for every model
whose frontend listing failed (after its retries) and for a stable share of the other models
(each about once a day, spread over the hours like the uptime windows), so that a moved or
broken frontend path degrades the archive to the documented data instead of stopping it.

The documented objects are poorer (no endpoint UUID, no limits, no data policy, no
`provider_info`, a subset of the pricing), so the rule is:

- endpoint files are never written from it: an archived endpoint keeps its file, byte for
  byte, and is never removed on its evidence (it has no UUIDs to show one gone);
- it is mapped onto archived endpoints by model and provider tag (the endpoint's
  `model_variant_slug` and `provider_slug`, the documented `tag`); a tag that matches no
  endpoint, or several, is reported and its figures are not kept;
- what it alone tells is kept, as telemetry of kind `endpoint_documented` keyed by
  endpointId: `status`, `uptime_last_*`, `latency_last_*` and `throughput_last_*`;
- a price it states that differs from the endpoint file's is reported: as a failure when the
  frontend listing failed (the file is then knowingly behind), as a note otherwise (the two
  sources disagree).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from archiver import jsonvalue
from archiver.canonical import json_bytes
from archiver.errors import UnsafeKeyError
from archiver.paths import category_dir, path_to_key
from archiver.textsafe import key_text
from archiver.upstream.fetch import Response
from archiver.upstream.listing import continues

KIND = "endpoint_documented"
# Documented fields that move with traffic: kept as telemetry.
TELEMETRY_FIELDS = ("status",)
TELEMETRY_PREFIXES = ("uptime_last_", "latency_last_", "throughput_last_")

# {modelKey: the documented endpoint objects that carry a tag}
Listings = dict[str, list[dict[str, Any]]]


def read_listing(model_key: str, response: Response) -> tuple[list[dict[str, Any]] | None, str]:
    """Return (the listing's endpoint objects, '') or (None, the one-line reason it is unusable)."""
    label = f"documented endpoints of {key_text(model_key)}"
    if not response.ok:
        return None, f"{label}: {response.error}"
    body = response.data
    data = body.get("data") if isinstance(body, dict) else None
    items = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None, f"{label}: expected {{'data': {{'endpoints': [...]}}}} from {response.url}"
    more = continues(response, ("data", "endpoints"))
    if more is not None:
        # One page: read, the endpoints on the other pages would have their figures gone.
        return None, f"{label}: the response is one page of more ({more}); not used"
    usable = [item for item in items if isinstance(item, dict) and isinstance(item.get("tag"), str)]
    if len(usable) < len(items):
        return None, f"{label}: {len(items) - len(usable)} endpoint(s) without a tag; not used"
    if not usable:
        # Asked only of a model whose frontend listing was fetched, one with endpoints: an
        # empty listing is cut short, and read, it recorded every endpoint's figures gone.
        return None, f"{label}: lists no endpoint; not used ({response.url})"
    return usable, ""


def figures(item: Mapping[str, Any]) -> dict[str, Any]:
    """Return a documented endpoint's telemetry fields."""
    return {
        name: value
        for name, value in item.items()
        if name in TELEMETRY_FIELDS or name.startswith(TELEMETRY_PREFIXES)
    }


@dataclass
class Mapped:
    """The documented listings of one sync, mapped onto endpoints."""

    telemetry: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Endpoints of the models whose documented listing was read: their figures are current.
    covered: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def map_listings(
    listings: Listings, endpoints: Iterable[Mapping[str, Any]], frontend_failed: set[str]
) -> Mapped:
    """Map documented listings onto endpoint objects (this sync's and archived ones)."""
    by_tag: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for endpoint in endpoints:
        model_key, tag = endpoint.get("model_variant_slug"), endpoint.get("provider_slug")
        if model_key in listings and isinstance(tag, str) and isinstance(endpoint.get("id"), str):
            by_tag.setdefault((model_key, tag), []).append(endpoint)
    mapped = Mapped()
    for matches in by_tag.values():
        mapped.covered.update(str(endpoint["id"]) for endpoint in matches)
    for model_key in sorted(listings):
        failed = model_key in frontend_failed
        for item in listings[model_key]:
            _map_one(model_key, item, by_tag.get((model_key, item["tag"]), []), mapped, failed)
        if failed:
            mapped.notes.append(
                f"endpoints of {model_key}: the frontend listing failed; its archived "
                "endpoints are kept and the documented API's figures archived"
            )
    return mapped


def _map_one(
    model_key: str,
    item: Mapping[str, Any],
    matches: list[Mapping[str, Any]],
    mapped: Mapped,
    frontend_failed: bool,
) -> None:
    """Map one documented endpoint onto the one endpoint with its tag, reporting otherwise."""
    label = f"documented endpoint {item['tag']!r} of {model_key}"
    if len(matches) != 1:
        what = "no archived endpoint" if not matches else f"{len(matches)} endpoints"
        mapped.notes.append(f"{label} matches {what}; its figures are not kept")
        return
    endpoint = matches[0]
    endpoint_id = str(endpoint["id"])
    mapped.telemetry[endpoint_id] = figures(item)
    differences = _price_differences(item.get("pricing"), endpoint.get("pricing"))
    if not differences:
        return
    line = f"{label} (endpoint {endpoint_id}) is priced {differences}"
    if frontend_failed:
        # The file is knowingly behind until the frontend listing answers again.
        mapped.problems.append(f"{line}; the endpoint file keeps the last frontend listing's")
    else:
        mapped.notes.append(f"{line}; the two sources disagree, the file follows the frontend")


def _price_differences(documented: Any, archived: Any) -> str:
    """Return the prices both state and differ on, as `sku documented (file: archived)`."""
    if not isinstance(documented, dict) or not isinstance(archived, dict):
        return ""
    parts = [
        f"{sku} {_text(documented[sku])} (file: {_text(archived[sku])})"
        for sku in sorted(documented.keys() & archived.keys())
        if _text(documented[sku]) != _text(archived[sku])
    ]
    return ", ".join(parts)


def _text(value: Any) -> str:
    """Return a price as its JSON text (so 0 and "0" differ, as upstream sent them)."""
    try:
        return json_bytes(value).decode()
    except jsonvalue.EncodeError as error:
        # Nested deeper than a file holds, where repr would recurse as deep: say so instead.
        return f"<{error}>"
    except (TypeError, ValueError):
        return repr(value)


def archived_endpoints(
    tracked: Mapping[str, str], read: Callable[[str], bytes], model_keys: set[str]
) -> list[dict[str, Any]]:
    """Return the archived endpoint objects of these models (read from the archive at HEAD)."""
    found: list[dict[str, Any]] = []
    prefix = f"{category_dir('endpoint')}/"
    for path, blob in tracked.items():
        if not path.startswith(prefix):
            continue
        try:
            path_to_key(path)
            entity = jsonvalue.loads(read(blob))  # exact: a file may hold 1e400
        except (UnsafeKeyError, jsonvalue.DecodeError):
            continue  # Not an endpoint file the archive wrote; the plan reports it.
        # Text only: a person's edit may make either an object, which names no model and no
        # file (and `in` a set raised on it, stopping the whole sync).
        if not isinstance(entity, dict) or not isinstance(entity.get("id"), str):
            continue
        if _text_in(entity.get("model_variant_slug"), model_keys):
            found.append(entity)
    return found


def _text_in(value: Any, keys: set[str]) -> bool:
    """Tell whether a value read from a file is one of these keys (text, not any value)."""
    return isinstance(value, str) and value in keys
