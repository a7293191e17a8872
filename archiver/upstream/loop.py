"""Running the fetch's coroutine to its end from synchronous code, wherever that code runs.

`asyncio.run` refuses to start inside a running event loop, and a notebook (Jupyter, IPython
with autoawait) runs every cell in one: `archiver.sync("archive")` there raised RuntimeError
("cannot be called from a running event loop") and left the coroutine never awaited. The
library's calls are synchronous, so in such a thread the coroutine runs on a loop of its
own in a worker thread while the caller waits, as it would for any blocking call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    """Return the coroutine's result, run by asyncio.run here or, under a running loop, in a
    worker thread (its exceptions raised here either way)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        running = False
    else:
        running = True
    if not running:
        # Outside the except block: an error of the fetch is not chained to "no running
        # event loop" (a traceback's "During handling of the above exception").
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1, thread_name_prefix="archiver-fetch") as worker:
        return worker.submit(asyncio.run, coroutine).result()
