"""Make the small real captures the tests replay: a few dozen models of each shared capture.

Run from the project root with ../shared beside it (the output is committed, so tests never
need ../shared):

    python tests/captures/trim.py

The models are chosen to keep every oddity of the real data: `~` aliases and their targets,
catalog-only orphans (with and without an endpoint), `endpoint: null`, variants (`:free`,
`:thinking`), google-vertex endpoints of every adapter family (their embedded provider record
differs by family), the models whose endpoints changed, appeared or vanished between the
daily sweeps, and the models that leave /api/v1/models and later return to it (across the
v1-models captures and the daily ones, in time order). Responses are kept exactly as
recorded; only whole responses and whole listing items are left out.
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
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

SHARED = ROOT.parent / "shared" / "openrouter" / "captures"
OUT = Path(__file__).resolve().parent
V1 = "/api/v1/models"
CATALOG = "/api/frontend/v1/catalog/models"
ENDPOINTS = "/api/frontend/v1/stats/endpoint"
PER_VARIANT = ("/api/frontend/v1/stats/effective-pricing", "/api/frontend/v1/stats/model-activity")

# Named for what they show; the rest of the selection is computed below.
NAMED = {
    "anthropic/claude-opus-4.7",
    "openai/gpt-4.1",
    "~openai/gpt-mini-latest",
    "~anthropic/claude-opus-latest",
    "~google/gemini-flash-latest",
}
PER_VERTEX_FAMILY = 2
ORPHANS_WITHOUT_ENDPOINT = 4
V1_ONLY_CHURN = 6
# Models in every sweep with one endpoint each: enough of them that the real day-to-day
# churn stays the small share of each listing it is upstream (the removal guard sees shares).
STABLE_FILLER = 50


def catalog_key(entry: dict[str, Any]) -> str:
    """Return a catalog entry's modelKey (as archiver.entities does)."""
    endpoint = entry.get("endpoint")
    key: str = endpoint["model_variant_slug"] if endpoint else entry["slug"]
    return key


def listings(capture: Capture) -> dict[str, list[dict[str, Any]]]:
    """Return {modelKey: endpoint listing items} of a daily capture."""
    found: dict[str, list[dict[str, Any]]] = {}
    for response in capture.responses:
        if response.url.startswith(ENDPOINTS + "?") and response.body["data"]:
            found[response.body["data"][0]["model_variant_slug"]] = response.body["data"]
    return found


def choose(daily: list[Capture], v1_captures: list[Capture]) -> set[str]:
    """Return the modelKeys the trimmed daily captures keep."""
    chosen = set(NAMED) | returning([*v1_captures, *daily])
    per_day = [listings(capture) for capture in daily]
    by_id = [{e["id"]: e for items in day.values() for e in items} for day in per_day]
    for old, new in itertools.pairwise(by_id):
        for endpoint_id in old.keys() | new.keys():
            a, b = old.get(endpoint_id), new.get(endpoint_id)
            if a is None or b is None or _durable(a) != _durable(b):
                either = a or b
                assert either is not None  # the id comes from old or new
                chosen.add(either["model_variant_slug"])
    families: dict[tuple[Any, Any], list[str]] = defaultdict(list)
    for key, items in sorted(per_day[0].items()):
        for item in items:
            info = item["provider_info"]
            if info["slug"] == "google-vertex":
                families[info.get("adapterName"), info.get("pricingStrategy")].append(key)
    for keys in families.values():
        chosen |= set(keys[:PER_VERTEX_FAMILY])
    chosen |= {k for k in per_day[0] if k.endswith((":thinking", ":batch"))}
    catalog = _body(daily[0], CATALOG)
    v1 = {m["id"] for m in _body(daily[0], V1)}
    nulls = sorted(e["slug"] for e in catalog if e["endpoint"] is None and e["slug"] not in v1)
    chosen |= set(nulls[:ORPHANS_WITHOUT_ENDPOINT])
    in_v1 = set.intersection(*({m["id"] for m in _body(c, V1)} for c in daily))
    single = [
        key for key in sorted(in_v1 - chosen) if all(len(day.get(key, [])) == 1 for day in per_day)
    ]
    chosen |= set(single[:STABLE_FILLER])
    # Last, so the filler above stays the same models whatever the aliases point to.
    for capture in daily:
        chosen |= alias_targets(capture, chosen)
    return chosen


