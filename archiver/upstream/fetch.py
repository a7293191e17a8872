"""Fetch JSON from OpenRouter politely and within bounds.

Polite: bounded concurrency, timeouts, retries with backoff honouring Retry-After (a 429's
holds every request, not only the URL that got it).
Bounded: redirects are never followed (a 3xx is a failure naming its Location, so no request leaves
the base URL's host); a body is streamed and dropped once it passes ``max_response_bytes``
decompressed (a gzip bomb costs at most that plus one decoded chunk) or holds more values than that
allows (LIMIT_BYTES_PER_VALUE); and past the ``deadline`` (seconds from the first request) every
attempt in flight is cancelled, body included, and every URL not fetched yet fails without a
request, so a body that trickles in forever cannot hold the sync.
"""

from __future__ import annotations

import asyncio
import dataclasses
import numbers
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from archiver import jsonvalue
from archiver.backoff import backoff_delay, retry_after_seconds
from archiver.errors import ArchiverError, FetchError, UpstreamDataError
from archiver.jsonrepair import parse_body
from archiver.upstream.coding import GzipBody, body_coding
from archiver.upstream.sources import checked_base_url

USER_AGENT = "openrouter-archiver (+https://github.com/openrouter-archiver)"
# Statuses worth another try: throttling, timeouts and server-side trouble.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MB = 1_000_000
# The biggest real response, the catalog listing, is about 4 MB (2026-07): 64 MB leaves room
# for sixteen-fold growth and still bounds what one hostile response can take.
DEFAULT_MAX_RESPONSE_BYTES = 64 * MB
# The hourly workflow times out at 30 minutes; a full sync fetches in well under a minute.
# 20 minutes leaves 10 for checkout, install, the commit and the push rounds.
DEFAULT_DEADLINE = 1200.0
# Bytes of the size limit per comma or opening bracket a response may hold: each makes a
# value or a container once parsed, 60 to 200 bytes however few it was sent in, and
# `{},{},...` within 64 MB took 1.8 GB (five listings at once, 7 GB). Real responses spend
# 10 to 27 bytes on each: at 16, one within the limit takes a few times it once parsed.
LIMIT_BYTES_PER_VALUE = 16
# Characters of a URL httpx refuses (over 64 KiB) that its failure shows.
_SHOWN_URL = 200
_Attempt = tuple[tuple[Any, str | None], int, int, str | None]  # ((body, note), status, ...)


@dataclass(frozen=True)
class FetchPolicy:
    """How hard and how politely to fetch."""

    concurrency: int = 8
    timeout: float = 30.0
    attempts: int = 4
    backoff: float = 1.0
    max_wait: float = 60.0
    cache_bust: bool = True
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    # Seconds from the first request after which nothing more is fetched; None: no deadline.
    deadline: float | None = DEFAULT_DEADLINE

    def __post_init__(self) -> None:
        # No slot to fetch in waited until the deadline (twenty minutes, holding the
        # repository's lock; None: for ever); a negative count raised ValueError from asyncio.
        if not isinstance(self.concurrency, numbers.Real) or not self.concurrency >= 1:
            raise ArchiverError(
                f"FetchPolicy(concurrency={self.concurrency!r}): give 1 or more requests at once"
            )


@dataclass(frozen=True)
class Response:
    """The outcome of one URL: parsed JSON, or the reason there is none."""

    url: str
    data: Any = None
    error: str | None = None
    status: int | None = None
    attempts: int = 0
    size: int = 0
    seconds: float = 0.0
    # What the sync log should say about a body taken as repaired (a lone surrogate).
    note: str | None = None
    next_page: str | None = None  # A Link header's rel="next": the body is one page of more.

    @property
    def ok(self) -> bool:
        """Tell whether the response parsed as JSON with a 2xx status."""
        return self.error is None


ResponseHook = Callable[[Response], None]


