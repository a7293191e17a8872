"""A model variant new to the archive showed no effective pricing or activity for up to 12
hours, though upstream had them: its daily-bucket telemetry waited for its slot hour.

A variant not due keeps its last figures (data/README.md); one that has none (a model first
seen, or back after its removal left a gap) had nothing to keep, so `archiver telemetry
model-variant` and every reader showed it absent while upstream sent figures at that hour.
Now a variant the archive holds no model file of is due at once.
Real small captures, two real syncs an hour apart, the command line. (Found by a helper's
hunt comparing every telemetry figure with the captures' responses, sync by sync.)
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.upstream import sources
from archiver.upstream.entities import catalog_variants
from archiver.upstream.fetch import Response
from archiver.upstream.schedule import Schedule
from tests.small_captures import small_captures, sync_small, with_models_only

__all__ = ["small_captures"]


def _late_variant(capture: Capture) -> tuple[str, str]:
    """Return a model with a featured endpoint whose slot is not the hour after the
    capture's, and the URL of its effective pricing."""
    catalog = next(r for r in capture.responses if r.url == sources.CATALOG_MODELS)
    variants = catalog_variants(Response(catalog.url, catalog.body, status=200))
    later = Schedule.between(capture.time, capture.time + timedelta(hours=1))
    urls = {r.url for r in capture.responses if r.status == 200}
    for key, variant in sorted(variants.items()):
        url = variant.url(sources.EFFECTIVE_PRICING)
        if variant.has_endpoint and not later.due(key) and url in urls:
            return key, url
    raise AssertionError("no variant off its slot in the capture")


def test_a_new_variant_gets_its_figures_in_the_sync_that_first_sees_it(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    capture = small_captures[0]
    key, url = _late_variant(capture)
    catalog = next(r for r in capture.responses if r.url == sources.CATALOG_MODELS)
    others = set(catalog_variants(Response(catalog.url, catalog.body, status=200))) - {key}
    repo = tmp_path / "archive"
    sync_small(repo, with_models_only(capture, others))
    next_hour = capture.time + timedelta(hours=1)
    sync_small(repo, dataclasses.replace(capture, time=next_hour))

    result = CliRunner().invoke(
        main, ["telemetry", "--repo", str(repo), "model-variant", key, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    samples = json.loads(result.output)
    sent = next(r.body["data"] for r in capture.responses if r.url == url)
    assert [s["epoch"] for s in samples] == [next_hour.strftime("%Y-%m-%dT%H:00:00Z")]
    assert samples[0]["effective_pricing"] == sent
