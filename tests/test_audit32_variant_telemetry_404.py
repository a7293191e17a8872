"""A per-variant telemetry source answering 404 for one variant records no gap for it.

Effective pricing and model activity are optional sources: a 404 means "not offered", never
a failure. Upstream sends figures (zeros for a variant nobody used) for every catalog
variant, so a 404 for one variant while the others answer is a failed request, not "no
figures". It was read as "no figures": the variant got a gap ("-" in every column, or in
the 404'd source's columns) and its figures again at the next fetch, two made-up changes
while upstream's figures stood. Now its last figures stand, as after any failed request.
Real small captures, three real syncs twelve hours apart (every variant due each time).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from archiver.capture.faults import Fault
from archiver.capture.files import Capture, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import VARIANT_TELEMETRY, SyncOptions, sync
from archiver.telemetry import series
from archiver.upstream import sources
from archiver.upstream.entities import Variant, catalog_variants
from archiver.upstream.fetch import FetchPolicy, Response
from tests.small_captures import SMALL_DAILY, some_models, with_models_only


def first_variant(capture: Capture) -> tuple[str, Variant]:
    """Return the first catalog variant (by key) that has an endpoint, and its key."""
    catalog = next(r for r in capture.responses if r.url == sources.CATALOG_MODELS)
    return next(
        (key, variant)
        for key, variant in sorted(catalog_variants(Response(catalog.url, catalog.body)).items())
        if variant.has_endpoint
    )


def _sync(repo: Path, capture: Capture, hours: int, faults: tuple[Fault, ...] = ()) -> None:
    replay = ReplayTransport(capture, faults)
    epoch = capture.time + timedelta(hours=hours)
    policy = FetchPolicy(attempts=1)
    sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch, policy=policy))


@pytest.mark.parametrize("failing", [("effective_pricing",), tuple(VARIANT_TELEMETRY)])
def test_a_variant_whose_figures_answer_404_keeps_its_last_figures(
    tmp_path: Path, failing: tuple[str, ...]
) -> None:
    whole = read_capture(SMALL_DAILY[0])
    capture = with_models_only(whole, some_models(whole, 8, featured=1))
    key, variant = first_variant(capture)
    urls = {name: variant.url(path) for name, path in VARIANT_TELEMETRY.items()}
    sent = {
        name: next(r.body["data"] for r in capture.responses if r.url == url)
        for name, url in urls.items()
    }
    repo = tmp_path / "archive"
    _sync(repo, capture, 0)
    _sync(repo, capture, 12, tuple(Fault(urls[name], status=404) for name in failing))
    _sync(repo, capture, 24)

    samples = series(repo, "model_variant", key)
    assert [sample["epoch"] for sample in samples] == [f"{capture.time:%Y-%m-%dT%H}:00:00Z"]
    assert {name: samples[0][name] for name in sent} == sent
