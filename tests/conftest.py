"""Shared fixtures: one embedded SecantusDB server per test session (a real socket), a fresh database
per test, the app with its lifespan, an HTTP client, GraphQL helpers and a live uvicorn server."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pymongo import monitoring

from backend.app import create_app
from backend.embedded_db import EmbeddedDatabase, free_loopback_port
from backend.security import hash_password_sync
from backend.settings import Settings
from backend.state import AppState
from backend.users.models import NewUser, Role, User
from tests.query_plans import QueryPlanChecker

OPERATIONS_DIR = Path(__file__).resolve().parent.parent / "graphql" / "operations"


class CommandCounter(monitoring.CommandListener):
    """Counts database commands per database name (registered once, for clients created afterwards)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "explain":  # the query-plan check's own questions
            return
        with self.lock:
            self.counts[event.database_name] = self.counts.get(event.database_name, 0) + 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


COUNTER = CommandCounter()
monitoring.register(COUNTER)
QUERY_PLANS = QueryPlanChecker()
monitoring.register(QUERY_PLANS)


@pytest.fixture(scope="session", autouse=True)
def every_query_uses_an_index() -> Iterator[None]:
    """After the session: every query shape the tests made the app run used an index (tests/query_plans.py)."""
    yield
    QUERY_PLANS.close()
    unindexed = sorted(QUERY_PLANS.unindexed.values())
    Path(os.environ.get("INCUBENCH_QUERY_PLAN_REPORT", "/tmp/incubench-unindexed.txt")).write_text("\n".join(unindexed))
    assert not unindexed, "queries without an index (add one with register_indexes):\n" + "\n".join(unindexed)
    large_in = sorted(QUERY_PLANS.large_in.values())
    assert not large_in, "queries with a large $in (batch them with backend.db.find_in):\n" + "\n".join(large_in)



TEST_PASSWORD = "correct-horse-battery"
JWT_SECRET = "test-secret-" + "x" * 40


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[EmbeddedDatabase]:
    server = EmbeddedDatabase(storage_path=":memory:")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def test_password_hash() -> str:
    return hash_password_sync(TEST_PASSWORD)


@pytest.fixture
def settings(embedded_server: EmbeddedDatabase, tmp_path: Path) -> Settings:
    return Settings(env="test", mongodb_uri=embedded_server.uri, database_name=f"t_{uuid.uuid4().hex[:16]}",
                    jwt_secret=JWT_SECRET, var_dir=tmp_path / "var", log_level="WARNING")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=30):
        yield application
        await application.state.incubench.client.drop_database(settings.database_name)


@pytest.fixture
def state(app: FastAPI) -> AppState:
    return app.state.incubench  # type: ignore[no-any-return]


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def operation(name: str) -> str:
    """A named operation document from graphql/operations/."""
    return (OPERATIONS_DIR / f"{name}.graphql").read_text(encoding="utf-8")


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def __call__(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
                       operation_name: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        response = await self.http.post("/graphql", json=body, headers=headers)
        assert response.status_code in (200, 400), response.text
        return response.json()  # type: ignore[no-any-return]

    async def op(self, name: str, variables: dict[str, Any] | None = None, token: str | None = None) -> dict[str, Any]:
        return await self(operation(name), variables, token, operation_name=name)

    async def login(self, username: str, password: str = TEST_PASSWORD) -> str:
        result = await self.op("Login", {"username": username, "password": password})
        assert "errors" not in result, result
        return str(result["data"]["login"]["token"])


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


def error_codes(result: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors", [])]


@dataclass
class People:
    """Factory for accounts with TEST_PASSWORD (hashed once per session)."""

    state: AppState
    password_hash: str

    async def make(self, username: str, role: Role, **fields: Any) -> User:
        return await self.state.user_service.create_user(
            NewUser(username=username, display_name=fields.pop("display_name", username), role=role,
                    password=TEST_PASSWORD, **fields), password_hash=self.password_hash)

    async def incubator(self, name_en: str = "Test Incubator", **overrides: Any) -> str:
        from datetime import date

        values: dict[str, Any] = {"name_zh": "测试孵化器", "name_en": name_en, "kind": "incubator",
                                  "accreditation": "municipal", "sub_area": "desheng", "industries": ["fintech"],
                                  "founded_on": date(2015, 1, 1), "floor_area": 12000.0, "operator": "测试运营方"}
        values.update(overrides)
        return (await self.state.incubator_service.create(values)).id


@pytest.fixture
def people(state: AppState, test_password_hash: str) -> People:
    return People(state, test_password_hash)


class LiveServer:
    """The app served by uvicorn in a thread on a free loopback port (for websocket and browser tests)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_loopback_port()
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", ws="websockets-sansio",
                                ws_per_message_deflate=False, ws_max_size=256 * 1024, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def state(self) -> AppState:
        return self.app.state.incubench  # type: ignore[no-any-return]

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("live server did not start")
            time.sleep(0.05)

    def run_coroutine(self, coroutine: Any) -> Any:
        """Run a coroutine on the server's own event loop (its Mongo client lives there)."""
        loop = self.server_loop
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(60)

    @property
    def server_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings)
    original_startup = server.server.startup

    async def startup(*args: Any, **kwargs: Any) -> None:
        server._loop = asyncio.get_running_loop()
        await original_startup(*args, **kwargs)

    server.server.startup = startup  # type: ignore[method-assign]
    server.start()
    yield server
    server.stop()
