"""A provider record that changes upstream while some listings still send the old one: which
listings failed that hour no longer decides the provider file.

A provider file's `provider_info` part is the record the endpoint listings embed; when they
carry two records (a change reaching some listings first), the record most endpoints carried
was kept and the other endpoints kept their own values. Counted among the listings that
answered, a failed listing's copies went uncounted: with the copies half and half, one
failure flipped the provider file to the other record, and with it every endpoint file of
the provider that now differed from it, endpoints whose own data had not changed; the next
hour flipped them back. Now the archived record stays while any endpoint still carries it.
Real small captures, real syncs an hour apart, one listing answering 500 for an hour.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
from datetime import timedelta
from pathlib import Path

from archiver.capture.faults import Fault
from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.paths import key_to_path
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.fetch import FetchPolicy
from tests.archive_helpers import git
from tests.small_captures import SMALL_DAILY, some_models, with_models_only


def _sync(repo: Path, capture: Capture, hours: int, faults: tuple[Fault, ...] = ()) -> None:
    replay = ReplayTransport(capture, faults)
    epoch = capture.time + timedelta(hours=hours)
    policy = FetchPolicy(attempts=1)
    sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch, policy=policy))


def _listings_by_provider(capture: Capture) -> tuple[str, dict[str, list[str]]]:
    """Return the provider whose endpoints the most listings hold, and {listing URL: ids}."""
    held: dict[str, dict[str, list[str]]] = collections.defaultdict(dict)
    for response in capture.responses:
        if response.url.startswith(sources.ENDPOINT_STATS):
            for endpoint in response.body["data"]:
                slug = endpoint["provider_info"]["slug"]
                held[slug].setdefault(response.url, []).append(endpoint["id"])
    slug = max(sorted(held), key=lambda s: sum(map(len, held[s].values())))
    return slug, held[slug]


def _with_new_record(capture: Capture, slug: str, urls: list[str], flag: bool) -> Capture:
    """Return the capture with these listings sending the provider's record changed."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url in urls:
            body = copy.deepcopy(body)
            for endpoint in body["data"]:
                if endpoint["provider_info"]["slug"] == slug:
                    endpoint["provider_info"]["byokEnabled"] = flag
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return dataclasses.replace(capture, responses=tuple(responses))


def _versions(repo: Path, path: str) -> int:
    return len(git(repo, "log", "--format=%h", "--", path).split())


def test_a_failed_listing_does_not_flip_the_provider_record(tmp_path: Path) -> None:
    whole = read_capture(SMALL_DAILY[0])
    capture = with_models_only(whole, some_models(whole, 3, featured=2))
    slug, listings = _listings_by_provider(capture)
    ids = [i for url in sorted(listings) for i in listings[url]]
    # A third of the provider's endpoints get the new record (`false`, which sorts first);
    # listings of the old record fail for an hour until the copies are even: the new won.
    order = sorted(listings, key=lambda url: (len(listings[url]), url))
    changed: list[str] = []
    while sum(len(listings[url]) for url in changed) * 3 < len(ids):
        changed.append(order.pop(0))
    failed: list[str] = []
    while sum(len(listings[url]) for url in order) > sum(len(listings[u]) for u in changed):
        failed.append(order.pop(0))
    assert failed and order, (slug, {url: len(i) for url, i in listings.items()})
    flags = {
        e["provider_info"]["byokEnabled"]
        for r in capture.responses
        for e in r.body.get("data", [])
        if isinstance(e, dict)
        and isinstance(e.get("provider_info"), dict)
        and e["provider_info"]["slug"] == slug
    }
    assert flags == {True}
    mixed = _with_new_record(capture, slug, changed, flag=False)
    repo = tmp_path / "archive"
    _sync(repo, capture, 0)
    _sync(repo, mixed, 1, tuple(Fault(url, status=500) for url in failed))
    _sync(repo, mixed, 2)

    assert _versions(repo, key_to_path("provider", slug)) == 1
    moved = {i for url in changed for i in listings[url]}
    for endpoint_id in ids:
        expected = 2 if endpoint_id in moved else 1
        assert _versions(repo, key_to_path("endpoint", endpoint_id)) == expected, endpoint_id
