"""The one way tests wait: for a condition, with a timeout — never a fixed sleep.

``await wait_for(lambda: cond, what="the prompt shows", timeout=10)`` polls ``cond`` every ``step`` seconds on the
running loop (so Textual's message pump and other tasks go on), returns the seconds it took, and fails with
``what`` after ``timeout``.  ``wait_for_sync`` is the same for plain threads and subprocesses (tmux, a pty).
The timeouts are generous on purpose: they bound a hang, they are not a speed assertion.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

__all__ = ["wait_for", "wait_for_sync"]


async def wait_for(
    predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition", step: float = 0.02
) -> float:
    """Seconds until ``predicate()`` is truthy; AssertionError naming ``what`` after ``timeout``."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not predicate():
        if loop.time() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        await asyncio.sleep(step)
    return loop.time() - start


def wait_for_sync(
    predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition", step: float = 0.02
) -> float:
    """``wait_for`` for synchronous code (subprocesses, tmux panes, files)."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(step)
    return time.monotonic() - start
