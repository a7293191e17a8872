"""Fetch JSON from OpenRouter politely: bounded concurrency, timeouts, retries with backoff."""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from archiver.errors import FetchError, UpstreamDataError

USER_AGENT = "openrouter-archiver (+https://github.com/openrouter-archiver)"
# Statuses worth another try: throttling, timeouts and server-side trouble.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FetchPolicy:
    """How hard and how politely to fetch."""

    concurrency: int = 8
    timeout: float = 30.0
    attempts: int = 4
    backoff: float = 1.0
    max_wait: float = 60.0
    cache_bust: bool = True


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
        self.base_url = base_url.rstrip("/")
        self.policy = policy or FetchPolicy()
        self._transport = transport
        self._on_response = on_response
        self._on_planned = on_planned
        self._gate = asyncio.Semaphore(self.policy.concurrency)
        self._bust = str(int(time.time()))
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        limits = httpx.Limits(max_connections=self.policy.concurrency)
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=self.policy.timeout,
            limits=limits,
            transport=self._transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=True,
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
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._gate:
                    data, status, size = await self._attempt(url)
                response = Response(url, data, None, status, attempt, size)
                break
            except _Retry as retry:
                if attempt >= self.policy.attempts:
                    response = _failed(url, retry.error, attempt)
                    break
                await asyncio.sleep(self._wait(attempt, retry.wait))
            except FetchError as error:
                response = _failed(url, error, attempt)
                break
        response = dataclasses.replace(response, seconds=time.monotonic() - started)
        if self._on_response is not None:
            self._on_response(response)
        return response

    async def _attempt(self, url: str) -> tuple[Any, int, int]:
        """Make one request and parse it, raising _Retry or FetchError on failure."""
        assert self._client is not None, "use Fetcher as an async context manager"
        full = self.base_url + url
        try:
            reply = await self._client.get(self._with_cache_buster(url))
            body = reply.content
        except httpx.TimeoutException as exc:
            message = f"timed out after {self.policy.timeout:g}s: {full}"
            raise _Retry(FetchError(message, url)) from exc
        except httpx.HTTPError as exc:
            message = f"{type(exc).__name__} ({exc}) fetching {full}"
            raise _Retry(FetchError(message, url)) from exc
        _check_status(reply, full, url)
        return _parse_json(body, reply, full, url), reply.status_code, len(body)

    def _with_cache_buster(self, url: str) -> str:
        """Return the URL with this sync's cache-busting parameter, if the policy wants one."""
        if not self.policy.cache_bust:
            return url
        # The frontend API sits behind a CDN cache: one value per sync asks for fresh data.
        # (httpx's params= would replace the URL's own query string, so append by hand.)
        return f"{url}{'&' if '?' in url else '?'}_={self._bust}"

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        """Return how long to sleep before the next attempt."""
        if retry_after is not None:
            return min(retry_after, self.policy.max_wait)
        exponential = self.policy.backoff * 2.0 ** (attempt - 1)
        return min(exponential * random.uniform(0.5, 1.0), self.policy.max_wait)


def _check_status(reply: httpx.Response, full: str, url: str) -> None:
    """Raise _Retry or FetchError for a non-2xx status."""
    status = reply.status_code
    if 200 <= status < 300:
        return
    error = FetchError(f"HTTP {status} {reply.reason_phrase} from {full}", url, status)
    if status in RETRY_STATUSES:
        raise _Retry(error, _retry_after(reply.headers.get("Retry-After")))
    raise error


def _parse_json(body: bytes, reply: httpx.Response, full: str, url: str) -> Any:
    """Parse a body as JSON, raising _Retry with a readable reason if it is not."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        kind = reply.headers.get("content-type", "no content-type")
        start = body[:60].decode("utf-8", "replace").replace("\n", " ")
        reason = f"not valid JSON ({exc}; {kind}, {len(body)} bytes, starts {start!r}) from {full}"
        raise _Retry(UpstreamDataError(reason, url)) from exc


def _retry_after(value: str | None) -> float | None:
    """Return the seconds a Retry-After header asks for (delta or HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _failed(url: str, error: FetchError, attempts: int) -> Response:
    """Return the Response for a URL that gave up."""
    suffix = f" (after {attempts} attempts)" if attempts > 1 else ""
    return Response(url, None, f"{error}{suffix}", error.status, attempts)
