"""Moving-window rate limits (the ``limits`` package), keyed by account, address or socket."""

from __future__ import annotations

from limits import RateLimitItemPerSecond, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


class RateLimiter:
    def __init__(self) -> None:
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)

    async def hit(self, rule: str, *key: str) -> bool:
        """Count one hit; False when ``rule`` (e.g. ``"5/300 second"``) is exceeded for ``key``."""
        return await self._limiter.hit(parse(rule), *key)

    async def test(self, rule: str, *key: str) -> bool:
        return await self._limiter.test(parse(rule), *key)

    async def clear(self, rule: str, *key: str) -> None:
        await self._limiter.clear(parse(rule), *key)

    async def hit_per_second(self, amount: int, *key: str) -> bool:
        return await self._limiter.hit(RateLimitItemPerSecond(amount), *key)
