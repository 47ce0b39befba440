"""A database outage reads as ``DATABASE_UNAVAILABLE`` in every transport, never as "not found".

The app gets its own embedded server, stopped mid-test and started again (same port) before the app
shuts down. Each request during the outage waits for PyMongo's server selection (5 s) before failing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from backend.core.settings import Settings
from backend.embedded_db import EmbeddedDatabase
from backend.users.models import NewUser, Role
from tests.cloud.conftest import Sockets, WsClient, token_for
from tests.conftest import JWT_SECRET, TEST_PASSWORD, operation


async def answer(client: WsClient, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Send one frame and wait (generously: each database call waits out server selection) for its answer."""
    frame_id = uuid.uuid4().hex
    await client.send_raw(orjson.dumps({"id": frame_id, "action": action, "payload": payload}).decode())
    while True:
        frame = await client.recv(wait=60)
        if frame.get("type") in ("ok", "error") and frame.get("id") == frame_id:
            return frame


@pytest.fixture
def own_database() -> Iterator[EmbeddedDatabase]:
    server = EmbeddedDatabase(storage_path=":memory:")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(own_database: EmbeddedDatabase, tmp_path: Path) -> Settings:
    return Settings(env="test", mongodb_uri=own_database.uri, database_name=f"t_{uuid.uuid4().hex[:16]}",
                    jwt_secret=JWT_SECRET, var_dir=tmp_path / "var", log_level="WARNING")


async def test_an_outage_is_database_unavailable_over_graphql_http_and_the_socket(live_server, own_database):
    user = live_server.run_coroutine(live_server.state.user_service.create_user(
        NewUser(username="outage", display_name="Outage", role=Role.evaluator, password=TEST_PASSWORD)))
    token = token_for(user)
    sockets = Sockets(live_server.ws_url)
    try:
        client = await sockets.connect(user)
        assert (await client.request("room.join", {"room_id": "no-such-room"}))["code"] == "room.not_found"
        own_database.stop()
        try:
            joined = await answer(client, "room.join", {"room_id": "no-such-room"})
            assert joined["code"] == "server.database_unavailable"
            async with httpx.AsyncClient(base_url=live_server.http_url, timeout=60) as http:
                auth = {"Authorization": f"Bearer {token}"}
                graphql = (await http.post("/graphql", json={"query": operation("Me")}, headers=auth)).json()
                assert [e["extensions"]["code"] for e in graphql["errors"]] == ["DATABASE_UNAVAILABLE"]
                assert graphql["errors"][0]["extensions"]["message_zh"] == "数据库暂时不可用，请稍后重试。"
                export = await http.get("/api/export/submissions.csv", params={"quarter": "2025Q3"}, headers=auth)
                assert export.status_code == 503
                assert export.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
        finally:
            own_database.start()
        assert (await answer(client, "room.join", {"room_id": "no-such-room"}))["code"] == "room.not_found"
    finally:
        await sockets.close_all()