def alias_targets(capture: Capture, chosen: set[str]) -> set[str]:
    """Return the models whose endpoints the chosen `~` aliases list.

    An alias's listing names its target in each item's `model_variant_slug`; an alias kept
    without its target would leave endpoints pointing at a model the captures lack.
    """
    aliases = [e for e in _body(capture, CATALOG) if catalog_key(e).startswith("~")]
    queries = {_variant_query(e) for e in aliases if catalog_key(e) in chosen}
    targets: set[str] = set()
    for response in capture.responses:
        path, _, query = response.url.partition("?")
        if path == ENDPOINTS and query in queries:
            targets |= {item["model_variant_slug"] for item in response.body["data"]}
    return targets


def returning(captures: list[Capture]) -> set[str]:
    """Return the v1 modelKeys that leave /api/v1/models and return, captures in time order."""
    sets = [{m["id"] for m in _body(c, V1)} for c in captures]
    found: set[str] = set()
    for key in set.union(*sets):
        present = "".join("1" if key in s else "0" for s in sets).strip("0")
        if "0" in present:
            found.add(key)
    return found


def _durable(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return an endpoint without the fields that move every hour."""
    from archiver.upstream.fields import split_endpoint

    return split_endpoint(endpoint)[0]


def _body(capture: Capture, path: str) -> Any:
    """Return the data of a capture's response at path."""
    return next(r.body["data"] for r in capture.responses if r.url == path)


def trim_daily(capture: Capture, chosen: set[str]) -> list[CapturedResponse]:
    """Return the responses of a daily capture that concern the chosen models."""
    catalog = _body(capture, CATALOG)
    kept_entries = [e for e in catalog if catalog_key(e) in chosen]
    variant_urls = {_variant_query(e) for e in kept_entries}
    kept: list[CapturedResponse] = []
    for response in capture.responses:
        path, _, query = response.url.partition("?")
        if path == V1:
            items = [m for m in response.body["data"] if m["id"] in chosen]
            kept.append(_with_data(response, items))
        elif path == CATALOG:
            kept.append(_with_data(response, kept_entries))
        elif path in (ENDPOINTS, *PER_VARIANT):
            if query in variant_urls:
                kept.append(response)
        else:
            kept.append(response)
    return kept


def _variant_query(entry: dict[str, Any]) -> str:
    """Return the per-variant query string of a catalog entry, as the captures spell it."""
    from archiver.upstream.sources import variant_url

    endpoint = entry["endpoint"]
    variant = endpoint["variant"] if endpoint else "standard"
    return variant_url("", entry["permaslug"], variant).lstrip("?")


def _with_data(response: CapturedResponse, items: list[Any]) -> CapturedResponse:
    """Return a response whose body's data list is replaced."""
    return CapturedResponse(response.method, response.url, response.status, {"data": items})


def trim_v1(captures: list[Capture], chosen: set[str]) -> list[list[CapturedResponse]]:
    """Return the v1-models captures cut to the chosen models plus a few that come and go."""
    sets = [{m["id"] for m in _body(c, V1)} for c in captures]
    everywhere = set.intersection(*sets)
    churn = sorted(set.union(*sets) - everywhere)[:V1_ONLY_CHURN]
    keep = chosen | set(churn)
    return [
        [_with_data(r, [m for m in r.body["data"] if m["id"] in keep]) for r in c.responses]
        for c in captures
    ]


def main() -> None:
    """Write tests/captures/daily/*.jsonl.gz and tests/captures/v1-models/*.jsonl.gz."""
    daily = [read_capture(p) for p in sorted((SHARED / "daily").glob("*.jsonl.gz"))]
    v1 = [read_capture(p) for p in sorted((SHARED / "v1-models").glob("*.jsonl.gz"))]
    chosen = choose(daily, v1)
    note = "trimmed by tests/captures/trim.py to a few dozen models; "
    for capture in daily:
        assert capture.path is not None  # read from a file
        target = OUT / "daily" / capture.path.name
        responses = trim_daily(capture, chosen)
        write_capture(target, capture.time, capture.source, note + capture.note, responses)
    for capture, responses in zip(v1, trim_v1(v1, chosen), strict=True):
        assert capture.path is not None  # read from a file
        target = OUT / "v1-models" / capture.path.name
        write_capture(target, capture.time, capture.source, note + capture.note, responses)
    print(f"{len(chosen)} models chosen: {', '.join(sorted(chosen))}")


if __name__ == "__main__":
    main()
