"""The account behind a token, held briefly so that small requests do not read it every time.

An entry lives ``TTL_SECONDS`` at most. Disabling an account forgets it at once in this process
(``UserService.set_active``) and, through the ``account.disabled`` event the sockets already follow, in
every other process; the short lifetime bounds what a lost event could leave behind.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from backend.users.models import User

TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000


class SessionCache:
    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._held: dict[str, tuple[User, float]] = {}
        self._forgets = 0  # a read that started before a forget must not store what it read

    async def user(self, user_id: str, load: Callable[[str], Awaitable[User | None]]) -> User | None:
        held = self._held.get(user_id)
        now = time.monotonic()
        if held is not None and held[1] > now:
            return held[0]
        forgets = self._forgets
        user = await load(user_id)
        if user is None or not user.active:
            self._held.pop(user_id, None)
            return user
        if forgets == self._forgets:
            if len(self._held) >= self.max_entries:
                self._held.pop(next(iter(self._held)))
            self._held.pop(user_id, None)
            self._held[user_id] = (user, now + self.ttl)
        return user

    def forget(self, user_id: str) -> None:
        self._forgets += 1
        self._held.pop(user_id, None)
