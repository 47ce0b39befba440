"""Mutual interest over real sockets: both parties get ``match.created`` live on /ws/v1, then talk in
the negotiation thread (``negotiation.send`` / ``negotiation.history``), stored in MongoDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from backend.users.models import NewUser, Role, User
from cloud_incubator.matchmaking.service import service
from tests.cloud.conftest import Sockets, token_for
from tests.conftest import TEST_PASSWORD, GraphQLClient


@pytest.fixture
async def live(live_server: Any) -> AsyncIterator[dict[str, Any]]:
    state = live_server.state

    async def setup() -> dict[str, Any]:
        admin = await state.user_service.create_user(NewUser(username="live_admin", display_name="Admin",
                                                             role=Role.admin, password=TEST_PASSWORD))
        incubator = await state.incubator_service.create({
            "name_zh": "对接测试孵化器", "name_en": "Live Matchmaking Incubator", "kind": "incubator",
            "accreditation": "municipal", "sub_area": "desheng", "industries": ["fintech"],
            "founded_on": __import__("datetime").date(2015, 1, 1), "floor_area": 1000.0, "operator": "测试"})
        mm = service(state)
        startup = await mm.create_startup(admin, {"name_zh": "链信科技", "name_en": "ChainTrust",
                                                  "incubator_id": incubator.id, "industry": "fintech",
                                                  "stage": "series_a", "needs": ["funding"], "ask_min": 800,
                                                  "ask_max": 800})
        founder = await state.user_service.create_user(NewUser(
            username="live_founder", display_name="创始人 Founder", role=Role.startup, password=TEST_PASSWORD,
            startup_id=startup.id, incubator_id=incubator.id))
        investor = await state.user_service.create_user(NewUser(
            username="live_investor", display_name="投资人 Investor", role=Role.investor, password=TEST_PASSWORD))
        outsider = await state.user_service.create_user(NewUser(
            username="live_outsider", display_name="Outsider", role=Role.investor, password=TEST_PASSWORD))
        fund = await mm.save_counterpart(investor, None, "investor", {
            "name_zh": "西城科创基金", "name_en": "Xicheng Fund", "industries": ["fintech"],
            "stages": ["series_a"], "ticket_min": 500, "ticket_max": 1000})
        return {"startup": startup.id, "fund": fund.id, "founder": founder, "investor": investor,
                "outsider": outsider}

    park = live_server.run_coroutine(setup())
    sockets = Sockets(live_server.ws_url)
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=30) as http:
        park["gql"] = GraphQLClient(http)
        park["sockets"] = sockets
        yield park
    await sockets.close_all()


async def test_mutual_interest_notifies_both_live_and_they_negotiate(live):
    founder: User = live["founder"]
    investor: User = live["investor"]
    gql: GraphQLClient = live["gql"]
    founder_ws = await live["sockets"].connect(founder)
    investor_ws = await live["sockets"].connect(investor)
    outsider_ws = await live["sockets"].connect(live["outsider"])

    pair = {"startupId": live["startup"], "counterpartId": live["fund"], "decision": "INTERESTED"}
    first = await gql.op("DecideOnMatch", pair, token=token_for(founder))
    assert first["data"]["decideOnMatch"]["matchCreated"] is False
    second = await gql.op("DecideOnMatch", pair, token=token_for(investor))
    match_id = second["data"]["decideOnMatch"]["match"]["id"]

    for ws, user in ((founder_ws, founder), (investor_ws, investor)):
        event = await ws.event("match.created")
        assert event["topic"] == f"user:{user.id}"
        assert event["data"]["match_id"] == match_id
        assert event["data"]["startup"]["name_en"] == "ChainTrust"
        assert event["data"]["counterpart"]["name_zh"] == "西城科创基金"
        # fintech 25 + series_a 15 + ticket 500–1000 holds 800 → 15 + funding 10 = 65
        assert event["data"]["score"] == pytest.approx(65.0)
        assert "same industry: fintech" in [r["en"] for r in event["data"]["reasons"]]

    sent = await founder_ws.ok("negotiation.send", {"match_id": match_id, "text": "  您好，想约您详谈 A 轮  "})
    assert sent["message"]["text"] == "您好，想约您详谈 A 轮"
    heard = await investor_ws.event("negotiation.message")
    assert heard["data"]["text"] == "您好，想约您详谈 A 轮" and heard["data"]["sender_user_id"] == founder.id
    await investor_ws.ok("negotiation.send", {"match_id": match_id, "text": "好的，周三下午可以。"})
    reply = await founder_ws.event("negotiation.message", lambda f: f["data"]["sender_user_id"] == investor.id)
    assert reply["data"]["sender_name"] == "投资人 Investor"
    # the sender's own sockets get the message too (another tab of the same account stays in sync)
    assert (await founder_ws.event("negotiation.message"))["data"]["sender_user_id"] == founder.id

    history = await investor_ws.ok("negotiation.history", {"match_id": match_id, "limit": 1})
    assert [m["text"] for m in history["messages"]] == ["好的，周三下午可以。"]
    older = await investor_ws.ok("negotiation.history", {"match_id": match_id, "before": history["next_before"]})
    assert [m["text"] for m in older["messages"]] == ["您好，想约您详谈 A 轮"]
    stored = await gql.op("NegotiationMessages", {"matchId": match_id}, token=token_for(founder))
    assert [m["text"] for m in stored["data"]["negotiationMessages"]] == ["好的，周三下午可以。", "您好，想约您详谈 A 轮"]

    assert (await outsider_ws.request("negotiation.send", {"match_id": match_id, "text": "hi"}))["code"] == \
        "match.forbidden"
    assert (await outsider_ws.request("negotiation.history", {"match_id": match_id}))["code"] == "match.forbidden"
    assert (await founder_ws.request("negotiation.send", {"match_id": "nope", "text": "hi"}))["code"] == \
        "match.not_found"
    assert (await founder_ws.request("negotiation.send", {"match_id": match_id, "text": "   "}))["code"] == \
        "negotiation.text_invalid"
    assert (await founder_ws.request("negotiation.send", {"text": "hi"}))["code"] == "payload.invalid"
    assert not [e for e in outsider_ws.events if e["event"] in ("match.created", "negotiation.message")]


async def test_a_manager_acting_for_a_startup_without_account_is_notified_and_negotiates(live, live_server):
    """A startup without an account is represented by its incubator's manager (who decides for it): when
    the investor is interested too, that manager gets ``match.created`` live and may talk in the thread;
    a manager of another incubator may not."""
    state = live_server.state

    async def setup() -> dict[str, Any]:
        startup = (await state.startups.by_ids([live["startup"]]))[0]
        assert startup is not None
        admin = (await state.users.by_username("live_admin"))
        quiet = await service(state).create_startup(admin, {
            "name_zh": "无账号企业", "name_en": "No Account Co", "incubator_id": startup.incubator_id,
            "industry": "fintech", "stage": "series_a", "needs": ["funding"], "ask_min": 800, "ask_max": 800})
        manager = await state.user_service.create_user(NewUser(
            username="live_manager", display_name="孵化器管理员", role=Role.manager, password=TEST_PASSWORD,
            incubator_id=startup.incubator_id))
        other = await state.incubator_service.create({
            "name_zh": "另一孵化器", "name_en": "Another Incubator", "kind": "incubator",
            "accreditation": "municipal", "sub_area": "desheng", "industries": ["fintech"],
            "founded_on": __import__("datetime").date(2016, 1, 1), "floor_area": 900.0, "operator": "测试"})
        stranger = await state.user_service.create_user(NewUser(
            username="live_other_manager", display_name="Other", role=Role.manager, password=TEST_PASSWORD,
            incubator_id=other.id))
        return {"quiet": quiet.id, "manager": manager, "stranger": stranger}

    extra = live_server.run_coroutine(setup())
    manager: User = extra["manager"]
    gql: GraphQLClient = live["gql"]
    manager_ws = await live["sockets"].connect(manager)
    investor_ws = await live["sockets"].connect(live["investor"])
    stranger_ws = await live["sockets"].connect(extra["stranger"])
    pair = {"startupId": extra["quiet"], "counterpartId": live["fund"], "decision": "INTERESTED"}
    assert (await gql.op("DecideOnMatch", pair, token=token_for(manager)))["data"]["decideOnMatch"][
        "matchCreated"] is False
    second = await gql.op("DecideOnMatch", pair, token=token_for(live["investor"]))
    match_id = second["data"]["decideOnMatch"]["match"]["id"]
    assert (await manager_ws.event("match.created"))["data"]["match_id"] == match_id
    assert (await investor_ws.event("match.created"))["data"]["match_id"] == match_id
    await manager_ws.ok("negotiation.send", {"match_id": match_id, "text": "我代表企业联系您"})
    assert (await investor_ws.event("negotiation.message"))["data"]["sender_user_id"] == manager.id
    assert (await stranger_ws.request("negotiation.send", {"match_id": match_id, "text": "hi"}))["code"] == \
        "match.forbidden"
    assert not [e for e in stranger_ws.events if e["event"] in ("match.created", "negotiation.message")]


async def test_an_overlong_message_gets_the_documented_code(live):
    """Over 2,000 characters is ``negotiation.text_invalid`` whatever the length (within the frame limit)."""
    founder: User = live["founder"]
    gql: GraphQLClient = live["gql"]
    pair = {"startupId": live["startup"], "counterpartId": live["fund"], "decision": "INTERESTED"}
    await gql.op("DecideOnMatch", pair, token=token_for(founder))
    match_id = (await gql.op("DecideOnMatch", pair, token=token_for(live["investor"])))[
        "data"]["decideOnMatch"]["match"]["id"]
    ws = await live["sockets"].connect(founder)
    for length in (2001, 5000):
        answer = await ws.request("negotiation.send", {"match_id": match_id, "text": "长" * length})
        assert (answer["code"], answer["details"]["field"]) == ("negotiation.text_invalid", "text")
    assert (await ws.ok("negotiation.send", {"match_id": match_id, "text": "长" * 2000}))["message"]["text"] == "长" * 2000
