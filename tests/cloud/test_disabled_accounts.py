"""A disabled account or an expired session is cut off from /ws/v1 too (rooms, bookings watch, personal
topics), not only from GraphQL: at once when an admin disables it, at the latest at the next session
check when the change arrived some other way, and when the token expires."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backend.security import issue_token
from backend.users.models import Role
from tests.cloud.conftest import Park, Sockets, WsClient, schedule
from tests.cloud.test_gateway import closed_with
from tests.conftest import JWT_SECRET
from tests.waiting import Expired, with_short_lifetime


def _auth_error(frames: list[dict[str, Any]]) -> dict[str, Any]:
    [error] = [f for f in frames if f.get("type") == "error" and f.get("code") == "auth.invalid"]
    return error


async def test_disabling_an_account_closes_its_sockets_and_takes_it_out_of_rooms(park: Park, sockets: Sockets) -> None:
    admin = park.user("parkadmin", Role.admin)
    investor = park.user("goneinvestor", Role.investor)
    stays = park.user("stayinvestor", Role.investor)
    room = schedule(park, admin, [park.startup("ds-1", "Disable Startup")])
    moderator = await sockets.connect(admin)
    await moderator.ok("room.join", {"room_id": room})
    first, second = await sockets.connect(investor), await sockets.connect(investor)  # two tabs
    await first.ok("room.join", {"room_id": room})
    bystander = await sockets.connect(stays)
    await bystander.ok("room.join", {"room_id": room})
    assert (await moderator.ok("presence.get", {"room_id": room}))["count"] == 3

    result = await park.op("SetUserActive", {"userId": investor.id, "active": False}, admin)
    assert result["data"]["setUserActive"]["active"] is False, result
    for client in (first, second):
        code, reason, frames = await closed_with(client)
        assert (code, reason) == (4401, "auth.revoked")
        assert _auth_error(frames)["details"]["reason"] == "ACCOUNT_DISABLED"
    presence = await moderator.ok("presence.get", {"room_id": room})
    assert presence["count"] == 2 and investor.id not in {p["user_id"] for p in presence["people"]}
    assert (await bystander.request("ping"))["type"] == "pong"
    again = await sockets.connect()
    refused = await again.request("auth", token=_token(investor.id, Role.investor))
    assert refused["code"] == "auth.invalid"


async def test_an_account_disabled_without_an_event_is_cut_off_at_the_next_session_check(
        park: Park, sockets: Sockets) -> None:
    """E.g. disabled by another process whose event was lost, or straight in the database."""
    park.config(heartbeat_interval=0.2, session_check_interval=0.2)
    investor = park.user("quietinvestor", Role.investor)
    client = await sockets.connect(investor)
    park.run(park.live.state.users.set_active(investor.id, False))
    code, reason, frames = await closed_with(client)
    assert (code, reason) == (4401, "auth.revoked")
    assert _auth_error(frames)["details"]["reason"] == "ACCOUNT_DISABLED"


def _token(user_id: str, role: Role, lifetime: timedelta = timedelta(hours=1)) -> str:
    return issue_token(user_id, role.value, JWT_SECRET, lifetime)[0]


async def test_a_socket_is_closed_when_its_token_expires(park: Park, sockets: Sockets) -> None:
    """The token lives 3 s (longer if the machine is too busy to authenticate in that time)."""
    park.config(heartbeat_interval=0.2)
    investor = park.user("shortinvestor", Role.investor)

    async def expire(lifetime: timedelta) -> None:
        client: WsClient = await sockets.connect()
        answer = await client.request("auth", token=_token(investor.id, Role.investor, lifetime))
        if answer["type"] == "error" and answer.get("details", {}).get("reason") == "TOKEN_EXPIRED":
            raise Expired  # expired before the server read it: try a longer one
        assert answer["type"] == "ok", answer
        code, reason, frames = await closed_with(client)
        assert (code, reason) == (4401, "auth.expired")
        assert _auth_error(frames)["details"]["reason"] == "TOKEN_EXPIRED"

    await with_short_lifetime(expire)
