"""A URL built from an upstream value too long for httpx fails that URL alone, in one line.

A catalog model whose permaslug is 70,000 characters (or a model key as long, which goes
into the documented listing's path) made a URL over httpx's 64 KiB limit: httpx raised
InvalidURL, which is no HTTPError, and the whole sync ended in a traceback, every hour,
archiving nothing. Now that URL fails as any failed request does, with a short line that
shows its start and its length, and the rest of the sync goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from archiver.capture.files import Capture, CapturedResponse
from archiver.upstream import sources
from tests.small_captures import first_listed_models, small_captures, sync_small, with_models_only

__all__ = ["small_captures"]  # the session fixture, used here

PER_VARIANT = (sources.ENDPOINT_STATS, sources.EFFECTIVE_PRICING, sources.MODEL_ACTIVITY)
HUGE = 70_000


def _renamed(value: Any, old: str, new: str) -> Any:
    """Return a JSON value with every string equal to old replaced by new."""
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, list):
        return [_renamed(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _renamed(item, old, new) for key, item in value.items()}
    return value


def _with_value(capture: Capture, old: str, new: str) -> Capture:
    """Return the capture as upstream would send it with one value (a key, a permaslug)
    spelt otherwise: in every body, and in the per-variant URLs that carry it."""
    responses = []
    for response in capture.responses:
        url = response.url
        path, _, query = url.partition("?")
        if path in PER_VARIANT:
            asked = {name: value if value != old else new for name, value in parse_qsl(query)}
            url = sources.variant_url(path, asked["permaslug"], asked["variant"])
        body = _renamed(response.body, old, new)
        responses.append(CapturedResponse(response.method, url, response.status, body))
    return Capture(capture.time, capture.source, "renamed", tuple(responses))


@pytest.fixture(scope="module")
def two_models(small_captures: list[Capture]) -> tuple[Capture, str, str, str]:
    """Return a capture of two models with endpoints: the key and permaslug (not the key)
    of one, and the other's key."""
    keys = first_listed_models(small_captures[0], 2)
    capture = with_models_only(small_captures[0], keys)
    catalog = next(r for r in capture.responses if r.url == sources.CATALOG_MODELS)
    entry = next(e for e in catalog.body["data"] if e["permaslug"] != e["slug"])
    key = entry["endpoint"]["model_variant_slug"]
    return capture, key, str(entry["permaslug"]), next(iter(keys - {key}))


def _failures_short_and_rest_archived(repo: Path, capture: Capture, other_key: str) -> list[str]:
    """Sync; return the failures, checking each is short and the other model archived."""
    log = sync_small(repo, capture)
    assert (repo / "data" / "model" / f"{other_key}.json").is_file()
    assert log.failures
    assert all(len(line) < 1_000 for line in log.failures), [len(f) for f in log.failures]
    return log.failures


def test_a_huge_permaslug_fails_its_urls_not_the_sync(
    two_models: tuple[Capture, str, str, str], tmp_path: Path
) -> None:
    capture, key, permaslug, other = two_models
    edited = _with_value(capture, permaslug, "p" * HUGE)
    failures = _failures_short_and_rest_archived(tmp_path / "archive", edited, other)
    listing = next(line for line in failures if line.startswith(f"endpoints of {key}:"))
    assert "URL too long" in listing and "characters); not fetched" in listing
    # Its model file is still written: the permaslug is its data, as sent.
    assert (tmp_path / "archive" / "data" / "model" / f"{key}.json").is_file()


def test_a_huge_model_key_fails_its_documented_listing_not_the_sync(
    two_models: tuple[Capture, str, str, str], tmp_path: Path
) -> None:
    capture, key, _, other = two_models
    huge_key = "y" * HUGE + "/a"
    failures = sync_small(tmp_path / "archive", _with_value(capture, key, huge_key)).failures
    assert (tmp_path / "archive" / "data" / "model" / f"{other}.json").is_file()
    assert any(line.startswith("refusing model key 'yyy") for line in failures)
