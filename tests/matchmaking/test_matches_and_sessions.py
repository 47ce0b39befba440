"""Interest → match, declines, signed cooperations and sessions over GraphQL.

Session by hand (no roadshow leads; weights as in test_profiles_and_recommendations):
ChainTrust: Xicheng Fund 68.33, IP Counsel 35, Culture Fund 32.5.
Brush Creative: Culture Fund 25 + 7.5 + 7.5 (600–1200 holds part of 500–900) + 10 = 50; Xicheng Fund 40;
IP Counsel 12.5 + 7.5 = 20 (it needs no IP).
Two slots; startups up to 2 meetings, counterparts 1. Each counterpart meets one startup:
Xicheng→Chain 68.33 + Culture→Brush 50 + IP→Chain 35 = 153.33 beats every other choice
(e.g. Xicheng→Brush 40 + Culture→Chain 32.5 + IP→Chain 35 = 107.5), and Chain's two meetings fit the two slots.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from backend.users.models import Role
from cloud_incubator.matchmaking.models import Decision
from cloud_incubator.matchmaking.service import park_date, quarter_of, service, signed_cooperation_counts
from tests.conftest import error_codes


async def test_mutual_interest_creates_one_match_then_listed_for_both(gql, park):
    chain_token = await gql.login("chain_user")
    x_token = await gql.login("investor_x")
    first = await gql.op("DecideOnMatch", {"startupId": park.chain, "counterpartId": park.x,
                                           "decision": "INTERESTED"}, token=chain_token)
    assert first["data"]["decideOnMatch"] == {"matchCreated": False, "match": None}
    seen = await gql.op("Recommendations", {"partyId": park.x}, token=x_token)
    chain_row = seen["data"]["recommendations"]["nodes"][0]
    assert chain_row["theirDecision"] == "INTERESTED" and chain_row["myDecision"] is None
    second = await gql.op("DecideOnMatch", {"startupId": park.chain, "counterpartId": park.x,
                                            "decision": "INTERESTED"}, token=x_token)
    result = second["data"]["decideOnMatch"]
    assert result["matchCreated"] is True
    assert result["match"]["score"] == pytest.approx(68.33, abs=0.01)
    again = await gql.op("DecideOnMatch", {"startupId": park.chain, "counterpartId": park.x,
                                           "decision": "INTERESTED"}, token=x_token)
    assert again["data"]["decideOnMatch"]["matchCreated"] is False
    assert again["data"]["decideOnMatch"]["match"]["id"] == result["match"]["id"]
    for token in (chain_token, x_token):
        listed = await gql.op("Matches", token=token)
        assert [m["id"] for m in listed["data"]["matches"]["nodes"]] == [result["match"]["id"]]
    assert (await gql.op("Matches", token=await gql.login("brush_user")))["data"]["matches"]["nodes"] == []


async def test_only_the_parties_decide(gql, park):
    for username in ("brush_user", "investor_w", "mm_other_manager"):
        denied = await gql.op("DecideOnMatch", {"startupId": park.chain, "counterpartId": park.x,
                                                "decision": "INTERESTED"}, token=await gql.login(username))
        assert error_codes(denied) == ["FORBIDDEN"], username
    missing = await gql.op("DecideOnMatch", {"startupId": park.chain, "counterpartId": "nope",
                                             "decision": "INTERESTED"}, token=await gql.login("chain_user"))
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_a_decline_removes_the_pair_from_both_sides_recommendations(gql, park):
    declined = await gql.op("DecideOnMatch", {"startupId": park.brush, "counterpartId": park.x,
                                              "decision": "DECLINED"}, token=await gql.login("brush_user"))
    assert declined["data"]["decideOnMatch"]["match"] is None
    x_view = await gql.op("Recommendations", {"partyId": park.x}, token=await gql.login("investor_x"))
    assert [n["startup"]["nameEn"] for n in x_view["data"]["recommendations"]["nodes"]] == ["ChainTrust"]
    brush_view = await gql.op("Recommendations", {"partyId": park.brush, "kind": "INVESTOR"},
                              token=await gql.login("brush_user"))
    assert "Xicheng Fund" not in [n["counterpart"]["nameEn"] for n in brush_view["data"]["recommendations"]["nodes"]]


async def test_simultaneous_mutual_interest_creates_exactly_one_match(state, park, people):
    mm = service(state)
    startups = []
    for number in range(6):
        startup = await mm.create_startup(park.admin, {"name_zh": f"企业{number}", "name_en": f"Co {number}",
                                                       "incubator_id": park.incubator_id, "industry": "fintech"})
        user = await people.make(f"race_user_{number}", Role.startup, startup_id=startup.id,
                                 incubator_id=park.incubator_id)
        startups.append((startup, user))
    results = await asyncio.gather(*[coro for startup, user in startups for coro in (
        mm.decide(user, startup.id, park.x, Decision.interested),
        mm.decide(park.investor_x, startup.id, park.x, Decision.interested))])
    for number in range(6):
        pair = results[2 * number: 2 * number + 2]
        assert sum(created for _, created in pair) == 1
        ids = {m.id for m, _ in pair if m is not None}
        assert len(ids) == 1
    count = await state.db["mm_matches"].count_documents({"counterpart_id": park.x})
    assert count == 6


async def test_signed_cooperation_is_validated_and_counted_per_quarter(gql, park, state):
    mm = service(state)
    await mm.decide(park.chain_user, park.chain, park.x, Decision.interested)
    match, _ = await mm.decide(park.investor_x, park.chain, park.x, Decision.interested)
    today = park_date(datetime.now(UTC))
    token = await gql.login("chain_user")
    bad = await gql.op("RecordCooperation", {"input": {"matchId": match.id, "type": "INVESTMENT",
                                                       "signedOn": str(today - timedelta(days=3))}}, token=token)
    assert {e["extensions"]["field"] for e in bad["errors"]} == {"amount", "signedOn"}
    future = await gql.op("RecordCooperation", {"input": {"matchId": match.id, "type": "SERVICE",
                                                          "signedOn": str(today + timedelta(days=1))}}, token=token)
    assert [e["extensions"]["field"] for e in future["errors"]] == ["signedOn"]
    outsider = await gql.op("RecordCooperation", {"input": {"matchId": match.id, "type": "SERVICE",
                                                            "signedOn": str(today)}},
                            token=await gql.login("brush_user"))
    assert error_codes(outsider) == ["FORBIDDEN"]
    signed = await gql.op("RecordCooperation", {"input": {"matchId": match.id, "type": "INVESTMENT",
                                                          "amount": 800, "signedOn": str(today)}}, token=token)
    assert signed["data"]["recordCooperation"]["quarter"] == quarter_of(today)
    await gql.op("RecordCooperation", {"input": {"matchId": match.id, "type": "SUPPLY_CHAIN",
                                                 "signedOn": str(today), "note": "联合解决方案"}},
                 token=await gql.login("investor_x"))
    # what the evaluation's investment and supply-chain indicators count
    counts = await signed_cooperation_counts(state, [park.incubator_id], [quarter_of(today), "2001Q1"])
    assert counts == {park.incubator_id: {quarter_of(today): {"platform_investment_deals": 1.0,
                                                              "platform_supply_chain_deals": 1.0}}}
    assert quarter_of(date(2026, 5, 12)) == "2026Q2"
    listed = await gql.op("Matches", token=token)
    assert sorted((c["type"], c["amount"]) for c in listed["data"]["matches"]["nodes"][0]["cooperations"]) == [
        ("INVESTMENT", 800.0), ("SUPPLY_CHAIN", None)]



async def test_the_same_signing_recorded_twice_is_stored_once(gql, park, state):
    """A double submit, or both parties recording the same signing (same type, amount and date), even at
    the same moment, must not count twice in the evaluation's indicators: one is stored, the other is a
    CONFLICT. Another type the same day is a separate cooperation."""
    mm = service(state)
    await mm.decide(park.chain_user, park.chain, park.x, Decision.interested)
    match, _ = await mm.decide(park.investor_x, park.chain, park.x, Decision.interested)
    today = str(park_date(datetime.now(UTC)))
    signing = {"matchId": match.id, "type": "INVESTMENT", "amount": 800, "signedOn": today}
    tokens = [await gql.login("chain_user"), await gql.login("investor_x")]
    results = await asyncio.gather(*(gql.op("RecordCooperation", {"input": signing}, token=t) for t in tokens))
    assert sorted(error_codes(r) for r in results) == [[], ["CONFLICT"]]
    again = await gql.op("RecordCooperation", {"input": signing}, token=tokens[0])
    assert error_codes(again) == ["CONFLICT"]
    other = await gql.op("RecordCooperation", {"input": {**signing, "type": "SERVICE", "amount": None}},
                         token=tokens[0])
    assert "errors" not in other, other
    quarter = quarter_of(park_date(datetime.now(UTC)))
    counts = await signed_cooperation_counts(state, [park.incubator_id], [quarter])
    assert counts[park.incubator_id][quarter]["platform_investment_deals"] == 1.0
    listed = await gql.op("Matches", token=tokens[0])
    assert sorted((c["type"], c["amount"]) for c in listed["data"]["matches"]["nodes"][0]["cooperations"]) == [
        ("INVESTMENT", 800.0), ("SERVICE", None)]


def _session_input(park, **overrides):
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    value = {"title": "金融科技对接会 Fintech matchmaking", "meetingMinutes": 20,
             "slots": [start.isoformat(), (start + timedelta(minutes=30)).isoformat()],
             "startups": [{"partyId": park.chain}, {"partyId": park.brush}],
             "counterparts": [{"partyId": park.x}, {"partyId": park.w}, {"partyId": park.provider}],
             "startupCapacity": 2, "counterpartCapacity": 1}
    value.update(overrides)
    return value


async def test_session_is_validated(gql, park):
    token = await gql.login("mm_manager")
    bad = _session_input(park, title="", meetingMinutes=2,
                         slots=["2026-06-01T10:00:00+00:00", "2026-06-01T09:00:00+00:00"],
                         startups=[{"partyId": park.chain}, {"partyId": park.chain}])
    result = await gql.op("CreateMatchmakingSession", {"input": bad}, token=token)
    assert {e["extensions"]["field"] for e in result["errors"]} == {"title", "meetingMinutes", "slots", "startups"}
    unknown = await gql.op("CreateMatchmakingSession", {"input": _session_input(
        park, counterparts=[{"partyId": "nope"}])}, token=token)
    assert [e["extensions"]["field"] for e in unknown["errors"]] == ["counterparts"]
    denied = await gql.op("CreateMatchmakingSession", {"input": _session_input(park)},
                          token=await gql.login("chain_user"))
    assert error_codes(denied) == ["FORBIDDEN"]


async def test_session_assignment_is_optimal_and_organiser_can_lock_and_swap(gql, park):
    token = await gql.login("mm_manager")
    created = await gql.op("CreateMatchmakingSession", {"input": _session_input(park)}, token=token)
    session_id = created["data"]["createMatchmakingSession"]["id"]
    assigned = (await gql.op("AssignMatchmakingSession", {"sessionId": session_id}, token=token))[
        "data"]["assignMatchmakingSession"]
    pairs = sorted((m["startupId"], m["counterpartId"]) for m in assigned["meetings"])
    assert pairs == sorted([(park.chain, park.x), (park.brush, park.w), (park.chain, park.provider)])
    assert assigned["totalScore"] == pytest.approx(153.33, abs=0.01)
    assert assigned["optimal"] is True
    by_pair = {(m["startupId"], m["counterpartId"]): m for m in assigned["meetings"]}
    chain_x, chain_p = by_pair[(park.chain, park.x)], by_pair[(park.chain, park.provider)]
    assert {chain_x["slot"], chain_p["slot"]} == {0, 1}
    assert chain_x["endsAt"] == (datetime.fromisoformat(chain_x["startsAt"]) + timedelta(minutes=20)).isoformat()

    swapped = (await gql.op("SwapSessionMeetings", {"sessionId": session_id, "meetingA": chain_x["id"],
                                                    "meetingB": chain_p["id"]}, token=token))["data"]["swapSessionMeetings"]
    after = {m["id"]: m for m in swapped["meetings"]}
    assert after[chain_x["id"]]["slot"] == chain_p["slot"] and after[chain_p["id"]]["slot"] == chain_x["slot"]
    assert after[chain_x["id"]]["locked"] and after[chain_p["id"]]["locked"]

    brush_w = by_pair[(park.brush, park.w)]
    if after[chain_x["id"]]["slot"] != brush_w["slot"]:
        other = chain_x["id"]
    else:
        other = chain_p["id"]
    # Moving Brush's meeting into the slot of one of Chain's meetings is fine for Brush, but then the
    # Chain meeting moves into Brush's slot, where Chain already has its other meeting → double-booked.
    conflict = await gql.op("SwapSessionMeetings", {"sessionId": session_id, "meetingA": brush_w["id"],
                                                    "meetingB": other}, token=token)
    assert error_codes(conflict) == ["BAD_USER_INPUT"]
    # by name, slots counted from 1, in both languages (not party ids and 0-based slots)
    slot = brush_w["slot"] + 1
    assert f"ChainTrust would have two meetings in slot {slot}" in conflict["errors"][0]["message"]
    assert f"“链信科技”在第 {slot} 个时段会有两场洽谈" in conflict["errors"][0]["extensions"]["message_zh"]

    reassigned = (await gql.op("AssignMatchmakingSession", {"sessionId": session_id}, token=token))[
        "data"]["assignMatchmakingSession"]
    kept = {m["id"]: m for m in reassigned["meetings"]}
    assert kept[chain_x["id"]]["slot"] == after[chain_x["id"]]["slot"] and kept[chain_x["id"]]["locked"]
    unlocked = await gql.op("LockSessionMeeting", {"sessionId": session_id, "meetingId": chain_x["id"],
                                                   "locked": False}, token=token)
    assert not {m["id"]: m for m in unlocked["data"]["lockSessionMeeting"]["meetings"]}[chain_x["id"]]["locked"]

    schedule = await gql.op("MySchedule", token=await gql.login("chain_user"))
    mine = schedule["data"]["mySchedule"][0]["meetings"]
    assert sorted(m["counterpart"]["nameEn"] for m in mine) == ["IP Counsel", "Xicheng Fund"]
    investor_schedule = await gql.op("MySchedule", token=await gql.login("investor_w"))
    assert [m["startup"]["nameEn"] for m in investor_schedule["data"]["mySchedule"][0]["meetings"]] == [
        "Brush Creative"]
    outsider = await gql.op("AssignMatchmakingSession", {"sessionId": session_id},
                            token=await gql.login("mm_other_manager"))
    assert error_codes(outsider) == ["FORBIDDEN"]


async def test_a_lock_or_swap_on_a_schedule_that_changed_since_it_was_shown_is_refused(gql, park, state):
    """The organiser saw version v. A repeated swap (double click) or a second organiser's edit meanwhile
    must not be applied to a schedule nobody saw: CONFLICT, schedule unchanged."""
    token = await gql.login("mm_manager")
    session_id = (await gql.op("CreateMatchmakingSession", {"input": _session_input(park)}, token=token))[
        "data"]["createMatchmakingSession"]["id"]
    assigned = (await gql.op("AssignMatchmakingSession", {"sessionId": session_id}, token=token))[
        "data"]["assignMatchmakingSession"]
    seen = assigned["version"]
    chain = [m["id"] for m in assigned["meetings"] if m["startupId"] == park.chain]
    swap = {"sessionId": session_id, "meetingA": chain[0], "meetingB": chain[1], "version": seen}
    first = await gql.op("SwapSessionMeetings", swap, token=token)
    assert "errors" not in first, first
    after = first["data"]["swapSessionMeetings"]
    again = await gql.op("SwapSessionMeetings", swap, token=token)  # the same click, sent twice
    assert error_codes(again) == ["CONFLICT"] and again["errors"][0]["extensions"]["field"] == "version"
    lock = await gql.op("LockSessionMeeting", {"sessionId": session_id, "meetingId": chain[0], "locked": False,
                                               "version": seen}, token=token)
    assert error_codes(lock) == ["CONFLICT"]
    stored = (await gql.op("MatchmakingSession", {"id": session_id}, token=token))["data"]["matchmakingSession"]
    assert stored["version"] == after["version"]
    assert {m["id"]: m["slot"] for m in stored["meetings"]} == {m["id"]: m["slot"] for m in after["meetings"]}


async def test_unavailable_slots_are_respected(gql, park):
    """Brush cannot come to slot 1 → Culture Fund meets Brush in slot 0."""
    token = await gql.login("mm_manager")
    value = _session_input(park, startups=[{"partyId": park.chain}, {"partyId": park.brush, "unavailable": [1]}])
    session_id = (await gql.op("CreateMatchmakingSession", {"input": value}, token=token))[
        "data"]["createMatchmakingSession"]["id"]
    meetings = (await gql.op("AssignMatchmakingSession", {"sessionId": session_id}, token=token))[
        "data"]["assignMatchmakingSession"]["meetings"]
    assert [m["slot"] for m in meetings if m["startupId"] == park.brush] == [0]
    assert sum(m["score"] for m in meetings) == pytest.approx(153.33, abs=0.01)


async def test_a_manager_decides_for_a_startup_without_an_account(gql, park, state):
    mm = service(state)
    startup = await mm.create_startup(park.manager, {"name_zh": "无账号企业", "name_en": "No Account Co",
                                                     "incubator_id": park.incubator_id, "industry": "fintech"})
    await mm.decide(park.investor_x, startup.id, park.x, Decision.interested)
    result = await gql.op("DecideOnMatch", {"startupId": startup.id, "counterpartId": park.x,
                                            "decision": "INTERESTED"}, token=await gql.login("mm_manager"))
    assert result["data"]["decideOnMatch"]["matchCreated"] is True
    # ChainTrust has its own account: its manager cannot decide for it
    denied = await gql.op("DecideOnMatch", {"startupId": park.chain, "counterpartId": park.x,
                                            "decision": "INTERESTED"}, token=await gql.login("mm_manager"))
    assert error_codes(denied) == ["FORBIDDEN"]


async def test_an_edit_based_on_a_stale_schedule_is_refused(gql, park, state):
    from backend.errors import Conflict

    token = await gql.login("mm_manager")
    session_id = (await gql.op("CreateMatchmakingSession", {"input": _session_input(park)}, token=token))[
        "data"]["createMatchmakingSession"]["id"]
    await gql.op("AssignMatchmakingSession", {"sessionId": session_id}, token=token)
    mm = service(state)
    stale = await mm.repo.session(session_id)
    assert stale is not None
    await mm.lock_meeting(park.manager, session_id, stale.meetings[0].id, True)
    with pytest.raises(Conflict):
        await mm._save(stale, [m.model_dump() for m in stale.meetings])
    current = await mm.repo.session(session_id)
    assert current is not None and current.meetings[0].locked and current.version == stale.version + 1


async def test_a_manager_lists_the_matches_of_offers_they_created_for_other_incubators(gql, park, state):
    """A manager who posted a provider offer decides for it; when a startup of another incubator matches
    it, the match is in that manager's ``matches`` (they are its counterpart party), next to their own
    incubator's matches, newest first."""
    mm = service(state)
    other = await state.users.by_username("mm_other_manager")
    offer = await mm.save_counterpart(other, None, "provider", {
        "name_zh": "另一家知识产权服务", "name_en": "Other IP Office", "organisation": "另一家事务所",
        "services": ["ip"]})
    await mm.decide(park.chain_user, park.chain, offer.id, Decision.interested)
    match, created = await mm.decide(other, park.chain, offer.id, Decision.interested)
    assert created and match is not None and match.incubator_id == park.incubator_id
    token = await gql.login("mm_other_manager")
    listed = await gql.op("Matches", token=token)
    assert [m["id"] for m in listed["data"]["matches"]["nodes"]] == [match.id]
    # The startup's own manager sees it too (their incubator); another's match of theirs stays unseen.
    own = await gql.op("Matches", token=await gql.login("mm_manager"))
    assert [m["id"] for m in own["data"]["matches"]["nodes"]] == [match.id]
    await mm.decide(park.brush_user, park.brush, park.w, Decision.interested)
    later, _ = await mm.decide(park.investor_w, park.brush, park.w, Decision.interested)
    listed = await gql.op("Matches", {"first": 1}, token=token)
    assert [m["id"] for m in listed["data"]["matches"]["nodes"]] == [match.id]
    assert listed["data"]["matches"]["hasNextPage"] is False
    own = await gql.op("Matches", {"first": 1}, token=await gql.login("mm_manager"))
    page2 = await gql.op("Matches", {"first": 1, "after": own["data"]["matches"]["endCursor"]},
                         token=await gql.login("mm_manager"))
    assert [own["data"]["matches"]["nodes"][0]["id"], page2["data"]["matches"]["nodes"][0]["id"]] == [later.id, match.id]


