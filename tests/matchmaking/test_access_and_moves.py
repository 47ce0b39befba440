"""Who may read a counterpart's recommendations, and who may move a startup to another incubator.

Scores by hand (weights industry 25, stage 15, ticket 15, need 10, tags 10, text 10, roadshow 15; no
descriptions, so no text term):
- Xicheng Fund's view: ChainTrust 25 + 15 + 15 + 10 + 10·(1/3) = 68.33; Brush Creative (culture_tech,
  angel, 500–900, needs funding) 0 + 15 + 15 + 10 + 0 = 40.
- IP Counsel's view (names no industry or stage, serves IP/legal, tag risk, no ticket): ChainTrust
  12.5 + 7.5 + 0 + 10 (IP) + 10·(1/2) = 35; Brush Creative 12.5 + 7.5 + 0 + 0 + 0 = 20.
- Growth Fund (1000–3000): disjoint from both asks (800; 500–900) → nothing to recommend.
"""

from __future__ import annotations

import pytest

from backend.users.models import Role
from cloud_incubator.matchmaking.models import Decision
from cloud_incubator.matchmaking.service import service
from tests.conftest import error_codes


def _view(result: dict) -> list[tuple[str, float]]:
    return [(n["startup"]["nameEn"], round(n["score"], 2)) for n in result["data"]["recommendations"]["nodes"]]


def _forbidden(result: dict) -> bool:
    return error_codes(result) == ["FORBIDDEN"] and result["data"] is None


async def test_a_manager_cannot_read_the_recommendations_of_counterparts_they_do_not_act_for(gql, park):
    manager = await gql.login("mm_manager")
    other = await gql.login("mm_other_manager")
    # An investor with their own account: only that investor (and admins) see whom it is recommended.
    assert _forbidden(await gql.op("Recommendations", {"partyId": park.x}, token=manager))
    assert _forbidden(await gql.op("Recommendations", {"partyId": park.x}, token=other))
    # Profiles another incubator's manager posted: that manager acts for them, nobody else does.
    assert _forbidden(await gql.op("Recommendations", {"partyId": park.provider}, token=other))
    assert _forbidden(await gql.op("Recommendations", {"partyId": park.y}, token=other))
    # ... nor may they read a startup of another incubator.
    assert _forbidden(await gql.op("Recommendations", {"partyId": park.chain}, token=other))


async def test_the_owner_the_creating_manager_and_admins_read_a_counterparts_recommendations(gql, park):
    manager = await gql.login("mm_manager")
    assert _view(await gql.op("Recommendations", {"partyId": park.provider}, token=manager)) == [
        ("ChainTrust", 35.0), ("Brush Creative", 20.0)]
    growth = await gql.op("Recommendations", {"partyId": park.y}, token=manager)
    assert growth["data"]["recommendations"]["totalCount"] == 0
    expected_x = [("ChainTrust", 68.33), ("Brush Creative", 40.0)]
    assert _view(await gql.op("Recommendations", {"partyId": park.x}, token=await gql.login("investor_x"))) == expected_x
    assert _view(await gql.op("Recommendations", {"partyId": park.x}, token=await gql.login("mm_admin"))) == expected_x
    # The manager's own startups, as the page shows them.
    chain = await gql.op("Recommendations", {"partyId": park.chain, "kind": "INVESTOR"}, token=manager)
    assert [n["counterpart"]["nameEn"] for n in chain["data"]["recommendations"]["nodes"]] == [
        "Xicheng Fund", "Culture Fund"]


async def _other_incubator(state) -> str:
    other = await state.users.by_username("mm_other_manager")
    assert other is not None and other.incubator_id
    return other.incubator_id


async def _stored(gql, startup_id: str) -> dict:
    return (await gql.op("StartupProfile", {"id": startup_id}, token=await gql.login("mm_admin")))["data"][
        "startupProfile"]


async def test_a_manager_or_the_startup_cannot_move_it_to_another_incubator_and_nothing_changes(gql, park, state):
    elsewhere = await _other_incubator(state)
    before = await _stored(gql, park.chain)
    for username in ("mm_manager", "chain_user"):
        refused = await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {
            "incubatorId": elsewhere, "teamSize": 3, "description": "moved"}}, token=await gql.login(username))
        assert error_codes(refused) == ["FORBIDDEN"], username
        assert refused["errors"][0]["extensions"]["field"] == "incubatorId"
        assert await _stored(gql, park.chain) == before, username
    user = await state.users.by_username("chain_user")
    assert user is not None and user.incubator_id == park.incubator_id
    # Naming the incubator it is already in is no move: the edit goes through.
    same = await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {
        "incubatorId": park.incubator_id, "teamSize": 12}}, token=await gql.login("mm_manager"))
    assert same["data"]["updateStartupProfile"]["teamSize"] == 12
    assert same["data"]["updateStartupProfile"]["incubatorId"] == park.incubator_id


