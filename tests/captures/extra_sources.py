"""Make the uptime-window and documented-listing captures the tests replay beside the small
daily captures.

Run from the project root after tests/captures/trim.py, with ../shared beside it (the output
is committed):

    python tests/captures/extra_sources.py

No capture of `/api/frontend/v1/stats/uptime-hourly?id=...` or of the documented
`/api/v1/models/{author}/{slug}/endpoints` exists for the endpoints of the daily sweeps, so
each file here holds, for one small daily capture and at its time:

- every endpoint's hourly uptime window in the real shape (the orchid samples:
  ``{"data": {"history": [{"date": "YYYY-MM-DD HH:00:00", "uptime": ...}]}}``, 73 hours,
  newest first), its values drawn from the real windows of those samples (numbers and
  nulls) by a stable hash of the endpoint and hour, so overlapping windows agree; the newest
  hour of each window is still in progress and shows another value, so the next window
  revises it; the last capture leaves out every seventh hour (real windows have holes);
- every model's documented endpoint listing, built from the real frontend endpoints of the
  capture in the documented PublicEndpoint shape (OpenRouter's API reference and the
  v1-endpoints samples): tag = provider_slug, the documented pricing keys, uptime_last_*
  from the synthetic windows, latency/throughput percentiles from the real `stats`.

A test replays a daily capture and its file here together (`with_extra_sources`).
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from archiver.capture.files import (  # noqa: E402
    Capture,
    CapturedResponse,
    read_capture,
    write_capture,
)
from archiver.upstream import sources  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "extra"
SAMPLES = ROOT.parent / "shared" / "openrouter" / "samples" / "orchid" / "notes"
SAMPLE_WINDOWS = [
    SAMPLES / "or-samples" / "frontend" / "liquid_lfm-7b" / "uptime-hourly-1.json",
    SAMPLES / "or-samples" / "frontend" / "liquid_lfm-7b" / "uptime-hourly-2.json",
]
WINDOW_HOURS = 73
HOLE_EVERY = 7
DOCUMENTED_PRICES = (
    "prompt",
    "completion",
    "input_cache_read",
    "input_cache_write",
    "request",
    "image",
    "web_search",
    "internal_reasoning",
    "discount",
)
NOTE = (
    "built by tests/captures/extra_sources.py: uptime-hourly windows (the real shape of the "
    "orchid samples, values drawn from their real windows; the newest hour in progress, "
    "revised by the next window; the last capture with holes) and documented endpoint "
    "listings (the documented PublicEndpoint shape, built from this time's real frontend "
    "endpoints) for every endpoint and model of the small daily capture of the same time"
)


def pool() -> list[Any]:
    """Return the real uptime values of the sample windows, in their order."""
    values: list[Any] = []
    for path in SAMPLE_WINDOWS:
        values += [point["uptime"] for point in json.loads(path.read_text())["data"]["history"]]
    return values


def stable(text: str) -> int:
    """Return a stable number for a text."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def uptime(values: list[Any], endpoint_id: str, hour: datetime, newest: bool) -> Any:
    """Return an endpoint's uptime at an hour: final, or in progress when it is the newest."""
    index = stable(endpoint_id) + int(hour.timestamp()) // 3600
    final = values[index % len(values)]
    if not newest:
        return final
    # The hour in progress reads differently until it is over (as real windows do).
    step = 1
    while values[(index + step) % len(values)] == final:
        step += 1
    return values[(index + step) % len(values)]


