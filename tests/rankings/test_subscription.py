"""rankingUpdated over graphql-transport-ws: token in connection_init, role-filtered events, expired tokens."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import websockets

from backend.rankings.service import ranking_service
from backend.security import hash_password_sync
from backend.submissions.service import SaveRequest, submission_service
from backend.users.models import NewUser, Role
from tests.conftest import TEST_PASSWORD, operation
from tests.rankings.conftest import scaled
from tests.submissions.helpers import token_for
from tests.waiting import PATIENCE, Expired, until, with_short_lifetime

PROTOCOL = "graphql-transport-ws"


async def _setup(state):
    password_hash = hash_password_sync(TEST_PASSWORD)
    from datetime import date

    users = {}
    for name, role in (("admin", Role.admin), ("evaluator", Role.evaluator), ("startup", Role.startup)):
        extra = {}
        if role is Role.startup:
            await state.startups.insert({"_id": "s-1", "name_zh": "初创", "name_en": "Startup", "industry": "other"})
            extra = {"startup_id": "s-1"}
        users[name] = await state.user_service.create_user(
            NewUser(username=name, display_name=name, role=role, password=TEST_PASSWORD, **extra),
            password_hash=password_hash)
    incubators = []
    for name in ("Alpha", "Beta"):
        incubators.append((await state.incubator_service.create({
            "name_zh": name, "name_en": name, "kind": "incubator", "accreditation": "municipal",
            "sub_area": "desheng", "industries": ["fintech"], "founded_on": date(2015, 1, 1), "floor_area": 9000.0,
            "operator": "op"})).id)
    for incubator, factor in zip(incubators, (1.0, 0.6), strict=True):
        await submission_service(state).save(users["admin"], SaveRequest(incubator, "2025Q3",
                                                                         scaled(factor), True))
    ranking_service(state)  # listen to submissions from the start
    return users, incubators


async def _subscribers(state, quarter):
    return len(ranking_service(state).events._queues.get(quarter, ()))


async def connect(live_server, token):
    ws = await websockets.connect(live_server.ws_url + "/graphql", subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    return ws


async def subscribe(live_server, token, quarter="2025Q3", expected=1):
    ws = await connect(live_server, token)
    try:
        acknowledged = json.loads(await asyncio.wait_for(ws.recv(), PATIENCE))
    except websockets.ConnectionClosed as closed:
        if closed.rcvd is not None and closed.rcvd.code == 4403:
            raise Expired from closed  # a short-lived token that expired before connection_init was read
        raise
    assert acknowledged["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": operation("RankingUpdated"), "variables": {"quarter": quarter}}}))
    await until(lambda: live_server.run_coroutine(_subscribers(live_server.state, quarter)) >= expected,
                "the server to register the subscriber")
    return ws


async def next_payload(ws):
    raw = await asyncio.wait_for(ws.recv(), PATIENCE)
    assert isinstance(raw, str), "graphql-transport-ws messages are text frames (browsers JSON.parse them)"
    message = json.loads(raw)
    assert message["type"] == "next", message
    return message["payload"]["data"]["rankingUpdated"]


async def gql_http(live_server, name, variables, token):
    async with httpx.AsyncClient(base_url=live_server.http_url) as http:
        response = await http.post("/graphql", json={"query": operation(name), "variables": variables,
                                                     "operationName": name},
                                   headers={"Authorization": f"Bearer {token}"})
        return response.json()


async def test_staff_hear_of_new_metrics_and_everyone_of_publications(live_server):
    users, incubators = live_server.run_coroutine(_setup(live_server.state))
    evaluator = await subscribe(live_server, token_for(users["evaluator"]))
    startup = await subscribe(live_server, token_for(users["startup"]), expected=2)
    try:
        amended = await gql_http(live_server, "SubmitQuarterlyMetrics", {"input": {
            "incubatorId": incubators[1], "quarter": "2025Q3", "baseRevision": 1, "final": True,
            "metrics": [{"field": k, "value": v} for k, v in scaled(2.0)]}}, token_for(users["admin"]))
        assert "errors" not in amended, amended
        event = await next_payload(evaluator)
        assert event["reason"] == "inputs_changed" and event["incubatorIds"] == [incubators[1]]
        assert event["ranking"]["source"] == "LIVE"
        assert [e["incubatorId"] for e in event["ranking"]["entries"]] == [incubators[1], incubators[0]]
        published = await gql_http(live_server, "PublishRanking", {"quarter": "2025Q3"},
                                   token_for(users["evaluator"]))
        assert published["data"]["publishRanking"]["version"] == 1
        seen = await next_payload(startup)  # the startup never heard of the unpublished change
        assert seen["reason"] == "published" and seen["version"] == 1
        assert seen["ranking"]["source"] == "PUBLISHED" and seen["ranking"]["totalCount"] == 2
        assert (await next_payload(evaluator))["reason"] == "published"
    finally:
        await evaluator.close()
        await startup.close()


async def test_expired_or_missing_token_is_refused_at_connection_init(live_server):
    users, _ = live_server.run_coroutine(_setup(live_server.state))
    expired = token_for(users["evaluator"], lifetime=timedelta(minutes=5),
                        now=datetime.now(UTC) - timedelta(hours=2))
    for token in (expired, "not-a-token"):
        ws = await connect(live_server, token)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), PATIENCE)
        assert closed.value.rcvd.code == 4403
    ws = await websockets.connect(live_server.ws_url + "/graphql", subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), PATIENCE)
    assert closed.value.rcvd.code == 4403


async def _ended_with(ws, wait: float = PATIENCE) -> dict:
    """The error that ended a subscription (graphql-transport-ws: a `next` carrying errors, or `error`)."""
    message = json.loads(await asyncio.wait_for(ws.recv(), wait))
    assert message["type"] in ("next", "error"), message
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    return errors[0]


async def test_a_subscription_ends_when_its_session_expires(live_server):
    """Checked at connection_init only, a token that expires later would keep the stream open for ever.
    The token lives 8 s (longer if the machine is too busy to open the stream in that time)."""
    users, _ = live_server.run_coroutine(_setup(live_server.state))

    async def expire(lifetime: timedelta) -> None:
        ws = await subscribe(live_server, token_for(users["evaluator"], lifetime=lifetime))
        try:
            error = await _ended_with(ws, lifetime.total_seconds() + PATIENCE)
            assert error["extensions"]["code"] == "UNAUTHENTICATED"
            assert error["extensions"]["reason"] == "TOKEN_EXPIRED"
            await until(lambda: live_server.run_coroutine(_subscribers(live_server.state, "2025Q3")) == 0,
                        "the ended subscription to leave the quarter's listeners")
        finally:
            await ws.close()

    await with_short_lifetime(expire, seconds=(8, 30, 120))


async def test_disabling_an_account_ends_its_sessions_and_subscriptions(live_server):
    users, incubators = live_server.run_coroutine(_setup(live_server.state))
    evaluator_token = token_for(users["evaluator"])
    ws = await subscribe(live_server, evaluator_token)
    try:
        disabled = await gql_http(live_server, "SetUserActive", {"userId": users["evaluator"].id, "active": False},
                                  token_for(users["admin"]))
        assert disabled["data"]["setUserActive"]["active"] is False
        amended = await gql_http(live_server, "SubmitQuarterlyMetrics", {"input": {
            "incubatorId": incubators[1], "quarter": "2025Q3", "baseRevision": 1, "final": True,
            "metrics": [{"field": k, "value": v} for k, v in scaled(2.0)]}}, token_for(users["admin"]))
        assert "errors" not in amended, amended
        error = await _ended_with(ws)  # the change is not delivered to a disabled account
        assert (error["extensions"]["code"], error["extensions"]["reason"]) == ("UNAUTHENTICATED", "ACCOUNT_DISABLED")
    finally:
        await ws.close()
    me = await gql_http(live_server, "Me", {}, evaluator_token)
    assert me["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    async with httpx.AsyncClient(base_url=live_server.http_url) as http:
        login = (await http.post("/graphql", json={"query": operation("Login"), "operationName": "Login", "variables": {
            "username": "evaluator", "password": TEST_PASSWORD}})).json()
    assert login["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    self_disable = await gql_http(live_server, "SetUserActive", {"userId": users["admin"].id, "active": False},
                                  token_for(users["admin"]))
    assert [e["extensions"]["field"] for e in self_disable["errors"]] == ["userId"]
    not_admin = await gql_http(live_server, "SetUserActive", {"userId": users["startup"].id, "active": False},
                               token_for(users["startup"]))
    assert not_admin["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    enabled = await gql_http(live_server, "SetUserActive", {"userId": users["evaluator"].id, "active": True},
                             token_for(users["admin"]))
    assert enabled["data"]["setUserActive"]["active"] is True
    assert "errors" not in await gql_http(live_server, "Me", {}, evaluator_token)


async def test_an_idle_subscription_of_a_disabled_account_ends_at_the_next_session_check(live_server, monkeypatch):
    """No ranking event needed: an idle stream re-reads the account now and then (here every 0.2 s) and
    keeps delivering between checks; disabled (here straight in the database, no event), it ends."""
    from backend.api.resolvers import rankings as resolver

    monkeypatch.setattr(resolver, "SESSION_CHECK_SECONDS", 0.2)
    users, incubators = live_server.run_coroutine(_setup(live_server.state))
    service = live_server.state.user_service
    checks = []  # one entry per account read (the server's thread appends, this one reads)
    read_account = service.user_from_token

    async def counted(token, *args, **kwargs):
        checks.append(token)
        return await read_account(token, *args, **kwargs)

    monkeypatch.setattr(service, "user_from_token", counted)
    evaluator_token = token_for(users["evaluator"])
    ws = await subscribe(live_server, evaluator_token)
    try:
        before = len(checks)
        await until(lambda: len(checks) >= before + 3, "several session checks while idle")
        amended = await gql_http(live_server, "SubmitQuarterlyMetrics", {"input": {
            "incubatorId": incubators[1], "quarter": "2025Q3", "baseRevision": 1, "final": True,
            "metrics": [{"field": k, "value": v} for k, v in scaled(2.0)]}}, token_for(users["admin"]))
        assert "errors" not in amended, amended
        assert (await next_payload(ws))["reason"] == "inputs_changed"
        live_server.run_coroutine(live_server.state.users.set_active(users["evaluator"].id, False))
        error = await _ended_with(ws)
        assert (error["extensions"]["code"], error["extensions"]["reason"]) == ("UNAUTHENTICATED", "ACCOUNT_DISABLED")
    finally:
        await ws.close()
