"""Make the ZDR-list captures the tests replay beside the small daily captures.

Run from the project root after tests/captures/trim.py (the output is committed):

    python tests/captures/zdr_list.py

No real capture of `GET /api/v1/endpoints/zdr` exists, so each file here holds one reply of
the documented shape (``{"data": [PublicEndpoint, ...]}``, OpenRouter's API reference) built
from the real endpoints of the small daily capture of the same time: an endpoint is listed
when its real `data_policy` says it neither trains on nor retains prompts, which is what ZDR
means. Membership therefore moves between the captures as the real endpoints and policies
did. A test replays a daily capture and its ZDR file together (`with_zdr`).
"""

from __future__ import annotations

import sys
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

HERE = Path(__file__).resolve().parent
OUT = HERE / "zdr"
ZDR = "/api/v1/endpoints/zdr"
ENDPOINTS = "/api/frontend/v1/stats/endpoint"
NOTE = (
    "built by tests/captures/zdr_list.py: the documented /api/v1/endpoints/zdr shape (no real "
    "capture exists), listing the endpoints of the small daily capture of the same time whose "
    "real data_policy has training and retainsPrompts false"
)


def is_zdr(endpoint: dict[str, Any]) -> bool:
    """Tell whether an endpoint's own data policy is zero data retention."""
    policy = endpoint.get("data_policy")
    if not isinstance(policy, dict):
        return False
    return policy.get("training") is False and policy.get("retainsPrompts") is False


def public_endpoint(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return an endpoint as the documented PublicEndpoint shape spells it."""
    pricing = endpoint.get("pricing") or {}
    model = endpoint.get("model") or {}
    stats = endpoint.get("stats") or {}
    return {
        "name": f"{endpoint.get('provider_display_name')} | {endpoint.get('model_variant_slug')}",
        "model_id": endpoint.get("model_variant_permaslug"),
        "model_name": model.get("name"),
        "context_length": endpoint.get("context_length"),
        "pricing": {k: pricing[k] for k in ("prompt", "completion") if k in pricing},
        "provider_name": endpoint.get("provider_display_name"),
        "tag": endpoint.get("provider_slug"),
        "quantization": endpoint.get("quantization"),
        "max_completion_tokens": endpoint.get("max_completion_tokens"),
        "max_prompt_tokens": endpoint.get("max_prompt_tokens"),
        "supported_parameters": endpoint.get("supported_parameters") or [],
        "status": endpoint.get("status"),
        "uptime_last_30m": stats.get("uptime_last_30m") if isinstance(stats, dict) else None,
        "supports_implicit_caching": False,
    }


def zdr_capture(daily: Capture) -> list[CapturedResponse]:
    """Return the ZDR list reply for the endpoints of one daily capture."""
    listed: dict[tuple[str, str], dict[str, Any]] = {}
    for response in daily.responses:
        if not response.url.startswith(ENDPOINTS) or response.status != 200:
            continue
        for endpoint in (response.body or {}).get("data") or []:
            if isinstance(endpoint, dict) and is_zdr(endpoint):
                item = public_endpoint(endpoint)
                listed.setdefault((str(item["model_id"]), str(item["tag"])), item)
    data = [listed[key] for key in sorted(listed)]
    return [CapturedResponse("GET", ZDR, 200, {"data": data})]


def main() -> None:
    """Write one ZDR capture per small daily capture."""
    OUT.mkdir(exist_ok=True)
    for path in sorted((HERE / "daily").glob("*.jsonl.gz")):
        daily = read_capture(path)
        responses = zdr_capture(daily)
        write_capture(OUT / path.name, daily.time, daily.source, NOTE, responses)
        print(f"{path.name}: {len(responses[0].body['data'])} ZDR endpoints")


if __name__ == "__main__":
    main()