def window(values: list[Any], endpoint_id: str, at: datetime, holes: bool) -> dict[str, Any]:
    """Return one endpoint's uptime-hourly reply at a time, newest hour first."""
    newest = at.replace(minute=0, second=0, microsecond=0)
    history = []
    for back in range(WINDOW_HOURS):
        hour = newest - timedelta(hours=back)
        if holes and back and (int(hour.timestamp()) // 3600) % HOLE_EVERY == 1:
            continue
        value = uptime(values, endpoint_id, hour, back == 0)
        history.append({"date": hour.strftime("%Y-%m-%d %H:00:00"), "uptime": value})
    return {"data": {"history": history}}


def percentiles(stats: Any, figure: str) -> Any:
    """Return the documented percentile object of one real stats figure, or null."""
    if not isinstance(stats, dict) or f"p50_{figure}" not in stats:
        return None
    return {p: stats.get(f"{p}_{figure}") for p in ("p50", "p75", "p90", "p99")}


def public_endpoint(endpoint: dict[str, Any], values: list[Any], at: datetime) -> dict[str, Any]:
    """Return a frontend endpoint as the documented PublicEndpoint shape spells it."""
    pricing = endpoint.get("pricing") or {}
    model = endpoint.get("model") or {}
    stats = endpoint.get("stats")
    hour = at.replace(minute=0, second=0, microsecond=0)
    return {
        "name": f"{endpoint.get('provider_display_name')} | {endpoint.get('model_variant_slug')}",
        "model_id": endpoint.get("model_variant_slug"),
        "model_name": model.get("name"),
        "context_length": endpoint.get("context_length"),
        "pricing": {k: pricing[k] for k in DOCUMENTED_PRICES if k in pricing},
        "provider_name": endpoint.get("provider_display_name"),
        "tag": endpoint.get("provider_slug"),
        "quantization": endpoint.get("quantization"),
        "max_completion_tokens": endpoint.get("max_completion_tokens"),
        "max_prompt_tokens": endpoint.get("max_prompt_tokens"),
        "supported_parameters": endpoint.get("supported_parameters") or [],
        "status": endpoint.get("status"),
        "uptime_last_30m": uptime(values, endpoint["id"], hour, True),
        "uptime_last_5m": uptime(values, endpoint["id"], hour - timedelta(hours=1), True),
        "uptime_last_1d": uptime(values, endpoint["id"], hour - timedelta(hours=2), False),
        "supports_implicit_caching": False,
        "latency_last_30m": percentiles(stats, "latency"),
        "throughput_last_30m": percentiles(stats, "throughput"),
    }


def extra_responses(daily: Capture, values: list[Any], holes: bool) -> list[CapturedResponse]:
    """Return the uptime windows and documented listings for one daily capture."""
    responses: list[CapturedResponse] = []
    endpoint_ids: set[str] = set()
    for response in daily.responses:
        if not response.url.startswith(sources.ENDPOINT_STATS) or response.status != 200:
            continue
        items = [e for e in (response.body or {}).get("data") or [] if isinstance(e, dict)]
        if not items:
            continue
        endpoint_ids.update(str(e["id"]) for e in items)
        model_key = str(items[0]["model_variant_slug"])
        if model_key.startswith("~"):
            continue
        model = items[0].get("model") or {}
        body = {
            "data": {
                "id": model_key,
                "name": model.get("name"),
                "created": 0,
                "description": model.get("description"),
                "architecture": {"modality": model.get("modality")},
                "endpoints": [public_endpoint(e, values, daily.time) for e in items],
            }
        }
        responses.append(CapturedResponse("GET", sources.documented_url(model_key), 200, body))
    for endpoint_id in sorted(endpoint_ids):
        body = window(values, endpoint_id, daily.time, holes)
        responses.append(CapturedResponse("GET", sources.uptime_url(endpoint_id), 200, body))
    return responses


def main() -> None:
    """Write one file of extra sources per small daily capture."""
    OUT.mkdir(exist_ok=True)
    values = pool()
    paths = sorted((HERE / "daily").glob("*.jsonl.gz"))
    for number, path in enumerate(paths):
        daily = read_capture(path)
        responses = extra_responses(daily, values, holes=number == len(paths) - 1)
        write_capture(OUT / path.name, daily.time, daily.source, NOTE, responses)
        print(f"{path.name}: {len(responses)} responses")


if __name__ == "__main__":
    main()
