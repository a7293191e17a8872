"""A new provider waits while the endpoint listing that names it answers 404, as for a 500.

A catalog model's endpoint listing that answers 404 (the sync counts it a failure, keeps the
model's endpoints and asks the documented listing instead) did not hold back the new
providers it alone names: a 404 was read as "not offered". Such a provider was written with
its /api/frontend/v1/all-providers part alone, then changed the next hour when the listing
came back: a version made by a failed request. (A capture that did not record the listing
is still "not offered": an import does not hold anything back for it.)
Real small captures, as tests/test_audit30_new_provider_waits.py builds them.
"""

from __future__ import annotations

from pathlib import Path

from archiver.capture.faults import Fault
from archiver.capture.files import read_capture
from archiver.paths import key_to_path
from tests.archive_helpers import git
from tests.small_captures import SMALL_DAILY, some_models, with_models_only
from tests.test_audit30_new_provider_waits import (
    _providers_of_one_listing,
    _sync,
    _without_providers,
)


def test_a_new_provider_waits_for_the_endpoint_listing_that_answered_404(
    tmp_path: Path,
) -> None:
    whole = read_capture(SMALL_DAILY[0])
    capture = with_models_only(whole, some_models(whole, 3))
    new = _providers_of_one_listing(capture)
    (waiting, url), _ = new
    repo = tmp_path / "archive"
    _sync(repo, _without_providers(capture, new), 0)

    failed = _sync(repo, capture, 1, (Fault(url, status=404),))
    assert any("HTTP 404" in failure for failure in failed.failures), failed.failures
    path = key_to_path("provider", waiting)
    assert not (repo / path).exists(), "written without the listing that holds its record"
    _sync(repo, capture, 2)
    assert len(git(repo, "log", "--format=%h", "--", path).split()) == 1
