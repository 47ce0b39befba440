"""An open session (a /ws/v1 socket or a GraphQL subscription) re-checked while it lasts.

Both transports hold one ``SessionWatcher`` per session: the token's expiry ends it at once, and
``recheck`` re-reads the account behind the token (disabled or deleted: the session ends). A database
that cannot answer does not sign anyone out: the session stands until the next check.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, TypeVar

from pymongo.errors import ConnectionFailure

from backend.core.clock import Clock
from backend.core.errors import Unauthenticated

log = logging.getLogger(__name__)

U = TypeVar("U")


class SessionWatcher(Generic[U]):
    def __init__(self, token: str, expires_at: datetime | None, resolve: Callable[[str], Awaitable[U]],
                 clock: Clock) -> None:
        self.token = token
        self.expires_at = expires_at
        self.resolve = resolve  # token → the account, or Unauthenticated (reason ACCOUNT_DISABLED, …)
        self.clock = clock

    def seconds_left(self) -> float | None:
        """Until the token expires (None: it does not)."""
        if self.expires_at is None:
            return None
        return max((self.expires_at - self.clock.now()).total_seconds(), 0.0)

    def expired(self) -> bool:
        left = self.seconds_left()
        return left is not None and left <= 0.0

    async def recheck(self) -> U | None:
        """The account, still allowed. Raises ``Unauthenticated`` (``reason``: TOKEN_EXPIRED, ACCOUNT_DISABLED,
        …) when the session has ended; None when the database could not answer this time."""
        if self.expired():
            raise Unauthenticated("The session has expired: sign in again.", "登录已过期，请重新登录。",
                                  reason="TOKEN_EXPIRED")
        try:
            return await self.resolve(self.token)
        except ConnectionFailure:
            log.warning("session check postponed: the database is unavailable", exc_info=True)
            return None
