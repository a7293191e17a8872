"""How long to wait before trying again: one rule for HTTP retries and for push rounds; and
which of git's failures are a lost connection, worth trying again."""

from __future__ import annotations

import email.utils
import random
import re
import time
from collections.abc import Callable
from typing import TypeVar

# Without a cap, a long run of failures would wait for hours.
DEFAULT_CAP = 60.0
# A git fetch that lost its connection: tries in all, and the first wait (doubling, jittered).
GIT_FETCH_ATTEMPTS, GIT_FETCH_BACKOFF = 3, 2.0
# Retry-After as a delay: ASCII digits only (RFC 9110 delay-seconds).
DELAY_SECONDS = re.compile(r"[0-9]+")
T = TypeVar("T")


def backoff_delay(
    attempt: int, base: float, *, cap: float = DEFAULT_CAP, retry_after: float | None = None
) -> float:
    """Return the seconds to wait after failed attempt number `attempt` (1 for the first).

    The server's Retry-After wins when given. Otherwise the wait doubles each attempt from
    `base`, and is jittered down to half so that racing clients spread out, not collide.
    """
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    exponential = base * 2.0 ** (attempt - 1)
    return min(exponential * random.uniform(0.5, 1.0), cap)


def retry_after_seconds(value: str | None) -> float | None:
    """Return the seconds a Retry-After header asks for (delta or HTTP date), or None.

    Only what RFC 9110 allows counts: digits, or a date. Anything else (-5, nan, 1e9) is
    None, so the usual backoff applies: float() read "-5" and "nan" as "retry at once".
    """
    if not value:
        return None
    if DELAY_SECONDS.fullmatch(value.strip()):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# git's words when the connection failed rather than GitHub refusing: its git service
# answering 5xx for a moment ("RPC failed; HTTP 502"), a connection cut or reset. Pushing
# again a few seconds later usually lands; giving up at once lost the hour's sync (the runner
# throws its copy away).
# Not a 4xx ("unable to access '...': The requested URL returned error: 404", a token or an
# address that is wrong): the same answer again, which the last round's message must name.
LOST_CONNECTION = (
    "RPC failed; HTTP 5",
    "RPC failed; curl",
    "returned error: 5",
    "remote end hung up",
    "unexpected disconnect",
    "early EOF",
    "Could not resolve host",
    "Failed to connect",
    "Connection reset",
    "timed out",
)


def lost_connection(git_output: str) -> str | None:
    """Return git's line saying a fetch or push lost its connection (worth another try)."""
    lines = (line.strip() for line in git_output.splitlines())
    return next((line for line in lines if any(m in line for m in LOST_CONNECTION)), None)


def while_connection_lost(attempt: Callable[[], tuple[T, str | None]]) -> T:
    """Run a git fetch again, after a backoff, while git says it lost its connection.

    attempt() returns its result and git's error text (None when it worked); the last
    result is returned, whatever it is, after at most GIT_FETCH_ATTEMPTS tries.
    """
    number = 1
    while True:
        result, failed = attempt()
        if failed is None or number >= GIT_FETCH_ATTEMPTS or not lost_connection(failed):
            return result
        time.sleep(backoff_delay(number, GIT_FETCH_BACKOFF))
        number += 1