class _Retry(Exception):
    """One attempt failed in a way another attempt may fix."""

    def __init__(self, error: FetchError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


class Fetcher:
    """An HTTP client for one sync; use as an async context manager."""

    def __init__(
        self,
        base_url: str,
        policy: FetchPolicy | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_response: ResponseHook | None = None,
        on_planned: Callable[[int], None] | None = None,
    ) -> None:
        self.base_url = checked_base_url(base_url).rstrip("/")
        self.policy = policy or FetchPolicy()
        self._transport = transport
        self._on_response = on_response
        self._on_planned = on_planned
        self._gate = asyncio.Semaphore(self.policy.concurrency)
        self._bust = str(int(time.time()))
        self._client: httpx.AsyncClient | None = None
        self._deadline_at: float | None = None
        # Loop time before which no request is sent: a 429's Retry-After asks the client, not
        # one URL, to slow down (other URLs asking meanwhile would only be throttled in turn).
        self._resume_at = 0.0

    async def __aenter__(self) -> Fetcher:
        if self.policy.deadline is not None:
            # Loop time, which asyncio.timeout_at measures against.
            self._deadline_at = asyncio.get_running_loop().time() + self.policy.deadline
        limits = httpx.Limits(max_connections=self.policy.concurrency)
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=self.policy.timeout,
            limits=limits,
            transport=self._transport,
            # gzip only: _read_body inflates it itself, within the size limit.
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Accept-Encoding": "gzip",
            },
            # A redirect could lead anywhere (another host, a loop): report it instead.
            follow_redirects=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def get_many(
        self, urls: Iterable[str], consume: Callable[[int, Response], None] | None = None
    ) -> list[Response]:
        """Fetch every URL concurrently (within the policy's bound), in the given order.

        consume(position, response), if given, takes each response as it arrives; the list
        then holds the responses without their data, so no body outlives its consumer.
        """
        urls = list(urls)
        if self._on_planned is not None:
            self._on_planned(len(urls))

        async def one(position: int, url: str) -> Response:
            response = await self.get_json(url)
            if consume is None:
                return response
            consume(position, response)
            return dataclasses.replace(response, data=None)

        return list(await asyncio.gather(*(one(n, url) for n, url in enumerate(urls))))

    async def get_json(self, url: str) -> Response:
        """Fetch one URL (a path with query), retrying what is worth retrying."""
        started = time.monotonic()
        response = await self._get_with_retries(url)
        response = dataclasses.replace(response, seconds=time.monotonic() - started)
        if self._on_response is not None:
            self._on_response(response)
        return response

    async def _get_with_retries(self, url: str) -> Response:
        """Return the outcome of one URL after its attempts, all within the deadline."""
        attempt = 0
        while True:
            if self._time_left() <= 0:
                return _failed(url, self._too_late(url), attempt)
            attempt += 1
            try:
                (data, note), status, size, more = await self._attempt_in_time(url)
                return Response(url, data, None, status, attempt, size, note=note, next_page=more)
            except _Retry as retry:
                wait = self._wait(attempt, retry.wait)
                if attempt >= self.policy.attempts:
                    return _failed(url, retry.error, attempt)
                if wait >= self._time_left():
                    # Sleeping past the deadline would only end in a deadline failure.
                    return _failed(url, retry.error, attempt, "; no time left before the deadline")
                if retry.error.status == 429 and retry.wait is not None:
                    self._hold_all(wait)
                await asyncio.sleep(wait)
            except FetchError as error:
                return _failed(url, error, attempt)

    async def _attempt_in_time(self, url: str) -> _Attempt:
        """Make one attempt (waiting for a slot included), cancelled if the deadline passes."""
        if self._deadline_at is None:
            async with self._gate:
                await self._resumed()
                return await self._attempt(url)
        # One bound for the whole attempt, body included: per-read timeouts never fire on a
        # body that sends a byte every few seconds.
        bound = asyncio.timeout_at(self._deadline_at)
        try:
            async with bound, self._gate:
                await self._resumed()
                return await self._attempt(url)
        except TimeoutError:
            if not bound.expired():
                raise
            raise self._too_late(url) from None

    def _hold_all(self, wait: float) -> None:
        """Send no request for `wait` seconds (a 429 that the URL will retry after)."""
        resume = asyncio.get_running_loop().time() + wait
        self._resume_at = max(self._resume_at, resume)

    async def _resumed(self) -> None:
        """Wait until the server's latest Retry-After has passed (the deadline still holds)."""
        loop = asyncio.get_running_loop()
        while (left := self._resume_at - loop.time()) > 0:
            await asyncio.sleep(left)

    def past_deadline(self) -> bool:
        """Tell whether the sync's deadline has passed (never, without one)."""
        return self._time_left() <= 0

    def _time_left(self) -> float:
        """Return the seconds left before the deadline (infinity without one)."""
        if self._deadline_at is None:
            return float("inf")
        return self._deadline_at - asyncio.get_running_loop().time()

    def _too_late(self, url: str) -> FetchError:
        """Return the failure of a URL the deadline left unfetched."""
        message = (
            f"sync deadline of {self.policy.deadline:g} s reached before {self.base_url + url} "
            "was fetched; the next sync fetches it"
        )
        return FetchError(message, url)

    async def _attempt(self, url: str) -> _Attempt:
        """Make one request and parse it, raising _Retry or FetchError on failure."""
        assert self._client is not None, "use Fetcher as an async context manager"
        full = self.base_url + url
        try:
            async with self._client.stream("GET", self._with_cache_buster(url)) as reply:
                _check_status(reply, full, url)
                body = await _read_body(reply, self.policy.max_response_bytes, full, url)
                _check_values(body, self.policy.max_response_bytes, full, url)
        except httpx.InvalidURL as exc:
            # A URL over 64 KiB (a hostile permaslug or key in it) is never sent: one short
            # line for that URL, as for any failed request, not a traceback ending the sync.
            shown = (
                full
                if len(full) <= _SHOWN_URL
                else f"{full[:_SHOWN_URL]}... ({len(full):,} characters)"
            )
            raise FetchError(f"{exc}: {shown}; not fetched", url) from exc
        except httpx.TimeoutException as exc:
            message = f"timed out after {self.policy.timeout:g}s: {full}"
            raise _Retry(FetchError(message, url)) from exc
        except httpx.HTTPError as exc:
            # A reset connection raises with no text at all: say what that means.
            detail = str(exc) or "the connection broke off"
            message = f"{type(exc).__name__} ({detail}) fetching {full}"
            raise _Retry(FetchError(message, url)) from exc
        more = reply.links.get("next", {}).get("url")
        return _parse_json(body, reply, full, url), reply.status_code, len(body), more

    def _with_cache_buster(self, url: str) -> str:
        """Return the URL with this sync's cache-busting parameter, if the policy wants one."""
        if not self.policy.cache_bust:
            return url
        # The frontend API sits behind a CDN cache: one value per sync asks for fresh data.
        # (httpx's params= would replace the URL's own query string, so append by hand.)
        return f"{url}{'&' if '?' in url else '?'}_={self._bust}"

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        """Return how long to sleep before the next attempt."""
        return backoff_delay(
            attempt, self.policy.backoff, cap=self.policy.max_wait, retry_after=retry_after
        )


