"""Waiting in tests: for a condition, with a deadline generous enough for a busy 2-core machine.

A test never sleeps a fixed time hoping something happened meanwhile, and never gives the machine a tight
deadline: it polls the condition it needs until ``PATIENCE`` seconds have passed, and fails only then.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any, TypeVar

T = TypeVar("T")

PATIENCE = 60.0      # seconds: how long a test waits for something that should happen in milliseconds
POLL = 0.02          # seconds between two looks at a condition


async def until(condition: Callable[[], Any], what: str, patience: float = PATIENCE, poll: float = POLL) -> Any:
    """Poll ``condition`` (a function, sync or async) until it returns something truthy; return that.
    Fails with ``what`` once ``patience`` seconds have passed without it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"waited {patience:.0f} s in vain for {what}")
        await asyncio.sleep(poll)


def until_sync(condition: Callable[[], Any], what: str, patience: float = PATIENCE, poll: float = POLL) -> Any:
    """``until`` for code outside an event loop."""
    deadline = time.monotonic() + patience
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {patience:.0f} s in vain for {what}")
        time.sleep(poll)


class Expired(Exception):
    """Raised by an attempt of ``with_short_lifetime`` whose token expired before the server checked it."""


async def with_short_lifetime(attempt: Callable[[timedelta], Awaitable[T]],
                              seconds: Iterable[float] = (3, 15, 60, 240)) -> T:
    """Run ``attempt(lifetime)``, which issues a short-lived token and proves what happens when it expires.
    On a busy machine the token may expire before the server even accepted it (the attempt raises
    ``Expired``): then the proof is tried again with a longer lifetime, so the machine's speed decides
    how long the test takes, never whether it passes."""
    for lifetime in seconds:
        try:
            return await attempt(timedelta(seconds=lifetime))
        except Expired:
            continue
    raise AssertionError("every token expired before the server accepted it")
