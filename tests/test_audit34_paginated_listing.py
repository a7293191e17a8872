"""A listing that says it is one page of more removes nothing.

Should OpenRouter start paginating a listing (`{"data": [...first page...], "next_cursor":
"..."}`, `meta.has_more`, a `Link: <...>; rel="next"` header), the sync read the first page
as the whole list: a model's endpoint listing cut to its first page removed the endpoints of
the other pages (and a provider named only there) without a failure line, a ZDR list cut to
its first page read as the endpoints of the other pages leaving ZDR, and the catalog-wide
listings removed what the removal guard let through. A page is now archived as it came, and
what it lacks is kept, with one line saying why.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from archiver.archive.synclog import SyncLog
from archiver.archive.zdr_ledger import LEDGER_PATH
from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from archiver.upstream.documented import read_listing
from archiver.upstream.fetch import Response
from archiver.upstream.listing import continues
from tests.small_captures import HERE, copy_archive, small_daily, some_models, with_models_only
from tests.test_sync import files_at

# Seven endpoints in the first small capture, of six providers.
PAGED_MODEL = "anthropic%2Fclaude-4.7-opus-20260416"


@pytest.fixture(scope="module")
def cut() -> Capture:
    """Return the first small capture cut to a few models, with its ZDR list."""
    daily = small_daily()[0]
    zdr = read_capture(sorted((HERE / "zdr").glob("*.jsonl.gz"))[0])
    capture = with_models_only(daily, some_models(daily, 4, featured=3))
    return replace(capture, responses=capture.responses + zdr.responses)


@pytest.fixture(scope="module")
def base(cut: Capture, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an archive of the cut capture (do not write to it)."""
    repo = tmp_path_factory.mktemp("paged-base") / "archive"
    log = _sync(repo, cut)
    assert log.commit_id and not log.failures, log.failures
    return repo


class _Linked(ReplayTransport):
    """A capture whose paged model's listing also carries a Link header to its next page."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reply = await super().handle_async_request(request)
        if PAGED_MODEL in str(request.url):
            reply.headers["Link"] = '<https://openrouter.ai/next?page=2>; rel="next"'
        return reply


def _sync(
    repo: Path, capture: Capture, transport: type[ReplayTransport] = ReplayTransport
) -> SyncLog:
    replay = transport(capture)
    return sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=capture.time))


def _edited(
    capture: Capture, url: str, edit: Callable[[dict[str, Any]], Any], hours: int
) -> Capture:
    """Return the capture `hours` later with the body of the response whose URL starts with
    url edited (upstream's data otherwise the same)."""
    responses = [
        CapturedResponse(r.method, r.url, r.status, edit(copy.deepcopy(r.body)))
        if r.url.startswith(url)
        else r
        for r in capture.responses
    ]
    return replace(capture, responses=tuple(responses), time=capture.time + timedelta(hours=hours))


LISTING = f"{sources.ENDPOINT_STATS}?permaslug={PAGED_MODEL}&"
PAGES: dict[str, tuple[str, Callable[[dict[str, Any]], Any], type[ReplayTransport]]] = {
    "endpoints, next_cursor": (
        LISTING,
        lambda body: {"data": body["data"][:2], "next_cursor": "eyJwYWdlIjoyfQ"},
        ReplayTransport,
    ),
    "endpoints, meta.has_more": (
        LISTING,
        lambda body: {"data": body["data"][:2], "meta": {"has_more": True}},
        ReplayTransport,
    ),
    "endpoints, Link header": (LISTING, lambda body: {"data": body["data"][:2]}, _Linked),
    "v1 models, next_cursor": (
        sources.V1_MODELS,
        lambda body: {"data": body["data"][: len(body["data"]) * 9 // 10], "next_cursor": "x"},
        ReplayTransport,
    ),
    "ZDR list, total": (
        sources.ZDR_ENDPOINTS,
        lambda body: {"data": body["data"][: len(body["data"]) * 6 // 10], "total": 999},
        ReplayTransport,
    ),
}


@pytest.mark.parametrize("case", sorted(PAGES))
def test_one_page_of_a_listing_removes_and_changes_nothing(
    case: str, cut: Capture, base: Path, tmp_path: Path
) -> None:
    url, page, transport = PAGES[case]
    repo = copy_archive(base, tmp_path / "archive")
    before = files_at(repo, "HEAD")
    assert LEDGER_PATH in before

    for hours in (1, 2):  # and again: still nothing
        log = _sync(repo, _edited(cut, url, page, hours), transport)
        assert log.commit_id is None, log.counts
        assert files_at(repo, "HEAD") == before
        lines = [line for line in log.failures + log.notes if "one page of more" in line]
        assert len(lines) == 1 and "\n" not in lines[0], log.failures + log.notes


def test_a_listing_that_says_no_more_follow_is_whole(
    cut: Capture, base: Path, tmp_path: Path
) -> None:
    repo = copy_archive(base, tmp_path / "archive")

    def last_page(body: dict[str, Any]) -> dict[str, Any]:
        return {"data": body["data"][:2], "next_cursor": None, "has_more": "false", "total": 2}

    log = _sync(repo, _edited(cut, LISTING, last_page, 1))
    assert log.counts["endpoint"].removed == 5, log.counts
    assert not [line for line in log.failures if "one page" in line], log.failures


def test_envelopes_read_as_one_page_or_whole() -> None:
    def said(body: Any, link: str | None = None) -> str | None:
        return continues(Response("/x", body, status=200, next_page=link))

    items = [{"id": "a"}, {"id": "b"}]
    assert said({"data": items, "meta": {"count": 2}, "next": ""}) is None
    assert said({"data": items, "pagination": {"hasNextPage": False, "total_count": 2}}) is None
    assert said({"data": items, "links": {"next": "/x?page=2"}}) == 'links.next is "/x?page=2"'
    assert said({"data": items, "pageInfo": {"nextCursor": 10**30}}) is not None
    assert said({"data": items, "total": 3}) == "total is 3, the page holds 2"
    assert said({"data": items}, "https://x/2") is not None
    # A documented listing: its items are data.endpoints.
    body = {"data": {"id": "m", "endpoints": [{"tag": "p"}], "next_cursor": "c"}}
    listing, reason = read_listing(
        "a/m", Response("/api/v1/models/a/m/endpoints", body, status=200)
    )
    assert listing is None and "one page of more (next_cursor" in reason