def _check_status(reply: httpx.Response, full: str, url: str) -> None:
    """Raise _Retry or FetchError for a non-2xx status."""
    status = reply.status_code
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        target = reply.headers.get("Location")
        if target is None:
            # A 304 answers a conditional request, which the fetcher never makes.
            message = (
                f"HTTP {status} {reply.reason_phrase} from {full}, with no Location and no "
                "body; not archived (the next sync asks again)"
            )
            raise FetchError(message, url, status)
        message = (
            f"HTTP {status} from {full} redirected to {target}; not followed "
            "(if OpenRouter moved, point --base-url at the new address)"
        )
        raise FetchError(message, url, status)
    error = FetchError(f"HTTP {status} {reply.reason_phrase} from {full}", url, status)
    if status in RETRY_STATUSES:
        raise _Retry(error, retry_after_seconds(reply.headers.get("Retry-After")))
    raise error


async def _read_body(reply: httpx.Response, limit: int, full: str, url: str) -> bytes:
    """Return the decompressed body, or raise FetchError once it grows past limit bytes."""
    header = reply.headers.get("Content-Encoding")
    encoding = body_coding(header)
    if encoding is None:
        message = f"response from {full} is {header}-encoded, not gzip as asked; not archived"
        raise FetchError(message, url)
    declared = reply.headers.get("Content-Length", "")
    if encoding == "identity" and declared.isdigit() and int(declared) > limit:
        raise FetchError(_too_big(full, limit), url)
    # Inflated here, a bounded piece at a time, not by httpx: httpx inflates each 64 KiB read
    # whole, up to 66 MB at once (and its first gzip member alone). The limit counts what a
    # response inflates to.
    inflater = GzipBody() if encoding == "gzip" else None
    chunks: list[bytes] = []
    size = 0
    async for raw in reply.aiter_raw():
        for piece in [raw] if inflater is None else _inflated(inflater, raw, full, url):
            size += len(piece)
            if size > limit:
                raise FetchError(_too_big(full, limit), url)
            chunks.append(piece)
    if inflater is not None and not inflater.ended:
        raise _Retry(UpstreamDataError(f"gzip body from {full} ends early", url))
    return b"".join(chunks)


