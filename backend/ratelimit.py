"""Moving-window rate limits (the ``limits`` package), keyed by account, address or socket."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Protocol

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


class SharedCounters(Protocol):
    """Counts per key and fixed window that every app process shares (``backend/edge/repository.py``)."""

    async def hit(self, key: str, window_seconds: int, now: float, amount: int = 1, group: str | None = None) -> int:
        """Add ``amount``; ``group`` tags the key so that ``clear_group`` can forget all of a group's keys."""
        ...

    async def count(self, key: str, window_seconds: int, now: float) -> int: ...

    async def clear(self, key: str, window_seconds: int, now: float) -> None: ...

    async def clear_group(self, group: str) -> None: ...


class MemoryCounters:
    """``SharedCounters`` for one process (before the database is there, and in unit tests)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._groups: dict[str, set[str]] = {}

    async def hit(self, key: str, window_seconds: int, now: float, amount: int = 1, group: str | None = None) -> int:
        slot = f"{key}|{int(now // window_seconds)}"
        self._counts[slot] = self._counts.get(slot, 0) + amount
        if group is not None:
            self._groups.setdefault(group, set()).add(slot)
        return self._counts[slot]

    async def count(self, key: str, window_seconds: int, now: float) -> int:
        return self._counts.get(f"{key}|{int(now // window_seconds)}", 0)

    async def clear(self, key: str, window_seconds: int, now: float) -> None:
        self._counts.pop(f"{key}|{int(now // window_seconds)}", None)

    async def clear_group(self, group: str) -> None:
        for slot in self._groups.pop(group, set()):
            self._counts.pop(slot, None)


class RateLimiter:
    def __init__(self) -> None:
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        # Set at start-up to the database's counters: sign-in throttling is then shared by every process.
        self.shared: SharedCounters = MemoryCounters()

    async def hit(self, rule: str, *key: str) -> bool:
        """Count one hit; False when ``rule`` (e.g. ``"5/300 second"``) is exceeded for ``key``."""
        return await self._limiter.hit(parse(rule), *key)

    async def test(self, rule: str, *key: str) -> bool:
        return await self._limiter.test(parse(rule), *key)

    async def clear(self, rule: str, *key: str) -> None:
        await self._limiter.clear(parse(rule), *key)
