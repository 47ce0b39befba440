"""Moving-window rate limits (the ``limits`` package), keyed by account, address or socket."""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted_proxies: Sequence[object]) -> str:
    """The address limits count for. From a trusted proxy: the rightmost X-Forwarded-For entry that is not
    itself a trusted proxy (entries further left are the client's to forge). Otherwise the peer."""
    if not peer:
        return "unknown"
    if not trusted_proxies:
        return peer
    networks = [ipaddress.ip_network(str(p), strict=False) for p in trusted_proxies]

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    if not trusted(peer):
        return peer
    hops = [h.strip() for header in forwarded_for for h in header.split(",") if h.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            return hop
    return hops[0] if hops else peer


class FailureLimit:
    """At most ``limit`` failures per ``window`` seconds per key, counting attempts still in flight as
    failures: many simultaneous attempts cannot slip past the limit, and successes use up nothing."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._in_flight: dict[str, int] = {}
        self._swept = clock()

    def reserve(self, key: str, limit: int, window: float) -> bool:
        """One attempt may start (no await in here: atomic on the event loop)."""
        now = self._clock()
        if now - self._swept >= window:
            # Once per window, forget keys whose last failure is older than the window (a spray from
            # many addresses would otherwise keep one entry per address for ever).
            self._swept = now
            for stale in [k for k, f in self._failures.items() if f[-1] <= now - window]:
                del self._failures[stale]
        failures = self._failures.get(key)
        while failures and failures[0] <= now - window:
            failures.popleft()
        if failures is not None and not failures:
            del self._failures[key]
        used = len(self._failures.get(key, ())) + self._in_flight.get(key, 0)
        if used >= limit:
            return False
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        return True

    def settle(self, key: str, failed: bool) -> None:
        left = self._in_flight.get(key, 1) - 1
        if left > 0:
            self._in_flight[key] = left
        else:
            self._in_flight.pop(key, None)
        if failed:
            self._failures.setdefault(key, deque()).append(self._clock())


class RateLimiter:
    def __init__(self) -> None:
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self.failures = FailureLimit()

    async def hit(self, rule: str, *key: str) -> bool:
        """Count one hit; False when ``rule`` (e.g. ``"5/300 second"``) is exceeded for ``key``."""
        return await self._limiter.hit(parse(rule), *key)

    async def test(self, rule: str, *key: str) -> bool:
        return await self._limiter.test(parse(rule), *key)

    async def clear(self, rule: str, *key: str) -> None:
        await self._limiter.clear(parse(rule), *key)
