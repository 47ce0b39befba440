"""What the running app holds: settings, the database handle, shared services."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from backend.core.clock import Clock, ParkCalendar, SystemClock
from backend.core.db import Document
from backend.core.settings import Settings
from backend.incubators.repository import IncubatorRepository
from backend.incubators.service import IncubatorService
from backend.ratelimit import RateLimiter
from backend.startups.repository import StartupRepository
from backend.users.repository import UserRepository
from backend.users.service import UserService
from cloud_incubator.config import GatewayConfig

if TYPE_CHECKING:
    from backend.platform_inputs.service import PlatformInputs
    from backend.rankings.service import RankingService
    from backend.roadshows.service import RoadshowService
    from backend.submissions.service import SubmissionService
    from cloud_incubator.bookings.service import BookingService
    from cloud_incubator.broadcast import Broadcaster
    from cloud_incubator.gateway import Connection
    from cloud_incubator.matchmaking.service import MatchmakingService
    from cloud_incubator.registry import ActionSpec
    from cloud_incubator.rooms.runtime import RoomRuntime


@dataclass
class AppState:
    settings: Settings
    client: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    limiter: RateLimiter = field(default_factory=RateLimiter)
    clock: Clock = field(default_factory=SystemClock)
    actions: Mapping[str, ActionSpec] = field(default_factory=dict)  # every /ws/v1 action, by name
    # Called with each authenticated socket when it closes (rooms: presence and attendance).
    socket_closed_handlers: tuple[Callable[[Connection], Awaitable[None]], ...] = ()
    started_at: float = field(default_factory=time.time)
    ws_config: GatewayConfig = field(default_factory=GatewayConfig)  # /ws/v1 limits (INCUBENCH_WS_*)
    broadcaster: Broadcaster | None = None  # started by cloud_incubator.gateway.start
    room_runtime: RoomRuntime | None = None  # the live rooms of this process (made on first use)
    # The domain services, built by the composition root (backend/app.py, build_services).
    platform_inputs: PlatformInputs = field(init=False)
    submissions: SubmissionService = field(init=False)
    roadshows: RoadshowService = field(init=False)
    bookings: BookingService = field(init=False)
    matchmaking: MatchmakingService = field(init=False)
    rankings: RankingService = field(init=False)

    def __post_init__(self) -> None:
        self.calendar = ParkCalendar(self.clock)
        self.users = UserRepository(self.db)
        self.incubators = IncubatorRepository(self.db)
        self.startups = StartupRepository(self.db)
        self.user_service = UserService(self.users, self.incubators, self.startups, self.settings, self.limiter)
        self.incubator_service = IncubatorService(self.incubators, self.calendar)
