"""Supervision of the embedded database: when its process exits, restart it on the same port and storage
with backoff (logged). Clients of every app process reconnect by themselves: the address does not change."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from backend.embedded_db import EmbeddedDatabase, announce_running

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0


class DatabaseSupervisor:
    def __init__(self, embedded: EmbeddedDatabase, var_dir: Path) -> None:
        self.embedded = embedded
        self.var_dir = var_dir
        self.down = False
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch(), name="embedded-db-supervisor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            process = self.embedded.process
            if process is not None and process.poll() is None:
                continue
            self.down = True
            code = process.returncode if process is not None else None
            log.error("embedded database exited (code %s): restarting it on port %s", code, self.embedded.port)
            await self._restart()
            self.down = False

    async def _restart(self) -> None:
        backoff = FIRST_BACKOFF
        while True:
            started = time.monotonic()
            try:
                # Spawned from the event loop's thread: the parent-death signal follows the spawning thread.
                self.embedded._spawn()
                await asyncio.to_thread(self.embedded._await_ready, 30.0)
            except Exception as error:
                log.warning("embedded database restart failed (%s): next try in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            self.restarts += 1
            pid = self.embedded.process.pid if self.embedded.process else None
            announce_running(self.var_dir, self.embedded.uri, pid)
            log.warning("embedded database restarted on port %s after %.1f s (restart %d)",
                        self.embedded.port, time.monotonic() - started, self.restarts)
            return
