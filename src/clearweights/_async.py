"""Run a coroutine to completion from synchronous library code.

``asyncio.run`` refuses to start when the calling thread already runs an event loop (a
notebook, an async web server, a test harness): the coroutine then runs on its own loop in a
worker thread, so library functions behave the same wherever they are called from.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Await *coroutine* on a fresh event loop and return its result (or raise its error)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
