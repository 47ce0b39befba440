"""Profiles over GraphQL (validation, who may edit) and recommendations with reasons.

Scores by hand (weights industry 25, stage 15, ticket 15, need 10, tags 10, text 10, roadshow 15):
ChainTrust (fintech, series_a, asks 800, needs funding + IP, tags payments/risk) against
- Xicheng Fund (fintech/digital, angel/series_a, 500–1000, tags payments/blockchain):
  25 + 15 + 15 + 10 + 10·(1/3) = 68.33; with its roadshow lead on 12 May + 15 = 83.33
- IP Counsel (provider, no industry/stage named, serves IP/legal, tag risk): 12.5 + 7.5 + 0 + 10 + 10·(1/2) = 35
- Culture Fund (culture_tech, any stage, 600–1200 holds 800): 0 + 7.5 + 15 + 10 + 0 = 32.5
- Growth Fund (1000–3000): disjoint from the 800 ask → excluded
Xicheng Fund's view: ChainTrust 83.33 (with the lead); Brush Creative (culture_tech, angel, asks 500–900,
needs funding): 0 + 15 + 15 + 10 + 0 = 40.
"""

from __future__ import annotations

import pytest

from tests.conftest import error_codes
from tests.matchmaking.conftest import add_lead


async def test_startup_profile_validation_reports_every_bad_field_and_stores_nothing(gql, park):
    token = await gql.login("mm_manager")
    bad = {"nameZh": "", "nameEn": "Bad Co", "incubatorId": park.incubator_id, "foundedYear": 1970,
           "teamSize": 0, "needs": ["FUNDING"], "askMin": 900, "askMax": 100, "tags": ["a", "A"]}
    result = await gql.op("CreateStartupProfile", {"input": bad}, token=token)
    assert set(error_codes(result)) == {"BAD_USER_INPUT"}
    fields = {e["extensions"]["field"] for e in result["errors"]}
    assert fields == {"nameZh", "foundedYear", "teamSize", "askMax", "tags"}
    assert all(e["extensions"]["message_zh"] for e in result["errors"])
    listed = await gql.op("StartupProfiles", {"incubatorId": park.incubator_id}, token=token)
    assert sorted(n["nameEn"] for n in listed["data"]["startupProfiles"]["nodes"]) == ["Brush Creative", "ChainTrust"]
    missing_ask = await gql.op("UpdateStartupProfile", {"startupId": park.brush,
                                                        "input": {"askMin": None, "needs": ["FUNDING", "OFFICE"]}},
                               token=token)
    assert "errors" not in missing_ask  # keeps the stored 500–900 ask


async def test_funding_need_requires_an_ask_range(gql, park):
    token = await gql.login("mm_manager")
    result = await gql.op("CreateStartupProfile", {"input": {
        "nameZh": "新企业", "nameEn": "New Co", "incubatorId": park.incubator_id, "needs": ["FUNDING"]}}, token=token)
    assert [e["extensions"]["field"] for e in result["errors"]] == ["askMin"]


async def test_the_startup_and_its_manager_edit_the_profile_others_may_not(gql, park):
    own = await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {
        "description": "面向银行的支付风控引擎", "teamSize": 25, "stage": "SERIES_A"}},
        token=await gql.login("chain_user"))
    assert own["data"]["updateStartupProfile"]["teamSize"] == 25
    assert own["data"]["updateStartupProfile"]["askMin"] == 800  # untouched fields kept
    other = await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {"teamSize": 3}},
                         token=await gql.login("brush_user"))
    assert error_codes(other) == ["FORBIDDEN"]
    foreign_manager = await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {"teamSize": 3}},
                                   token=await gql.login("mm_other_manager"))
    assert error_codes(foreign_manager) == ["FORBIDDEN"]
    investor = await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {"teamSize": 3}},
                            token=await gql.login("investor_x"))
    assert error_codes(investor) == ["FORBIDDEN"]
    manager = await gql.op("UpdateStartupProfile", {"startupId": park.chain, "input": {"teamSize": 30}},
                           token=await gql.login("mm_manager"))
    assert manager["data"]["updateStartupProfile"]["teamSize"] == 30


