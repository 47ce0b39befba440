"""Request rate limits shared by every app process (counters in MongoDB, fixed windows)."""

from __future__ import annotations

import time
from collections.abc import Callable

from pymongo.errors import ConnectionFailure

from backend.edge.repository import CounterRepository
from backend.errors import DatabaseUnavailable, RateLimited


class RequestLimits:
    """API requests per window: per user for requests with a valid token, per client address otherwise."""

    def __init__(self, counters: CounterRepository, per_user: int, per_address: int, window_seconds: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.counters = counters
        self.per_user = per_user
        self.per_address = per_address
        self.window = window_seconds
        self.clock = clock

    async def check_request(self, user_id: str | None, address: str) -> None:
        key, limit = (f"req:user:{user_id}", self.per_user) if user_id else (f"req:addr:{address}", self.per_address)
        now = self.clock()
        try:
            count = await self.counters.hit(key, self.window, now)
        except ConnectionFailure as error:
            raise DatabaseUnavailable() from error
        if count > limit:
            retry = int(self.window - now % self.window) + 1
            raise RateLimited(f"Too many requests: at most {limit} per {self.window} s. Try again in {retry} s.",
                              f"请求过于频繁：每 {self.window} 秒最多 {limit} 次，请 {retry} 秒后重试。",
                              retryAfter=retry, limit=limit)
