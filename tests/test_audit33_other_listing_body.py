"""A catalog-wide listing answered with another listing's body invents no entity (audit, soak).

A cache that serves one URL's response for another is a fault the replay server plays. A
catalog model has a string `slug` and an endpoint a string `id`, the only fields the
provider lists and /api/v1/models require: /api/frontend/v1/all-providers answered with
the catalog wrote a provider file per model (`data/provider/openai/gpt-4.1.json`), and the
removal guard then kept those for a week, the real list being "implausibly" short of them;
/api/v1/models answered with an endpoint listing wrote a model per endpoint UUID. Such a
body is now taken as a failed response: reported in one line, nothing written.

The small real archive of an eighth of the models; the swapped body is the capture's own.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from archiver.capture.files import Capture, CapturedResponse
from archiver.upstream import sources
from tests.archive_helpers import git
from tests.small_captures import ENDPOINT_LISTING, copy_archive, small_captures, sync_small
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]


def _swapped(capture: Capture, target: str, donor: str, hours: int) -> Capture:
    """Return the capture an hour later, `target` answering with `donor`'s body."""
    bodies = {response.url: response.body for response in capture.responses}
    if donor == ENDPOINT_LISTING:
        donor = next(u for u, b in bodies.items() if u.startswith(donor) and b.get("data"))
    responses = tuple(
        CapturedResponse(r.method, r.url, r.status, bodies[donor] if r.url == target else r.body)
        for r in capture.responses
    )
    return Capture(capture.time + timedelta(hours=hours), capture.source, "swapped", responses)


def _entity_files(repo: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(repo)): path.read_bytes()
        for category in ("model", "endpoint", "provider")
        for path in (repo / "data" / category).rglob("*.json")
    }


@pytest.mark.parametrize(
    ("target", "donor", "label"),
    [
        (sources.ALL_PROVIDERS, sources.CATALOG_MODELS, "all providers"),
        (sources.V1_MODELS, ENDPOINT_LISTING, "v1 models"),
    ],
)
def test_another_listing_body_writes_nothing_and_is_reported(
    base: Path, cut: list[Capture], tmp_path: Path, target: str, donor: str, label: str
) -> None:
    repo = copy_archive(base, tmp_path / "archive")
    before, head = _entity_files(repo), git(repo, "rev-parse", "HEAD")
    log = sync_small(repo, _swapped(cut[0], target, donor, 1))
    assert _entity_files(repo) == before
    assert log.commit_id is None and git(repo, "rev-parse", "HEAD") == head
    failures = [f for f in log.failures if f.startswith(f"{label}: every item holds")]
    assert len(failures) == 1 and "another URL's response" in failures[0], log.failures
    # The right body again: nothing to undo, no guard holding anything.
    log = sync_small(repo, _swapped(cut[0], target, target, 2))
    assert log.commit_id is None and not log.failures, log.failures