async def test_investor_profile_rules(gql, park, people):
    from backend.users.models import Role

    await people.make("investor_new", Role.investor)
    token = await gql.login("investor_new")
    no_ticket = await gql.op("SaveCounterpart", {"input": {"kind": "INVESTOR", "nameZh": "新基金", "nameEn": "New"}},
                             token=token)
    assert [e["extensions"]["field"] for e in no_ticket["errors"]] == ["ticketMin"]
    created = await gql.op("SaveCounterpart", {"input": {"kind": "INVESTOR", "nameZh": "新基金", "nameEn": "New",
                                                         "ticketMin": 100, "ticketMax": 500,
                                                         "stages": ["SEED", "SEED"]}}, token=token)
    assert [e["extensions"]["field"] for e in created["errors"]] == ["stages"]
    created = await gql.op("SaveCounterpart", {"input": {"kind": "INVESTOR", "nameZh": "新基金", "nameEn": "New",
                                                         "ticketMin": 100, "ticketMax": 500}}, token=token)
    profile = created["data"]["saveCounterpart"]
    assert profile["hasAccount"] and profile["serves"] == ["FUNDING"]
    again = await gql.op("SaveCounterpart", {"input": {"kind": "INVESTOR", "nameZh": "二", "nameEn": "Two",
                                                       "ticketMin": 1, "ticketMax": 2}}, token=token)
    assert error_codes(again) == ["CONFLICT"]
    others = await gql.op("SaveCounterpart", {"id": park.x, "input": {"kind": "INVESTOR", "region": "北京"}},
                          token=token)
    assert error_codes(others) == ["FORBIDDEN"]
    call = await gql.op("SaveCounterpart", {"input": {"kind": "FIRM_CALL", "nameZh": "揭榜", "nameEn": "Call"}},
                        token=token)
    assert error_codes(call) == ["FORBIDDEN"]
    mine = await gql.op("MyInvestorProfile", token=token)
    assert mine["data"]["myInvestorProfile"]["ticketMax"] == 500


async def test_firm_call_needs_a_future_deadline_and_a_description(gql, park):
    token = await gql.login("mm_manager")
    result = await gql.op("SaveCounterpart", {"input": {"kind": "FIRM_CALL", "nameZh": "揭榜", "nameEn": "Call",
                                                        "organisation": "大企业", "deadline": "2020-01-01",
                                                        "ticketMin": 1, "ticketMax": 2}}, token=token)
    assert {e["extensions"]["field"] for e in result["errors"]} == {"deadline", "description", "ticketMin"}


async def test_startup_sees_counterparts_best_first_with_reasons_excluded_left_out(gql, park, state):
    await add_lead(state, park.investor_x, park.chain)
    token = await gql.login("chain_user")
    first = await gql.op("Recommendations", {"partyId": park.chain, "first": 2}, token=token)
    page = first["data"]["recommendations"]
    assert page["totalCount"] == 3 and page["hasNextPage"]
    assert [n["counterpart"]["nameEn"] for n in page["nodes"]] == ["Xicheng Fund", "IP Counsel"]
    assert [n["score"] for n in page["nodes"]] == pytest.approx([83.33, 35.0], abs=0.01)
    reasons = {r["code"]: r for r in page["nodes"][0]["reasons"]}
    assert reasons["industry"]["en"] == "same industry: fintech"
    assert reasons["ticket"]["en"] == "ticket CNY 5–10 M covers the CNY 8 M ask"
    assert reasons["roadshow"]["en"] == "showed interest in the roadshow on 12 May"
    assert reasons["roadshow"]["points"] == 15
    second = await gql.op("Recommendations", {"partyId": park.chain, "first": 2, "after": page["endCursor"]},
                          token=token)
    rest = second["data"]["recommendations"]
    assert [n["counterpart"]["nameEn"] for n in rest["nodes"]] == ["Culture Fund"]
    assert rest["nodes"][0]["score"] == pytest.approx(32.5)
    assert not rest["hasNextPage"]
    investors_only = await gql.op("Recommendations", {"partyId": park.chain, "kind": "INVESTOR"}, token=token)
    assert [n["counterpart"]["nameEn"] for n in investors_only["data"]["recommendations"]["nodes"]] == [
        "Xicheng Fund", "Culture Fund"]


async def test_investor_sees_startups_and_others_may_not_look(gql, park, state):
    await add_lead(state, park.investor_x, park.chain)
    result = await gql.op("Recommendations", {"partyId": park.x}, token=await gql.login("investor_x"))
    nodes = result["data"]["recommendations"]["nodes"]
    assert [(n["startup"]["nameEn"], round(n["score"], 2)) for n in nodes] == [("ChainTrust", 83.33),
                                                                            ("Brush Creative", 40.0)]
    assert error_codes(await gql.op("Recommendations", {"partyId": park.chain},
                                    token=await gql.login("brush_user"))) == ["FORBIDDEN"]
    assert error_codes(await gql.op("Recommendations", {"partyId": park.x},
                                    token=await gql.login("investor_w"))) == ["FORBIDDEN"]
    assert error_codes(await gql.op("Recommendations", {"partyId": "nope"},
                                    token=await gql.login("investor_w"))) == ["NOT_FOUND"]
    assert error_codes(await gql.op("Recommendations", {"partyId": park.x, "after": "garbage"},
                                    token=await gql.login("investor_x"))) == ["BAD_USER_INPUT"]
