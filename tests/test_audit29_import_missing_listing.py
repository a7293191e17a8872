"""A capture that did not record a model's endpoint listing changes no provider record.

`archiver import` counts every source a capture lacks as "not offered" (a 404), and such a
listing was skipped as if it had never been asked for: the providers' `provider_info` part
was still taken as whole, so a provider named only in the missing listing lost its
`provider_info` part (its file rewritten, exit 0) while the endpoints of that very listing
were rightly kept. Real small captures: the first sweep, then the same sweep an hour later
without one listing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from archiver.capture.files import read_capture, write_capture
from archiver.cli import main
from tests.archive_helpers import commit_count, git

ENDPOINT_LISTING = "/api/frontend/v1/stats/endpoint?"


def _provider_of(endpoint: dict[str, object]) -> object:
    """Return the provider slug an endpoint of a listing names."""
    info = endpoint.get("provider_info")
    return info.get("slug") if isinstance(info, dict) else None


def test_a_listing_the_capture_lacks_keeps_its_providers_records(
    daily_paths: list[Path], tmp_path: Path
) -> None:
    first = daily_paths[0]
    capture = read_capture(first)
    listings_of: defaultdict[object, set[str]] = defaultdict(set)
    for response in capture.responses:
        if response.url.startswith(ENDPOINT_LISTING) and response.status == 200:
            for endpoint in response.body.get("data") or []:
                listings_of[_provider_of(endpoint)].add(response.url)
    # A provider that only one model's listing names: that listing is the one left out.
    provider, url = next(
        (slug, next(iter(urls)))
        for slug, urls in sorted(listings_of.items(), key=str)
        if isinstance(slug, str) and len(urls) == 1
    )
    lacking = tmp_path / "lacking.jsonl.gz"
    kept = [r for r in capture.responses if r.url != url]
    write_capture(lacking, capture.time + timedelta(hours=1), "test", "one listing lost", kept)

    repo = tmp_path / "archive"
    runner = CliRunner()
    assert runner.invoke(main, ["import", "--repo", str(repo), str(first)]).exit_code == 0
    providers = git(repo, "rev-parse", "HEAD:data/provider")
    result = runner.invoke(main, ["import", "--repo", str(repo), str(lacking)])
    assert result.exit_code == 0, result.output
    assert "not offered (HTTP 404): /api/frontend/v1/stats/endpoint" in result.output
    # The rest of the capture is the first one again: nothing upstream changed.
    assert commit_count(repo) == 1, git(repo, "diff", "--stat", "HEAD~1", "HEAD")
    assert git(repo, "rev-parse", "HEAD:data/provider") == providers, provider
