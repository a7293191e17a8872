"""Pause Python's cyclic garbage collector while a sync builds millions of JSON objects.

JSON data holds no reference cycles, yet every dict the parser makes counts towards the
collector's next pass, and each full pass walks every live object: at 50,000 endpoints
parsing alone ran 3x slower with the collector on. Paused, memory is still freed by
reference counting; whatever cycles the HTTP stack leaves are collected once at the end.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the block with the cyclic collector off, then collect once (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()
