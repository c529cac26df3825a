"""The cyclic garbage collector paused while a release is listed and inventoried, or a report
written.

These build hundreds of thousands of objects that live until the audit ends, and no cycles to
speak of: the collector would walk them again and again (a tenth to a fifth of the audit of
50,000 files), and free nothing. Only steps whose every read is bounded are paused (the walk,
the inventory, the report), never a pickle scan: a hostile pickle stream may build cyclic
garbage for as long as the file runs, which the collector must free as it goes. It runs again
once the last paused section ends; sections may nest and run in several threads at once.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class _State:
    depth: int = 0  # paused sections running
    resume: bool = False  # whether the collector was running when the first one began


_lock = threading.Lock()
_state = _State()


@contextmanager
def paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (reference counting still frees memory)."""
    with _lock:
        if _state.depth == 0:
            _state.resume = gc.isenabled()
            gc.disable()
        _state.depth += 1
    try:
        yield
    finally:
        with _lock:
            _state.depth -= 1
            if _state.depth == 0 and _state.resume:
                gc.enable()
