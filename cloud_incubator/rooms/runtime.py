"""What one app process keeps about live rooms: its members per room (presence, attendance),
cached roadshows and participant flags, pending reaction counts and countdown timers.

Everything that matters is in MongoDB; this is a cache refreshed by events from every process
(hub listeners), so several processes stay consistent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from backend.roadshows.models import Roadshow, RoadshowStatus
from backend.roadshows.service import STALE_AFTER, RoadshowService, roadshow_service
from cloud_incubator.broadcast import broadcaster, publish
from cloud_incubator.config import GatewayConfig, gateway_config
from cloud_incubator.protocol import CLOSE_HEARTBEAT, event_frame

if TYPE_CHECKING:
    from backend.state import AppState
    from cloud_incubator.gateway import Connection

log = logging.getLogger(__name__)


def room_topic(roadshow_id: str) -> str:
    return f"room:{roadshow_id}"


def mod_topic(roadshow_id: str) -> str:
    return f"room:{roadshow_id}:mod"


def now() -> datetime:
    return datetime.now(UTC)


class RoomRuntime:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.config = gateway_config(state)
        self.service: RoadshowService = roadshow_service(state)
        self.repo = self.service.repo
        self.origin = broadcaster(state).origin
        # room → user id → local connections in that room
        self.members: dict[str, dict[str, set[Connection]]] = defaultdict(lambda: defaultdict(set))
        self.people: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        # (room, user) → (attendance row id, joined at) while this process holds the user in the room
        self.attendance: dict[tuple[str, str], tuple[Any, datetime]] = {}
        self._roadshows: dict[str, Roadshow] = {}
        self._flags: dict[tuple[str, str], dict[str, Any]] = {}
        # (room, pitch index at click time) → kind → clicks since the last flush
        self.reactions: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
        self._last_presence: dict[str, tuple[Any, ...]] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        hub = broadcaster(state).hub
        for event in ("room.status", "room.updated", "pitch.changed", "slide.changed"):
            hub.listen(event, self._forget_roadshow)
        hub.listen("participant.muted", self._forget_flags)
        hub.listen("participant.removed", self._kick)

    # -- caches ----------------------------------------------------------------------------------
    async def roadshow(self, roadshow_id: str, fresh: bool = False) -> Roadshow:
        cached = None if fresh else self._roadshows.get(roadshow_id)
        if cached is None:
            cached = await self.service.get(roadshow_id)
            self._roadshows[roadshow_id] = cached
        return cached

    def remember(self, roadshow: Roadshow) -> None:
        self._roadshows[roadshow.id] = roadshow

    def _forget_roadshow(self, topic: str, data: dict[str, Any]) -> None:
        self._roadshows.pop(topic.split(":", 1)[1], None)

    async def flags(self, roadshow_id: str, user_id: str) -> dict[str, Any]:
        key = (roadshow_id, user_id)
        found = self._flags.get(key)
        if found is None:
            doc = await self.repo.participant(roadshow_id, user_id) or {}
            found = self._flags[key] = {"muted": bool(doc.get("muted")), "removed": bool(doc.get("removed"))}
        return found

    def _forget_flags(self, topic: str, data: dict[str, Any]) -> None:
        self._flags.pop((topic.split(":", 1)[1], str(data.get("user_id"))), None)

    def _kick(self, topic: str, data: dict[str, Any]) -> None:
        roadshow_id = topic.split(":", 1)[1]
        user_id = str(data.get("user_id"))
        self._flags.pop((roadshow_id, user_id), None)
        for connection in list(self.members.get(roadshow_id, {}).get(user_id, ())):
            connection.send(event_frame(topic, "room.removed", {"room_id": roadshow_id}))
            asyncio.get_running_loop().create_task(self.leave(connection, roadshow_id))

    # -- membership ------------------------------------------------------------------------------
    async def enter(self, connection: Connection, roadshow_id: str, moderator: bool) -> None:
        user = connection.user
        assert user is not None
        rooms = connection.extras.setdefault("rooms", {})
        rooms[roadshow_id] = {"moderator": moderator}
        await connection.subscribe(room_topic(roadshow_id))
        if moderator:
            await connection.subscribe(mod_topic(roadshow_id))
        local = self.members[roadshow_id][user.id]
        first = not local
        local.add(connection)
        self.people[roadshow_id][user.id] = {"user_id": user.id, "name": user.display_name,
                                             "organisation": user.organisation, "role": user.role.value}
        if first:
            # Rows of this user left open by a process that died (or a leave that failed) close first.
            await self.service.close_attendance_on_rejoin(roadshow_id, user.id, self.origin,
                                                          stale_after(self.config))
            joined = now()
            row_id = await self.repo.open_attendance(roadshow_id, user.id, self.origin, joined)
            if self.members.get(roadshow_id, {}).get(user.id):
                self.attendance[(roadshow_id, user.id)] = (row_id, joined)
            else:  # left while the row was being written
                await self.repo.close_attendance_row(row_id, max(joined, now()), "leave")

    async def leave(self, connection: Connection, roadshow_id: str, at: datetime | None = None) -> bool:
        rooms = connection.extras.get("rooms", {})
        if rooms.pop(roadshow_id, None) is None:
            return False
        await connection.unsubscribe(room_topic(roadshow_id))
        await connection.unsubscribe(mod_topic(roadshow_id))
        user = connection.user
        assert user is not None
        local = self.members.get(roadshow_id, {}).get(user.id)
        if local is not None:
            local.discard(connection)
            if not local:
                del self.members[roadshow_id][user.id]
                self.people[roadshow_id].pop(user.id, None)
                row = self.attendance.pop((roadshow_id, user.id), None)
                if row is not None:
                    row_id, joined = row
                    await self.repo.close_attendance_row(row_id, max(joined, at or now()), "leave")
        return True

    async def close_attendance(self, reason: str) -> None:
        """Closes every attendance row this process holds open (a clean shutdown)."""
        held, self.attendance = self.attendance, {}
        for row_id, joined in held.values():
            await self.repo.close_attendance_row(row_id, max(joined, now()), reason)

    async def disconnected(self, connection: Connection) -> None:
        at = None
        if connection.close_code == CLOSE_HEARTBEAT:
            # Dropped for silence (its network vanished): it was last there when last heard from.
            at = now() - timedelta(seconds=max(0.0, time.monotonic() - connection.last_seen))
        for roadshow_id in list(connection.extras.get("rooms", {})):
            await self.leave(connection, roadshow_id, at)

    # -- presence --------------------------------------------------------------------------------
    async def presence(self, roadshow_id: str) -> tuple[int, list[dict[str, Any]]]:
        """Who is in the room across all processes (rows written by each process in the last moments)."""
        since = now() - timedelta(seconds=self.config.presence_interval * 3)
        merged: dict[str, dict[str, Any]] = {}
        for row in await self.repo.presence_since(roadshow_id, since):
            if row.get("origin") == self.origin:
                continue
            for person in row.get("people", []):
                merged[person["user_id"]] = person
        merged.update(self.people.get(roadshow_id, {}))
        people = sorted(merged.values(), key=lambda p: (p["organisation"], p["name"]))
        return len(people), people

    async def _presence_tick(self) -> None:
        for roadshow_id in list(self.members):
            if not self.members[roadshow_id]:
                del self.members[roadshow_id]
                self.people.pop(roadshow_id, None)
                await self.repo.write_presence(roadshow_id, self.origin, [], now())
                continue
            await self.repo.write_presence(roadshow_id, self.origin, list(self.people[roadshow_id].values()), now())
            count, people = await self.presence(roadshow_id)
            signature = (count, tuple(p["user_id"] for p in people))
            if self._last_presence.get(roadshow_id) == signature:
                continue
            self._last_presence[roadshow_id] = signature
            hub = broadcaster(self.state).hub
            # Local delivery only: every process computes the same merged view for its own sockets.
            hub.deliver(room_topic(roadshow_id), event_frame(room_topic(roadshow_id), "presence", {"count": count}))
            hub.deliver(mod_topic(roadshow_id), event_frame(mod_topic(roadshow_id), "presence.detail",
                                                            {"count": count, "people": people}))

    # -- reactions -------------------------------------------------------------------------------
    def react(self, roadshow_id: str, pitch_index: int, kind: str) -> None:
        self.reactions[(roadshow_id, pitch_index)][kind] += 1

    async def _reaction_tick(self) -> None:
        pending, self.reactions = self.reactions, defaultdict(Counter)
        for (roadshow_id, index), counts in pending.items():
            if not counts:
                continue
            await publish(self.state, room_topic(roadshow_id), "reactions",
                          {"counts": dict(counts), "pitch_index": index,
                           "interval": self.config.reaction_interval})
            await self.repo.roadshows.update_one(
                {"_id": roadshow_id}, {"$inc": {f"reactions.{index}.{kind}": n for kind, n in counts.items()}})

    # -- countdowns ------------------------------------------------------------------------------
    def arm_countdown(self, roadshow: Roadshow) -> None:
        previous = self._timers.pop(roadshow.id, None)
        if previous is not None:
            previous.cancel()
        if roadshow.phase_ends_at is None or roadshow.status is not RoadshowStatus.live:
            return
        self._timers[roadshow.id] = asyncio.get_running_loop().create_task(
            self._countdown(roadshow.id, roadshow.pitch_index, roadshow.phase.value, roadshow.phase_ends_at))

    async def _countdown(self, roadshow_id: str, index: int, phase: str, ends_at: datetime) -> None:
        await asyncio.sleep(max(0.0, (ends_at - now()).total_seconds()))
        current = await self.roadshow(roadshow_id, fresh=True)
        if current.pitch_index == index and current.phase.value == phase and current.phase_ends_at == ends_at:
            from cloud_incubator.broadcast import publish_logged

            await publish_logged(self.state, room_topic(roadshow_id), "countdown.ended",
                                 {"pitch_index": index, "phase": phase, "ended_at": ends_at})

    # -- background ------------------------------------------------------------------------------
    def start(self) -> None:
        self._tasks = [asyncio.get_running_loop().create_task(self._every(self.config.presence_interval,
                                                                          self._presence_tick)),
                       asyncio.get_running_loop().create_task(self._every(self.config.reaction_interval,
                                                                          self._reaction_tick))]

    async def stop(self) -> None:
        for task in [*self._tasks, *self._timers.values()]:
            task.cancel()
        for task in [*self._tasks, *self._timers.values()]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    @staticmethod
    async def _every(seconds: float, work: Any) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("room background task failed")


def stale_after(config: GatewayConfig) -> timedelta:
    """How long a process may go without rewriting its presence before its attendance rows count as left."""
    return max(STALE_AFTER, timedelta(seconds=5 * config.presence_interval))


def runtime(state: AppState) -> RoomRuntime:
    found = state.extras.get("room_runtime")
    if found is None:
        found = state.extras["room_runtime"] = RoomRuntime(state)
        found.start()
    return found  # type: ignore[no-any-return]
