"""Waiting for what happens asynchronously: a signal applied when its workflow next runs, visibility catching up."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float = 15) -> T:
    """Poll until `done` (visibility is eventually consistent; signals apply when the workflow next runs)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.2)
