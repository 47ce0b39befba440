"""Admins find accounts by part of a username, display name or organisation (any case, Chinese too),
optionally of one role, paged; accounts stored before search existed are found after a restart."""

from __future__ import annotations

from backend.users.models import Role
from tests.conftest import error_codes


async def _names(gql, token: str, **variables) -> tuple[list[str], dict]:
    result = await gql.op("AdminUsers", variables, token)
    assert "errors" not in result, result
    users = result["data"]["users"]
    return [u["username"] for u in users["nodes"]], users


async def test_search_by_name_role_and_organisation(gql, people) -> None:
    await people.make("root", Role.admin)
    await people.make("wang-mgr", Role.manager, display_name="主持人小王", incubator_id=await people.incubator())
    await people.make("wang-inv", Role.investor, display_name="Wang Lei", organisation="Xicheng Fund")
    await people.make("li-inv", Role.investor, display_name="李明", organisation="Haidian Angels")
    token = await gql.login("root")

    assert (await _names(gql, token, search="小王"))[0] == ["wang-mgr"]          # inside a Chinese name
    assert (await _names(gql, token, search="王"))[0] == ["wang-mgr"]
    assert (await _names(gql, token, search="WANG"))[0] == ["wang-inv", "wang-mgr"]  # username or name, any case
    assert (await _names(gql, token, search="wang", role="INVESTOR"))[0] == ["wang-inv"]
    assert (await _names(gql, token, search="cheng fu"))[0] == ["wang-inv"]     # across words of the organisation
    assert (await _names(gql, token, search="angels"))[0] == ["li-inv"]
    assert (await _names(gql, token, search="nobody"))[0] == []
    assert (await _names(gql, token, search="   "))[0] == ["li-inv", "root", "wang-inv", "wang-mgr"]  # blank: all

    # paged like the plain list
    first, page = await _names(gql, token, search="inv", first=1)
    assert first == ["li-inv"] and page["hasNextPage"]
    second, page = await _names(gql, token, search="inv", first=1, after=page["endCursor"])
    assert second == ["wang-inv"] and not page["hasNextPage"]

    too_long = await gql.op("AdminUsers", {"search": "x" * 51}, token)
    assert error_codes(too_long) == ["BAD_USER_INPUT"]
    assert too_long["errors"][0]["extensions"]["field"] == "search"
    assert "50" in too_long["errors"][0]["extensions"]["message_zh"]
    investor = await gql.login("li-inv")
    assert error_codes(await gql.op("AdminUsers", {"search": "wang"}, investor)) == ["FORBIDDEN"]


async def test_accounts_stored_before_search_get_their_keys(state, people) -> None:
    from backend.users.repository import UserRepository

    await people.make("old-timer", Role.evaluator, display_name="张评审")
    collection = state.db["users"]
    await collection.update_one({"username": "old-timer"}, {"$unset": {"search_keys": ""}})
    repo = UserRepository(state.db)
    assert await repo.search("张", None, None, 10) == []
    assert await repo.add_missing_search_keys() == 1
    assert [u.username for u in await repo.search("评审", None, None, 10)] == ["old-timer"]
    assert await repo.add_missing_search_keys() == 0