async def test_an_admin_moves_a_startup_with_its_accounts_and_matches(gql, park, state):
    elsewhere = await _other_incubator(state)
    mm = service(state)
    # An account-less startup matched with Xicheng Fund: its manager is its party until it moves.
    loner = await mm.create_startup(park.manager, {"name_zh": "无账号企业", "name_en": "No Account Co",
                                                   "incubator_id": park.incubator_id, "industry": "fintech"})
    await mm.decide(park.investor_x, loner.id, park.x, Decision.interested)
    match, created = await mm.decide(park.manager, loner.id, park.x, Decision.interested)
    assert created and match is not None
    admin = await gql.login("mm_admin")
    moved = await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {
        "incubatorId": elsewhere, "teamSize": 40}}, token=admin)
    profile = moved["data"]["updateStartupProfile"]
    assert (profile["incubatorId"], profile["teamSize"], profile["askMin"], profile["tags"], profile["needs"]) == (
        elsewhere, 40, 800, ["payments", "risk"], ["FUNDING", "IP"])
    account = await state.users.by_username("chain_user")
    assert account is not None and account.incubator_id == elsewhere  # the account follows its profile
    listed = await gql.op("StartupProfiles", {"incubatorId": elsewhere}, token=admin)
    assert [n["id"] for n in listed["data"]["startupProfiles"]["nodes"]] == [park.chain]
    # Now the other incubator's manager edits it and its former manager may not.
    assert (await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {"teamSize": 41}},
                         token=await gql.login("mm_other_manager")))["data"]["updateStartupProfile"]["teamSize"] == 41
    assert error_codes(await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {"teamSize": 5}},
                                    token=await gql.login("mm_manager"))) == ["FORBIDDEN"]
    # The account-less startup's match goes with it to the new incubator's manager.
    await gql.op("UpdateStartupProfile", {"startupId": loner.id, "input": {"incubatorId": elsewhere}}, token=admin)
    new_manager = await state.users.by_username("mm_other_manager")
    assert new_manager is not None
    assert new_manager.id in await mm.party_user_ids(await mm.repo.match(match.id))
    assert park.manager.id not in await mm.party_user_ids(await mm.repo.match(match.id))
    seen = await gql.op("Matches", token=await gql.login("mm_other_manager"))
    assert [m["id"] for m in seen["data"]["matches"]["nodes"]] == [match.id]
    assert (await gql.op("Matches", token=await gql.login("mm_manager")))["data"]["matches"]["nodes"] == []


async def test_a_refused_move_by_an_admin_stores_nothing(gql, park, state):
    elsewhere = await _other_incubator(state)
    admin = await gql.login("mm_admin")
    before = await _stored(gql, park.chain)
    unknown = await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {
        "incubatorId": "no-such-incubator", "teamSize": 3}}, token=admin)
    assert error_codes(unknown) == ["NOT_FOUND"]
    assert unknown["errors"][0]["extensions"]["field"] == "incubatorId"
    invalid = await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {
        "incubatorId": elsewhere, "teamSize": 0}}, token=admin)
    assert error_codes(invalid) == ["BAD_USER_INPUT"]
    assert [e["extensions"]["field"] for e in invalid["errors"]] == ["teamSize"]
    assert await _stored(gql, park.chain) == before
    account = await state.users.by_username("chain_user")
    assert account is not None and account.incubator_id == park.incubator_id


async def test_a_managers_edit_is_refused_when_the_startup_moved_after_it_was_read(gql, park, state, monkeypatch):
    """The manager's rights are checked on the profile as read; the write is conditional on the startup
    still being in that incubator, so a move in between makes the edit a CONFLICT, not a foreign edit."""
    elsewhere = await _other_incubator(state)
    mm = service(state)
    read = mm.startup

    async def read_then_moved(startup_id: str):
        found = await read(startup_id)
        await state.db["startups"].update_one({"_id": startup_id}, {"$set": {"incubator_id": elsewhere}})
        return found

    monkeypatch.setattr(mm, "startup", read_then_moved)
    result = await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {"teamSize": 7}},
                          token=await gql.login("mm_manager"))
    assert error_codes(result) == ["CONFLICT"]
    monkeypatch.undo()
    stored = await _stored(gql, park.chain)
    assert (stored["incubatorId"], stored["teamSize"]) == (elsewhere, None)


@pytest.mark.parametrize("role", [Role.evaluator, Role.ip_advisor])
async def test_roles_outside_matchmaking_cannot_read_recommendations(gql, park, people, role):
    await people.make(f"mm_{role.value}", role)
    result = await gql.op("Recommendations", {"partyId": park.y}, token=await gql.login(f"mm_{role.value}"))
    assert error_codes(result) == ["FORBIDDEN"]
