"""Socket helpers for the cloud-incubation tests: a thin client over ``websockets`` for /ws/v1."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from backend.security import issue_token
from backend.users.models import NewUser, Role, User
from cloud_incubator.config import GatewayConfig
from tests.conftest import JWT_SECRET, TEST_PASSWORD, GraphQLClient
from tests.waiting import PATIENCE


def token_for(user: User) -> str:
    from datetime import timedelta

    return issue_token(user.id, user.role.value, JWT_SECRET, timedelta(hours=1))[0]


class WsClient:
    """Sends frames with ids; keeps events and answers apart so tests can wait for either."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []

    async def send_raw(self, data: str | bytes) -> None:
        await self.socket.send(data)

    async def recv(self, wait: float = PATIENCE) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.socket.recv(), wait)
        frame = orjson.loads(raw)
        self.frames.append(frame)
        if frame.get("type") == "event":
            self.events.append(frame)
        return frame  # type: ignore[no-any-return]

    async def request(self, action: str, payload: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
        """Send one action and return its ok/error answer (events arriving meanwhile are kept)."""
        frame_id = str(next(self._ids))
        body: dict[str, Any] = {"id": frame_id, "action": action, **top}
        if payload is not None:
            body["payload"] = payload
        await self.socket.send(orjson.dumps(body).decode())
        return await self.answer(frame_id)

    async def answer(self, frame_id: str | None) -> dict[str, Any]:
        while True:
            frame = await self.recv()
            if frame.get("type") in ("ok", "error", "pong") and frame.get("id") == frame_id:
                return frame

    async def ok(self, action: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = await self.request(action, payload)
        assert answer["type"] == "ok", answer
        return answer["data"]  # type: ignore[no-any-return]

    async def event(self, name: str, predicate: Callable[[dict[str, Any]], bool] | None = None,
                    wait: float = PATIENCE) -> dict[str, Any]:
        """The next event named ``name`` (already received or arriving)."""
        for frame in self.events:
            if frame["event"] == name and (predicate is None or predicate(frame)) and not frame.get("_seen"):
                frame["_seen"] = True
                return frame
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            frame = await self.recv(max(0.01, deadline - loop.time()))
            if frame.get("type") == "event" and frame["event"] == name and (predicate is None or predicate(frame)):
                frame["_seen"] = True
                return frame

    async def close(self) -> None:
        await self.socket.close()


class Sockets:
    def __init__(self, base_url: str) -> None:
        self.url = base_url + "/ws/v1"
        self.open: list[WsClient] = []

    async def raw(self, **kwargs: Any) -> ClientConnection:
        socket = await connect(self.url, compression=None, open_timeout=PATIENCE, **kwargs)
        self.open.append(WsClient(socket))
        return socket

    async def connect(self, user: User | None = None, small_buffer: bool = False, **kwargs: Any) -> WsClient:
        if small_buffer:
            # A client that stops reading: a tiny receive window (no autotuning) and one queued frame.
            import socket as sockets_module
            from urllib.parse import urlparse

            raw = sockets_module.socket(sockets_module.AF_INET, sockets_module.SOCK_STREAM)
            raw.setsockopt(sockets_module.SOL_SOCKET, sockets_module.SO_RCVBUF, 4096)
            target = urlparse(self.url)
            raw.connect((target.hostname, target.port))
            kwargs.update(sock=raw, max_queue=1)
        socket = await connect(self.url, compression=None, open_timeout=PATIENCE, **kwargs)
        client = WsClient(socket)
        self.open.append(client)
        if user is not None:
            answer = await client.request("auth", token=token_for(user))
            assert answer["type"] == "ok", answer
        return client

    async def close_all(self) -> None:
        for client in self.open:
            try:
                await asyncio.wait_for(client.socket.close(), 2)
            except Exception:
                pass


@pytest.fixture
async def sockets(live_server: Any) -> AsyncIterator[Sockets]:
    hub = Sockets(live_server.ws_url)
    yield hub
    await hub.close_all()


@dataclass
class Park:
    """Accounts, startups and an HTTP/GraphQL client against the live server (same process as the sockets)."""

    live: Any
    http: httpx.AsyncClient
    gql: GraphQLClient

    def run(self, coroutine: Any) -> Any:
        return self.live.run_coroutine(coroutine)

    def user(self, username: str, role: Role, **fields: Any) -> User:
        fields.setdefault("organisation", f"{username.title()} Org")
        return self.run(self.live.state.user_service.create_user(NewUser(
            username=username, display_name=fields.pop("display_name", username.title()), role=role,
            password=TEST_PASSWORD, **fields)))

    def incubator(self, name_en: str = "Room Test Incubator") -> str:
        from datetime import date

        return self.run(self.live.state.incubator_service.create({
            "name_zh": "路演测试孵化器", "name_en": name_en, "kind": "incubator", "accreditation": "municipal",
            "sub_area": "desheng", "industries": ["fintech"], "founded_on": date(2015, 1, 1),
            "floor_area": 1000.0, "operator": "测试运营方"})).id

    def startup(self, startup_id: str, name_en: str, incubator_id: str | None = None) -> str:
        self.run(self.live.state.startups.insert({"_id": startup_id, "name_zh": name_en + "（中）", "name_en": name_en,
                                                  "incubator_id": incubator_id, "industry": "fintech"}))
        return startup_id

    def config(self, **overrides: Any) -> GatewayConfig:
        config = GatewayConfig(**overrides)
        self.live.state.extras["ws_config"] = config
        return config

    async def op(self, name: str, variables: dict[str, Any], user: User) -> dict[str, Any]:
        return await self.gql.op(name, variables, token=token_for(user))


@pytest.fixture
async def park(live_server: Any) -> AsyncIterator[Park]:
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=30) as http:
        yield Park(live_server, http, GraphQLClient(http))


def schedule(park: Park, organiser: User, startup_ids: list[str], audience: str = "registered", **extra: Any) -> str:
    """A roadshow scheduled through the service (the GraphQL path is tested in test_roadshow_flow)."""
    from datetime import UTC, datetime, timedelta

    from backend.roadshows.service import roadshow_service

    values = {"title_zh": "测试路演", "title_en": "Test roadshow", "starts_at": datetime.now(UTC) + timedelta(hours=1),
              "agenda": [{"startup_id": s, "pitch_minutes": 10, "qa_minutes": 5} for s in startup_ids],
              "audience": audience, **extra}
    return str(park.run(roadshow_service(park.live.state).schedule(organiser, values)).id)


def start(park: Park, organiser: User, roadshow_id: str) -> None:
    from backend.roadshows.service import roadshow_service
    from cloud_incubator.rooms.actions import announce_status

    async def go() -> None:
        roadshow = await roadshow_service(park.live.state).start(organiser, roadshow_id)
        await announce_status(park.live.state, roadshow)
    park.run(go())
