"""Login, tokens, roles: who may do what, and the codes denials carry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from backend.errors import Conflict
from backend.security import issue_token
from backend.users.models import Role
from tests.conftest import JWT_SECRET, TEST_PASSWORD, error_codes, operation


async def test_login_returns_a_token_that_me_accepts(gql, people):
    await people.make("alice", Role.evaluator, display_name="Alice")
    token = await gql.login("alice")
    result = await gql.op("Me", token=token)
    assert result["data"]["me"]["username"] == "alice"
    assert result["data"]["me"]["role"] == "EVALUATOR"


async def test_login_with_wrong_password_is_unauthenticated(gql, people):
    await people.make("bob", Role.evaluator)
    result = await gql.op("Login", {"username": "bob", "password": "wrong-password"})
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result["data"] is None
    unknown = await gql.op("Login", {"username": "nobody", "password": TEST_PASSWORD})
    assert error_codes(unknown) == ["UNAUTHENTICATED"]
    assert unknown["errors"][0]["message"] == result["errors"][0]["message"]


async def test_me_without_token_is_unauthenticated(gql):
    assert error_codes(await gql.op("Me")) == ["UNAUTHENTICATED"]


async def test_expired_token_is_refused_with_its_reason(gql, people):
    user = await people.make("carol", Role.evaluator)
    token, _ = issue_token(user.id, "evaluator", JWT_SECRET, timedelta(minutes=5),
                           now=datetime.now(UTC) - timedelta(hours=1))
    result = await gql.op("Me", token=token)
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result["errors"][0]["extensions"]["reason"] == "TOKEN_EXPIRED"


async def test_forged_token_is_refused(gql, people):
    user = await people.make("dave", Role.admin)
    forged = jwt.encode({"sub": user.id, "role": "admin", "iss": "incubench",
                         "iat": datetime.now(UTC), "exp": datetime.now(UTC) + timedelta(hours=1)},
                        "not-the-server-secret-" + "y" * 20, algorithm="HS256")
    result = await gql.op("Me", token=forged)
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result["errors"][0]["extensions"]["reason"] == "TOKEN_INVALID"
    unsigned = jwt.encode({"sub": user.id, "iss": "incubench", "iat": 0, "exp": 9_999_999_999}, None,
                          algorithm="none")
    assert error_codes(await gql.op("Me", token=unsigned)) == ["UNAUTHENTICATED"]


async def test_brute_force_login_is_rate_limited_per_account(gql, people, state):
    await people.make("erin", Role.evaluator)
    limit = state.settings.login_attempts_per_account
    for _ in range(limit):
        assert error_codes(await gql.op("Login", {"username": "erin", "password": "guess-guess"})) == ["UNAUTHENTICATED"]
    blocked = await gql.op("Login", {"username": "erin", "password": TEST_PASSWORD})
    assert error_codes(blocked) == ["RATE_LIMITED"]


async def test_brute_force_login_is_rate_limited_per_address(gql, people, state):
    state.settings.login_attempts_per_address = limit = 6  # fewer argon2 checks than the default 20
    for number in range(limit):
        await gql.op("Login", {"username": f"spray{number}", "password": "guess-guess"})
    result = await gql.op("Login", {"username": "another", "password": "guess-guess"})
    assert error_codes(result) == ["RATE_LIMITED"]


async def test_per_address_limit_counts_failures_not_successes(gql, people, state):
    """An incubator's staff share an office address: their successful sign-ins must not lock it. Only
    failures count, and attempts in flight count as failures, so a burst cannot slip past the limit."""
    state.settings.login_attempts_per_address = limit = 3
    await people.make("staffer", Role.evaluator)
    for _ in range(limit + 3):
        assert "errors" not in await gql.op("Login", {"username": "staffer", "password": TEST_PASSWORD})
    burst = await asyncio.gather(*(gql.op("Login", {"username": f"spray{n}", "password": "guess-guess"})
                                   for n in range(limit + 5)))
    codes = sorted(error_codes(result)[0] for result in burst)
    assert codes == ["RATE_LIMITED"] * 5 + ["UNAUTHENTICATED"] * limit
    blocked = await gql.op("Login", {"username": "staffer", "password": TEST_PASSWORD})
    assert error_codes(blocked) == ["RATE_LIMITED"]


async def test_only_admins_create_users(gql, people):
    await people.make("root", Role.admin)
    await people.make("eve", Role.evaluator)
    new_user = {"username": "frank", "displayName": "Frank", "role": "INVESTOR", "password": "long-enough-1"}
    denied = await gql.op("CreateUser", {"input": new_user}, token=await gql.login("eve"))
    assert error_codes(denied) == ["FORBIDDEN"]
    created = await gql.op("CreateUser", {"input": new_user}, token=await gql.login("root"))
    assert created["data"]["createUser"]["username"] == "frank"
    assert await gql.login("frank", "long-enough-1")


async def test_create_user_reports_every_bad_field_and_stores_nothing(gql, people, state):
    await people.make("root", Role.admin)
    token = await gql.login("root")
    before = await state.db.users.count_documents({})
    result = await gql.op("CreateUser", {"input": {"username": "X", "displayName": " ", "role": "MANAGER",
                                                   "password": "short"}}, token=token)
    fields = sorted(e["extensions"]["field"] for e in result["errors"])
    assert set(error_codes(result)) == {"BAD_USER_INPUT"}
    assert fields == ["displayName", "incubatorId", "password", "username"]
    assert all(e["extensions"]["message_zh"] and e["extensions"]["message_en"] for e in result["errors"])
    assert await state.db.users.count_documents({}) == before


async def test_create_user_with_taken_username_is_a_conflict(gql, people, state):
    await people.make("root", Role.admin)
    token = await gql.login("root")
    payload = {"username": "root", "displayName": "Again", "role": "ADMIN", "password": "long-enough-1"}
    result = await gql.op("CreateUser", {"input": payload}, token=token)
    assert error_codes(result) == ["CONFLICT"]
    assert result["errors"][0]["extensions"]["field"] == "username"
    assert await state.db.users.count_documents({"username": "root"}) == 1


async def test_manager_and_startup_bindings_are_checked(gql, people):
    await people.make("root", Role.admin)
    token = await gql.login("root")
    result = await gql.op("CreateUser", {"input": {"username": "mgr", "displayName": "M", "role": "MANAGER",
                                                   "password": "long-enough-1", "incubatorId": "missing"}},
                          token=token)
    assert [e["extensions"]["field"] for e in result["errors"]] == ["incubatorId"]
    result = await gql.op("CreateUser", {"input": {"username": "supa", "displayName": "S", "role": "STARTUP",
                                                   "password": "long-enough-1"}}, token=token)
    assert [e["extensions"]["field"] for e in result["errors"]] == ["startupId"]


async def test_users_list_is_admin_only_and_paginated(gql, people):
    await people.make("root", Role.admin)
    for number in range(5):
        await people.make(f"inv{number}", Role.investor)
    token = await gql.login("root")
    first = await gql.op("Users", {"role": "INVESTOR", "first": 3}, token=token)
    page = first["data"]["users"]
    assert [u["username"] for u in page["nodes"]] == ["inv0", "inv1", "inv2"] and page["hasNextPage"]
    second = await gql.op("Users", {"role": "INVESTOR", "first": 3, "after": page["endCursor"]}, token=token)
    assert [u["username"] for u in second["data"]["users"]["nodes"]] == ["inv3", "inv4"]
    assert not second["data"]["users"]["hasNextPage"]
    investor_token = await gql.login("inv0")
    assert error_codes(await gql.op("Users", token=investor_token)) == ["FORBIDDEN"]


async def test_unexpected_errors_are_masked_with_a_request_id(gql, people, state, monkeypatch):
    await people.make("root", Role.admin)
    token = await gql.login("root")

    async def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(state.users, "list", broken)
    result = await gql.op("Users", token=token)
    assert error_codes(result) == ["INTERNAL"]
    assert "secret" not in str(result)
    assert result["errors"][0]["extensions"]["requestId"]


async def test_query_depth_and_alias_limits(gql, people):
    await people.make("root", Role.admin)
    token = await gql.login("root")
    aliases = " ".join(f"a{i}: me {{ id }}" for i in range(60))
    result = await gql(f"query {{ {aliases} }}", token=token)
    assert result.get("errors") and result.get("data") is None
    huge = "query { " + " ".join(f"b{i}: __typename" for i in range(7000)) + " }"
    result = await gql(huge, token=token)
    assert result.get("errors")


async def test_graphiql_is_served_and_queries_over_get_are_refused(client):
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    over_get = await client.get("/graphql", params={"query": "{ me { id } }"}, headers={"Accept": "application/json"})
    assert over_get.status_code in (400, 405)


async def test_healthz_reports_the_database(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "up"
    assert response.headers["x-request-id"]


async def test_a_startup_account_is_bound_to_its_profiles_incubator(gql, people, state):
    await people.make("root", Role.admin)
    token = await gql.login("root")
    home = await people.incubator("Home Incubator")
    elsewhere = await people.incubator("Elsewhere Incubator")
    profile = await state.startups.insert({"_id": "s-bound", "name_zh": "初创", "name_en": "Bound Startup",
                                           "incubator_id": home, "industry": "fintech"})
    base = {"displayName": "S", "role": "STARTUP", "password": "long-enough-1", "startupId": profile.id}
    wrong = await gql.op("CreateUser", {"input": {**base, "username": "wrong", "incubatorId": elsewhere}},
                         token=token)
    assert [e["extensions"]["field"] for e in wrong["errors"]] == ["incubatorId"]
    assert await state.db.users.count_documents({"username": "wrong"}) == 0
    made = await gql.op("CreateUser", {"input": {**base, "username": "bound"}}, token=token)
    assert made["data"]["createUser"]["incubatorId"] == home


async def test_two_admins_disabling_each_other_at_once_cannot_lock_the_park_out(gql, people, state):
    """Each request passed its own token check before the other's write landed: the second disabling
    would leave no active admin (only a shell with `incubench create-user` could get back in)."""
    first = await people.make("admin-a", Role.admin)
    second = await people.make("admin-b", Role.admin)
    evaluator = await people.make("eval-x", Role.evaluator)
    disabled = await state.user_service.set_active(first, second.id, False)
    assert disabled.active is False
    with pytest.raises(Conflict) as refused:
        await state.user_service.set_active(second, first.id, False)  # `second` as its request saw itself
    assert (refused.value.field, refused.value.details) == ("userId", {"reason": "LAST_ADMIN"})
    assert [u.active for u in await state.users.by_ids([first.id, second.id])] == [True, False]
    assert (await state.user_service.set_active(first, evaluator.id, False)).active is False  # others still go
    token = (await gql.login("admin-a"))
    assert error_codes(await gql.op("SetUserActive", {"userId": first.id, "active": False}, token=token)) \
        == ["BAD_USER_INPUT"]


async def test_concurrent_mutual_disabling_leaves_an_active_admin(gql, people, state):
    first = await people.make("admin-c", Role.admin)
    second = await people.make("admin-d", Role.admin)
    a, b = await gql.login("admin-c"), await gql.login("admin-d")
    await asyncio.gather(gql.op("SetUserActive", {"userId": second.id, "active": False}, token=a),
                         gql.op("SetUserActive", {"userId": first.id, "active": False}, token=b))
    assert any(u.active for u in await state.users.by_ids([first.id, second.id]))


async def _login_from(client, forwarded_for: str, username: str = "nobody") -> list[str]:
    response = await client.post("/graphql", headers={"X-Forwarded-For": forwarded_for}, json={
        "query": operation("Login"), "operationName": "Login",
        "variables": {"username": username, "password": "guess-guess"}})
    return error_codes(response.json())


async def test_behind_a_trusted_reverse_proxy_the_address_limit_counts_each_client(client, state):
    """Behind a proxy every request comes from the proxy's address: counted there, a few strangers' typos
    would lock the whole park out of signing in. From a trusted proxy (here the test client's 127.0.0.1)
    the client is the rightmost X-Forwarded-For entry the proxy did not itself add."""
    state.settings.login_attempts_per_address = limit = 3
    state.settings.trusted_proxies = ["127.0.0.0/8"]
    for n in range(limit):
        assert await _login_from(client, "203.0.113.7", f"spray{n}") == ["UNAUTHENTICATED"]
    assert await _login_from(client, "203.0.113.7") == ["RATE_LIMITED"]
    # a client cannot escape by sending its own X-Forwarded-For: the proxy appends the real address
    assert await _login_from(client, "198.51.100.1, 203.0.113.7") == ["RATE_LIMITED"]
    assert await _login_from(client, "203.0.113.7, 127.0.0.1") == ["RATE_LIMITED"]  # two trusted hops
    assert await _login_from(client, "203.0.113.8") == ["UNAUTHENTICATED"]  # other clients are not blocked


async def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, state):
    state.settings.login_attempts_per_address = limit = 3
    for n in range(limit):
        assert await _login_from(client, f"203.0.113.{n}", f"spray{n}") == ["UNAUTHENTICATED"]
    assert await _login_from(client, "203.0.113.99") == ["RATE_LIMITED"]
