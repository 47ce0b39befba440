"""The account behind a token is held briefly: small requests skip the read, a disabled account is still
cut off at once, here and (through ``account.disabled``) in other processes."""

from __future__ import annotations

from typing import Any

from backend.users.models import Role
from tests.conftest import error_codes
from tests.submissions.helpers import token_for

ME = "{ me { id } }"


async def test_repeated_requests_do_not_read_the_account_again(gql, people, state):
    user = await people.make("dora", Role.evaluator)
    token = token_for(user)
    state.user_service.sessions.ttl = 3600.0  # a slow machine must not see the entry expire between requests
    reads: list[list[str]] = []
    read_accounts = state.users.by_ids

    async def counted(ids: list[str]) -> Any:
        reads.append(list(ids))
        return await read_accounts(ids)

    state.users.by_ids = counted
    assert (await gql(ME, token=token))["data"]["me"]["id"] == user.id
    assert reads == [[user.id]]
    for _ in range(3):
        assert (await gql(ME, token=token))["data"]["me"]["id"] == user.id
    assert reads == [[user.id]]


async def test_a_disabled_account_is_cut_off_at_once(gql, people):
    admin = await people.make("root", Role.admin)
    user = await people.make("erin", Role.evaluator)
    token = token_for(user)
    assert (await gql(ME, token=token))["data"]["me"]["id"] == user.id  # now held
    disabled = await gql.op("SetUserActive", {"userId": user.id, "active": False}, token=token_for(admin))
    assert "errors" not in disabled, disabled
    refused = await gql(ME, token=token)
    assert error_codes(refused) == ["UNAUTHENTICATED"]
    assert refused["errors"][0]["extensions"]["reason"] == "ACCOUNT_DISABLED"
    enabled = await gql.op("SetUserActive", {"userId": user.id, "active": True}, token=token_for(admin))
    assert "errors" not in enabled, enabled
    assert (await gql(ME, token=token))["data"]["me"]["id"] == user.id


async def test_an_account_disabled_by_another_process_is_cut_off_when_its_event_arrives(gql, people, state):
    user = await people.make("fred", Role.evaluator)
    token = token_for(user)
    assert (await gql(ME, token=token))["data"]["me"]["id"] == user.id  # now held
    await state.users.set_active(user.id, False)  # written by another process
    state.broadcaster.hub.notify(f"user:{user.id}", "account.disabled", {"user_id": user.id})
    assert error_codes(await gql(ME, token=token)) == ["UNAUTHENTICATED"]