def _inflated(inflater: GzipBody, data: bytes, full: str, url: str) -> Iterator[bytes]:
    """Yield what gzip data inflates to, a bounded piece at a time (coding.GzipBody)."""
    try:
        yield from inflater.pieces(data)
    except zlib.error as exc:
        raise _Retry(UpstreamDataError(f"corrupt gzip body ({exc}) from {full}", url)) from exc


def _check_values(body: bytes, limit: int, full: str, url: str) -> None:
    """Raise FetchError for a body holding more JSON values than the size limit allows."""
    # Not counted below limit / 16 bytes: every real response (a 4 MB catalog at most).
    values = jsonvalue.values_past(body, limit // LIMIT_BYTES_PER_VALUE)
    if values is not None:
        more = (
            f"holds {values:,} commas and brackets, over one per {LIMIT_BYTES_PER_VALUE} bytes of"
        )
        raise FetchError(_too_big(full, limit, more), url)


def _too_big(full: str, limit: int, what: str = "exceeds") -> str:
    """Return the failure of a response over the size limit."""
    return (
        f"response from {full} {what} {limit / MB:g} MB decompressed; not archived "
        "(raise --max-response-mb if OpenRouter's data really grew this big)"
    )


def _parse_json(body: bytes, reply: httpx.Response, full: str, url: str) -> tuple[Any, str | None]:
    """Parse a body as JSON, numbers exact, raising _Retry with a readable reason if it is not;
    return (value, a note for the sync log or None)."""
    try:
        return parse_body(body, full)
    except orjson.JSONDecodeError as exc:
        kind = reply.headers.get("content-type", "no content-type")
        start = body[:60].decode("utf-8", "replace").replace("\n", " ")
        reason = f"not valid JSON ({exc}; {kind}, {len(body)} bytes, starts {start!r}) from {full}"
        raise _Retry(UpstreamDataError(reason, url)) from exc


def _failed(url: str, error: FetchError, attempts: int, why: str = "") -> Response:
    """Return the Response for a URL that gave up."""
    plural = "" if attempts == 1 else "s"
    suffix = f" (after {attempts} attempt{plural}{why})" if attempts > 1 or why else ""
    return Response(url, None, f"{error}{suffix}", error.status, attempts)
