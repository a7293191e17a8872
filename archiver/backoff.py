"""How long to wait before trying again: one rule for HTTP retries and for push rounds."""

from __future__ import annotations

import random

# Without a cap, a long run of failures would wait for hours.
DEFAULT_CAP = 60.0


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
