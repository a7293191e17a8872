"""A failed /api/v1/models never removes the endpoints of a model off the catalog (audit 34).

data/README.md: "an endpoint whose model left the (complete) catalog goes with it, unless
`/api/v1/models` still lists the model ... where it fails or answers 404 ..., no listing
shows them gone, so they stay, and their figures and the variant's stand". Found and
fixed: in a sync where /api/v1/models failed (a 5xx) while a model was off the catalog,
nothing could say whether it still listed the model, yet its endpoints were removed and
gaps written for their figures and the variant's; the same sync with /api/v1/models
answering kept them. A failed request may not change a byte: both syncs now leave the
same tree.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.entities import catalog_key
from archiver.upstream.fetch import FetchPolicy
from tests.archive_helpers import git
from tests.small_captures import copy_archive, small_captures
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


def _featured_v1_model(capture: Capture) -> str:
    """Return a model of the catalog with a featured endpoint that /api/v1/models lists."""
    by_url = {r.url: r.body for r in capture.responses}
    v1 = {m["id"] for m in by_url[sources.V1_MODELS]["data"]}
    keys = (catalog_key(e) for e in by_url[sources.CATALOG_MODELS]["data"] if e.get("endpoint"))
    return next(k for k in sorted(keys) if k in v1 and not k.startswith("~"))


def _off_catalog(capture: Capture, key: str, *, v1_fails: bool) -> Capture:
    """Return the capture an hour later, key gone from the catalog (its listing not
    recorded: a 404 for a model off the catalog), /api/v1/models failing or not."""
    responses = []
    for response in capture.responses:
        body, status = response.body, response.status
        if response.url == sources.CATALOG_MODELS:
            body = {**body, "data": [e for e in body["data"] if catalog_key(e) != key]}
        elif response.url == sources.V1_MODELS and v1_fails:
            body, status = {"error": {"message": "Internal Server Error"}}, 500
        elif response.url.startswith(sources.ENDPOINT_STATS) and any(
            e.get("model_variant_slug") == key for e in body.get("data", [])
        ):
            continue
        responses.append(dataclasses.replace(response, status=status, body=body))
    later = capture.time + timedelta(hours=1)
    return dataclasses.replace(capture, time=later, responses=tuple(responses))


def _sync(repo: Path, capture: Capture) -> list[str]:
    replay = ReplayTransport(capture)
    policy = FetchPolicy(attempts=1)  # A 5xx fails at once, without backoff sleeps.
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time)
    return sync(repo, dataclasses.replace(options, policy=policy)).failures


def test_a_failed_v1_listing_removes_no_endpoint_of_a_model_off_the_catalog(
    base: Path, cut: list[Capture], tmp_path: Path
) -> None:
    key = _featured_v1_model(cut[0])
    endpoints_before = git(base, "grep", "-l", f'"model_variant_slug": "{key}"', "HEAD", "--")
    assert "data/endpoint/" in endpoints_before
    answered, failed = (copy_archive(base, tmp_path / name) for name in ("answered", "failed"))

    assert not _sync(answered, _off_catalog(cut[0], key, v1_fails=False))
    failures = _sync(failed, _off_catalog(cut[0], key, v1_fails=True))

    assert any("v1 models" in f and "500" in f for f in failures), failures
    removed = git(failed, "diff", "--name-only", "--diff-filter=D", "HEAD~1", "HEAD")
    assert "data/endpoint/" not in removed
    # Not a byte differs from the sync whose /api/v1/models answered: no endpoint removed,
    # no gap for its figures or its variant's.
    assert git(failed, "rev-parse", "HEAD^{tree}") == git(answered, "rev-parse", "HEAD^{tree}")
