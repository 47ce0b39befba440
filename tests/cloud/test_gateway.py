"""The /ws/v1 socket layer: auth, origin, every bad-frame case, flood, heartbeats, personal topics,
slow clients."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from websockets.exceptions import ConnectionClosed

from backend.users.models import Role
from cloud_incubator.broadcast import broadcaster, publish
from cloud_incubator.rooms.runtime import room_topic
from tests.cloud.conftest import Park, Sockets, WsClient, schedule, token_for
from tests.waiting import PATIENCE


async def closed_with(client: WsClient) -> tuple[int | None, str | None, list[dict[str, Any]]]:
    """Read until the server closes; returns (code, reason, frames read meanwhile)."""
    frames: list[dict[str, Any]] = []
    try:
        while True:
            frames.append(await client.recv())
    except ConnectionClosed as closed:
        received = closed.rcvd
        return (received.code if received else None), (received.reason if received else None), frames


async def test_auth_then_ping(park: Park, sockets: Sockets) -> None:
    user = park.user("alice", Role.investor)
    client = await sockets.connect()
    answer = await client.request("auth", token=token_for(user))
    assert answer["type"] == "ok" and answer["data"]["user"]["username"] == "alice"
    assert (await client.request("ping"))["type"] == "pong"
    assert (await client.request("auth", token=token_for(user)))["code"] == "auth.already"


async def test_personal_topic_receives_notifications(park: Park, sockets: Sockets) -> None:
    user = park.user("bob", Role.investor)
    other = park.user("carol", Role.investor)
    client = await sockets.connect(user)
    bystander = await sockets.connect(other)
    park.run(publish(park.live.state, f"user:{user.id}", "booking.promoted", {"booking_id": "b1"}))
    event = await client.event("booking.promoted")
    assert event["topic"] == f"user:{user.id}" and event["data"] == {"booking_id": "b1"}
    assert (await bystander.request("ping"))["type"] == "pong"
    assert bystander.events == []


async def test_bad_frames_get_error_codes_and_the_socket_stays_usable(park: Park, sockets: Sockets) -> None:
    park.config(max_frame_bytes=4096)
    user = park.user("dave", Role.investor)
    client = await sockets.connect(user)

    async def error_for(raw: str | bytes) -> dict[str, Any]:
        await client.send_raw(raw)
        frame = await client.recv()
        assert frame["type"] == "error", frame
        return frame

    assert (await error_for("{not json"))["code"] == "frame.not_json"
    # (binary frames close the socket: tests/edge/test_sockets_and_hosts.py)
    assert (await error_for("[1, 2]"))["code"] == "frame.invalid"
    missing_action = await error_for('{"id": "m1"}')
    assert missing_action["code"] == "frame.invalid" and missing_action["id"] == "m1"
    assert (await error_for('{"id": "t1", "action": 5}'))["code"] == "frame.invalid"
    assert (await error_for('{"id": true, "action": "ping"}'))["code"] == "frame.invalid"
    assert (await error_for('{"id": "p1", "action": "chat.send", "payload": [1]}'))["code"] == "frame.invalid"
    unknown = await error_for('{"id": "u1", "action": "room.explode", "payload": {}}')
    assert unknown["code"] == "action.unknown" and unknown["id"] == "u1" and unknown["details"]["action"] == "room.explode"
    missing = await error_for('{"id": "f1", "action": "chat.send", "payload": {"room_id": "r"}}')
    assert missing["code"] == "payload.invalid"
    assert [(i["field"], i["type"]) for i in missing["details"]["issues"]] == [("text", "missing")]
    wrong = await error_for('{"id": "w1", "action": "chat.send", "payload": {"room_id": 7, "text": ["x"]}}')
    assert wrong["code"] == "payload.invalid"
    assert sorted(i["field"] for i in wrong["details"]["issues"]) == ["room_id", "text"]
    out_of_range = await error_for('{"id": "w2", "action": "slide.set", "payload": {"room_id": "r", "page": 0}}')
    assert out_of_range["code"] == "payload.invalid" and out_of_range["details"]["issues"][0]["field"] == "page"
    big = orjson.dumps({"id": "big", "action": "chat.send", "payload": {"room_id": "r", "text": "x" * 5000}}).decode()
    oversize = await error_for(big)
    assert oversize["code"] == "frame.too_large" and oversize["details"]["limit"] == 4096
    # Still usable after all that.
    assert (await client.request("ping"))["type"] == "pong"
    assert (await client.request("room.join", {"room_id": "nope"}))["code"] == "room.not_found"


async def test_actions_before_auth_are_refused(park: Park, sockets: Sockets) -> None:
    client = await sockets.connect()
    answer = await client.request("room.join", {"room_id": "x"})
    assert answer["code"] == "auth.required"
    assert (await client.request("ping"))["type"] == "pong"
    missing = await client.request("auth")
    assert missing["code"] == "payload.invalid"


async def test_unauthenticated_socket_is_closed_after_the_timeout(park: Park, sockets: Sockets) -> None:
    park.config(auth_timeout=0.3)
    client = await sockets.connect()
    code, reason, frames = await closed_with(client)
    assert (code, reason) == (4401, "auth.timeout")
    assert [f["code"] for f in frames] == ["auth.required"]


async def test_invalid_token_is_refused_and_closed(park: Park, sockets: Sockets) -> None:
    client = await sockets.connect()
    answer = await client.request("auth", token="not-a-jwt")
    assert answer["code"] == "auth.invalid" and answer["details"]["reason"] == "TOKEN_INVALID"
    code, reason, _ = await closed_with(client)
    assert (code, reason) == (4401, "auth.invalid")


async def test_origin_is_checked(park: Park, sockets: Sockets) -> None:
    user = park.user("erin", Role.investor)
    bad = await sockets.connect(origin="http://evil.example")
    code, reason, _ = await closed_with(bad)
    assert (code, reason) == (4403, "origin.forbidden")
    good = await sockets.connect(user, origin="http://127.0.0.1:8000")
    assert (await good.request("ping"))["type"] == "pong"


async def test_the_apps_own_pages_connect_on_any_port(park: Park, sockets: Sockets) -> None:
    """The live server runs on a random port that is not in cors_origins: its own pages (Origin equal to
    the request's host) are admitted; the same host on another port is not."""
    from urllib.parse import urlparse

    user = park.user("olga", Role.investor)
    target = urlparse(sockets.url)
    own = await sockets.connect(user, origin=f"http://{target.hostname}:{target.port}")
    assert (await own.request("ping"))["type"] == "pong"
    other_port = await sockets.connect(origin=f"http://{target.hostname}:{target.port + 1}")
    code, reason, _ = await closed_with(other_port)
    assert (code, reason) == (4403, "origin.forbidden")


async def test_flooding_client_is_rate_limited_then_disconnected(park: Park, sockets: Sockets) -> None:
    park.config(frames_per_second=2, frame_burst=5, flood_strikes=10, flood_window=60)
    user = park.user("frank", Role.investor)
    client = await sockets.connect(user)
    for n in range(40):
        try:
            await client.send_raw(orjson.dumps({"id": str(n), "action": "ping"}).decode())
        except ConnectionClosed:
            break
    code, reason, frames = await closed_with(client)
    kinds = [f["type"] if f["type"] != "error" else f["code"] for f in frames]
    assert kinds[:4] == ["pong"] * 4          # the burst (5, one spent on auth) passes
    assert "rate.limited" in kinds and kinds.count("rate.limited") == 10
    assert (code, reason) == (4429, "rate.flood")


async def test_heartbeats_both_ways(park: Park, sockets: Sockets) -> None:
    # Pings every 0.2 s; 3 s of silence ends the socket (a client busy that long on this machine would not
    # be answering pings in time, a quiet one is closed within seconds either way).
    park.config(heartbeat_interval=0.2, heartbeat_timeout=3.0)
    user = park.user("gina", Role.investor)
    client = await sockets.connect(user)
    # Answering the server's pings keeps the socket open...
    for _ in range(5):
        frame = await client.recv()
        assert frame["type"] == "ping"
        await client.send_raw('{"action": "pong"}')
    # ...staying silent gets it closed.
    code, reason, frames = await closed_with(client)
    assert (code, reason) == (4408, "heartbeat.timeout")
    assert all(f["type"] == "ping" for f in frames)


async def test_slow_client_is_dropped_while_others_keep_receiving(park: Park, sockets: Sockets) -> None:
    park.config(send_queue=64, max_buffer_bytes=1024 * 1024)
    organiser = park.user("host", Role.manager, incubator_id=park.incubator())
    startup = park.startup("s-slow", "Slowpoke")
    room = schedule(park, organiser, [startup])
    fast_user, slow_user = park.user("fast", Role.investor), park.user("slow", Role.investor)
    fast = await sockets.connect(fast_user)
    slow = await sockets.connect(slow_user, small_buffer=True)
    await fast.ok("room.join", {"room_id": room})
    await slow.ok("room.join", {"room_id": room})
    state = park.live.state
    topic = room_topic(room)
    blob = "x" * 30_000
    total = 300   # ≈ 9 MB: beyond the server's socket buffers (4 MiB at most) and a 64-frame queue

    async def burst() -> None:
        for n in range(total):
            await publish(state, topic, "test.blob", {"n": n, "blob": blob})
            await asyncio.sleep(0.002)  # a busy room, not an instantaneous burst

    received: list[int] = []

    async def read_fast() -> None:
        while len(received) < total:
            frame = await fast.recv()
            if frame.get("event") == "test.blob":
                received.append(frame["data"]["n"])

    # Under uvicorn the prebuilt frame bytes go straight to each transport (the fast path).
    assert park.run(_fast_paths(state, topic)) == [True, True]
    reader = asyncio.create_task(read_fast())
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(burst(), park.live.server_loop))
    await asyncio.wait_for(reader, PATIENCE)
    assert received == list(range(total))          # every frame, in order, to the reading client
    members = park.run(_members(state, topic))
    assert members == [fast_user.id]                # the slow one is gone from the room
    code, _, _ = await closed_with(slow)
    assert code in (4409, None)                     # 4409 when the close frame gets through its full buffers


async def _fast_paths(state: Any, topic: str) -> list[bool]:
    return [c._transport is not None for c in broadcaster(state).hub.members(topic)]


async def _members(state: Any, topic: str) -> list[str]:
    return [c.user.id for c in broadcaster(state).hub.members(topic)]


@pytest.mark.parametrize("payload", [{"room_id": "x" * 65}, {"room_id": ""}])
async def test_room_id_limits(park: Park, sockets: Sockets, payload: dict[str, Any]) -> None:
    client = await sockets.connect(park.user("hal", Role.investor))
    assert (await client.request("room.join", payload))["code"] == "payload.invalid"