def test_swap_problems_name_the_parties_not_their_positions():
    """A schedule where counterpart "fund-b" meets two startups in slot 0 and startup "s-2" is booked in a
    slot it marked unavailable: the problems name "fund-b" and "s-2", not their positions (1 and 1)."""
    from cloud_incubator.matchmaking.models import Session
    from cloud_incubator.matchmaking.service import MatchmakingService

    session = Session.model_validate({
        "_id": "sess", "title": "t", "organiser_user_id": "u", "meeting_minutes": 20,
        "slots": [datetime(2026, 6, 1, 9, tzinfo=UTC), datetime(2026, 6, 1, 10, tzinfo=UTC)],
        "created_at": datetime(2026, 5, 1, tzinfo=UTC),
        "startups": [{"party_id": "s-1", "capacity": 2}, {"party_id": "s-2", "capacity": 2, "unavailable": [0]}],
        "counterparts": [{"party_id": "fund-a", "capacity": 2}, {"party_id": "fund-b", "capacity": 2}]})
    meetings = [{"startup_id": "s-1", "counterpart_id": "fund-b", "slot": 0},
                {"startup_id": "s-2", "counterpart_id": "fund-b", "slot": 0}]
    problems = MatchmakingService._check(session, meetings)
    assert problems == ["startup s-2 or counterpart fund-b is not available in slot 0",
                        "counterpart fund-b has two meetings in slot 0"]
