"""The /ws/v1 socket layer: auth, origin, bad frames, flood, heartbeats, slow clients, user topics."""

from __future__ import annotations

from typing import Any

from backend.users.models import Role
from cloud_incubator.broadcast import publish
from tests.cloud.conftest import Sockets, token_for


async def make_user(live_server: Any, name: str, role: Role = Role.investor, **fields: Any):
    from backend.users.models import NewUser
    from tests.conftest import TEST_PASSWORD

    return live_server.run_coroutine(live_server.state.user_service.create_user(
        NewUser(username=name, display_name=name.title(), role=role, password=TEST_PASSWORD,
                organisation=fields.pop("organisation", "Org " + name), **fields)))


async def test_auth_then_ping(live_server: Any, sockets: Sockets) -> None:
    user = await make_user(live_server, "alice")
    client = await sockets.connect()
    answer = await client.request("auth", token=token_for(user))
    assert answer["type"] == "ok"
    assert answer["data"]["user"]["username"] == "alice"
    pong = await client.request("ping")
    assert pong["type"] == "pong"


async def test_user_topic_receives_personal_events(live_server: Any, sockets: Sockets) -> None:
    user = await make_user(live_server, "bob")
    client = await sockets.connect(user)
    live_server.run_coroutine(publish(live_server.state, f"user:{user.id}", "match.created", {"match_id": "m1"}))
    event = await client.event("match.created")
    assert event["topic"] == f"user:{user.id}" and event["data"] == {"match_id": "m1"}
