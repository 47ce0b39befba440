"""Finding 10: a password policy against common and breached passwords; sign-in throttling per address
and per (account, address) with a progressive delay per account, shared by every app process, that a
stranger cannot turn into someone else's lock-out; an admin unlocks and resets, forcing a new password."""

from __future__ import annotations

import time

import httpx
import pytest

from backend.users.models import Role
from backend.users.passwords import password_issues
from tests.conftest import TEST_PASSWORD, operation
from tests.edge.test_database_faults import _serve

STRANGER, OWNER = "203.0.113.7", "198.51.100.2"


@pytest.mark.parametrize("weak", ["12345678", "password", "Passw0rd!", "qwertyuiop", "incubench2026", "iloveyou1"])
def test_common_and_breached_passwords_are_refused(weak):
    issues = password_issues(weak, names=("alice",))
    assert [i.field for i in issues] == ["password"] and issues[0].message_zh


def test_a_long_uncommon_password_and_the_length_bounds():
    assert password_issues("violet-harbour-tangent-42") == []
    assert "at least 8" in password_issues("Ab1!")[0].message_en
    assert "at most 128" in password_issues("x" * 129)[0].message_en


async def test_create_user_refuses_a_weak_password_with_a_coded_field_error(gql, people):
    await people.make("root", Role.admin)
    token = await gql.login("root")
    result = await gql.op("CreateUser", {"input": {"username": "weak", "displayName": "Weak", "role": "INVESTOR",
                                                    "password": "password1"}}, token=token)
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in result["errors"]] == \
        [("BAD_USER_INPUT", "password")]


def test_the_delay_grows_with_failures_against_the_account():
    """By hand with the defaults (5 free failures, 10 s at most): 4 → 0, 5 → 0.5, 6 → 1, 7 → 2, 9 → 8,
    10 → 16 capped to 10."""
    from backend.settings import Settings
    from backend.users.service import UserService

    service = UserService(None, None, None, Settings(env="test"), None)  # type: ignore[arg-type]
    assert [service.delay_after(n) for n in (0, 4, 5, 6, 7, 9, 10, 30)] == [0, 0, 0.5, 1, 2, 8, 10, 10]


@pytest.fixture
def proxied(settings):
    """Two app processes behind a trusted proxy on one database: X-Forwarded-For names the client."""
    shared = settings.model_copy(update={"trusted_proxies": ["127.0.0.1/32"], "login_max_delay_seconds": 2.0})
    servers = [_serve(shared), _serve(shared)]
    yield servers
    for server in servers:
        server.stop()


async def _login(http, server, username, password, address, new_password=None):
    variables = {"username": username, "password": password}
    if new_password is not None:
        variables["newPassword"] = new_password
    response = await http.post(f"{server.http_url}/graphql", headers={"X-Forwarded-For": address},
                               json={"query": operation("Login"), "variables": variables})
    body = response.json()
    return [e["extensions"]["code"] for e in body.get("errors", [])] or body["data"]["login"]["token"]


async def test_a_stranger_cannot_lock_a_manager_out_and_the_counts_are_shared(proxied, make_admin_and_manager):
    first, second = proxied
    async with httpx.AsyncClient(timeout=60) as http:
        codes = [await _login(http, (first, second)[n % 2], "mgr", "guess-guess-guess", STRANGER) for n in range(8)]
        # Five failures per (account, address), counted across both processes; then refused unchecked.
        assert codes == [["UNAUTHENTICATED"]] * 5 + [["RATE_LIMITED"]] * 3
        assert (await _login(http, first, "mgr", TEST_PASSWORD, STRANGER)) == ["RATE_LIMITED"]
        started = time.monotonic()
        token = await _login(http, second, "mgr", TEST_PASSWORD, OWNER)
        assert isinstance(token, str)  # the manager, from their own address, still signs in (after a delay)
        assert time.monotonic() - started < 30


async def test_an_admin_unlocks_and_resets_forcing_a_new_password(proxied, make_admin_and_manager):
    first, _ = proxied
    admin_token, manager_id = make_admin_and_manager
    async with httpx.AsyncClient(timeout=60) as http:
        for _ in range(5):
            await _login(http, first, "mgr", "guess-guess-guess", OWNER)
        assert (await _login(http, first, "mgr", TEST_PASSWORD, OWNER)) == ["RATE_LIMITED"]
        headers = {"Authorization": f"Bearer {admin_token}"}

        async def admin(name, variables):
            response = await http.post(f"{first.http_url}/graphql", headers=headers,
                                       json={"query": operation(name), "variables": variables})
            return response.json()

        assert "errors" not in await admin("UnlockAccount", {"userId": manager_id})
        assert isinstance(await _login(http, first, "mgr", TEST_PASSWORD, OWNER), str)
        weak = await admin("ResetPassword", {"userId": manager_id, "temporaryPassword": "12345678"})
        assert weak["errors"][0]["extensions"]["field"] == "temporaryPassword"
        assert "errors" not in await admin("ResetPassword", {"userId": manager_id,
                                                             "temporaryPassword": "tangerine-quartz-77"})
        assert (await _login(http, first, "mgr", TEST_PASSWORD, OWNER)) == ["UNAUTHENTICATED"]
        assert (await _login(http, first, "mgr", "tangerine-quartz-77", OWNER)) == ["PASSWORD_CHANGE_REQUIRED"]
        assert (await _login(http, first, "mgr", "tangerine-quartz-77", OWNER, "password")) == ["BAD_USER_INPUT"]
        token = await _login(http, first, "mgr", "tangerine-quartz-77", OWNER, "lantern-meadow-copper-9")
        assert isinstance(token, str)
        assert isinstance(await _login(http, first, "mgr", "lantern-meadow-copper-9", OWNER), str)
        assert (await _login(http, first, "mgr", "tangerine-quartz-77", OWNER)) == ["UNAUTHENTICATED"]


@pytest.fixture
def make_admin_and_manager(proxied, test_password_hash):
    from backend.users.models import NewUser
    from tests.submissions.helpers import token_for

    server = proxied[0]
    state = server.state

    async def make():
        from datetime import date

        incubator = await state.incubator_service.create({
            "name_zh": "孵", "name_en": "Inc", "kind": "incubator", "accreditation": "municipal",
            "sub_area": "desheng", "industries": ["fintech"], "founded_on": date(2015, 1, 1),
            "floor_area": 9000.0, "operator": "op"})
        admin = await state.user_service.create_user(NewUser(username="root", display_name="Root", role=Role.admin,
                                                             password=TEST_PASSWORD), password_hash=test_password_hash)
        manager = await state.user_service.create_user(NewUser(
            username="mgr", display_name="Manager", role=Role.manager, password=TEST_PASSWORD,
            incubator_id=incubator.id), password_hash=test_password_hash)
        return token_for(admin), manager.id

    return server.run_coroutine(make())


async def test_sign_in_counts_expire_with_their_window(gql, people, state):
    """A spray from many addresses leaves one small document per address and window, each expiring (TTL
    index) one window after its own window ends, so nothing is kept for ever."""
    for n in range(3):
        await gql.op("Login", {"username": f"spray{n}", "password": "guess-guess"})
    indexes = {i["name"]: i async for i in await state.db["edge_counters"].list_indexes()}
    assert indexes["expires_at_ttl"]["expireAfterSeconds"] == 0
    window = state.settings.login_window_seconds
    async for document in state.db["edge_counters"].find({}):
        start = int(document["_id"].rsplit("|", 1)[1])
        size = state.settings.request_window_seconds if document["_id"].startswith("req:") else window
        assert document["expires_at"].timestamp() == start + 2 * size
