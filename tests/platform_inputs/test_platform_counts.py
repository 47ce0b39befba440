"""IP-workstation consultations and cooperations signed on the platform feed the live ranking (scheme 2026.1).

Hand calculation for the park below (both incubators report the same metrics, 60 tenants, four quarters):
- 3 consultations held (2 on IP navigation, a conversion topic) and 1 no-show at Alpha's workstation:
  IP consultations per 10 tenants = 3·10/60 = 0.5 → target-normalised 0.5/4 = 12.5;
  conversion-topic consultations per 10 tenants = 2·10/60 = 1/3 → (1/3)/2 = 16.67;
  attendance rate = 3/(3+1) = 0.75 → 0.75/0.9 = 83.33 (before: no consultation due → not applicable, its
  weight .05 spread over the rest of mentoring, so mentoring M0 = Σ others / 0.95).
  Mentoring after = 0.95·M0 + 0.1·12.5 + 0.05·83.33; composite gains
  0.25·0.1·16.67 (tech conversion) + 0.2·(mentoring after − M0).
- one investment and one supply-chain cooperation signed: 1·10/60 per 10 tenants → 1/6 / 1 = 16.67 each;
  composite gains 0.25·0.1·16.67 + 0.15·0.1·16.67 = 0.6667.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest

from backend.platform_inputs.service import platform_inputs_changed
from backend.rankings.service import ranking_service
from backend.submissions.service import SaveRequest, submission_service
from backend.users.models import Role
from cloud_incubator.bookings.rules import quarter_of as park_quarter_of
from cloud_incubator.bookings.service import bookings
from cloud_incubator.matchmaking.service import quarter_of
from evaluation import shift_quarter, shipped_schemes
from tests.bookings.conftest import TODAY, local, next_weekday
from tests.conftest import error_codes
from tests.platform_inputs.conftest import matched_startup
from tests.submissions.helpers import BASE_METRICS
from tests.waiting import PATIENCE, until

PLATFORM_FIELDS = ["ipConsultationsHeld", "ipConsultationNoShows", "ipConversionConsultations",
                   "platformInvestmentDeals", "platformSupplyChainDeals"]


async def _park(gql, people, state):
    alpha = await people.incubator("Alpha Incubator")
    beta = await people.incubator("Beta Incubator")
    admin = await people.make("admin", Role.admin)
    await people.make("evaluator", Role.evaluator)
    now_quarter = quarter_of(TODAY)
    for k in range(4):
        for incubator in (alpha, beta):
            await submission_service(state).save(admin, SaveRequest(
                incubator, shift_quarter(now_quarter, -k), list(BASE_METRICS.items()), True, None))
    return alpha, beta, admin, now_quarter


async def _card(gql, token, incubator_id, quarter):
    result = await gql.op("IncubatorScorecard", {"incubatorId": incubator_id, "quarter": quarter}, token=token)
    assert "errors" not in result, result
    card = result["data"]["incubatorScorecard"]
    return card, {i["indicatorId"]: i for i in card["indicators"]}, {d["dimension"]: d["score"] for d in card["dimensions"]}


async def test_consultations_and_signed_cooperations_move_the_live_ranking(gql, people, state):
    alpha, beta, admin, quarter = await _park(gql, people, state)
    evaluator = await gql.login("evaluator")
    card0, ind0, dim0 = await _card(gql, evaluator, alpha, quarter)
    beta0, _, _ = await _card(gql, evaluator, beta, quarter)
    assert ind0["ip_consultations_per_10_tenants"]["raw"] == 0
    assert ind0["ip_consultation_attendance_rate"]["status"] == "not_applicable"
    assert card0["composite"] == pytest.approx(beta0["composite"])

    # Alpha's IP workstation: four consultations last Tuesday, three held, one missed.
    manager = await people.make("alpha_manager", Role.manager, incubator_id=alpha)
    advisor = await people.make("adv", Role.ip_advisor)
    advisor2 = await people.make("adv2", Role.ip_advisor)
    desk = bookings(state)
    workstation = await desk.create_workstation(manager, {
        "incubator_id": alpha, "name_zh": "阿尔法知识产权工作站", "name_en": "Alpha IP Desk", "location": "A 座",
        "languages": ["zh"], "topics": ["patent_filing", "ip_navigation"], "modes": ["online"], "slot_minutes": 60,
        "cutoff_hours": 24, "booking_limit": 2, "advisor_ids": [advisor.id, advisor2.id]})
    for who, ends in ((advisor, time(12)), (advisor2, time(11))):
        await desk.add_rule(who, workstation.id, None, 1, time(9), ends, TODAY - timedelta(days=14), None)
    tuesday = next_weekday(1, weeks_ahead=-1)
    desk.clock = lambda: local(tuesday, "08:00") - timedelta(days=3)
    plan = ((advisor, "09:00", "ip_navigation", True), (advisor, "10:00", "ip_navigation", True),
            (advisor, "11:00", "patent_filing", True), (advisor2, "09:00", "patent_filing", False))
    booked = []
    for n, (who, at, topic, held) in enumerate(plan):
        profile = await state.startups.insert({"_id": f"sp-{n}", "name_zh": f"企业{n}", "name_en": f"Startup {n}",
                                               "incubator_id": alpha})
        startup = await people.make(f"startup{n}", Role.startup, startup_id=profile.id, incubator_id=alpha)
        booking = await desk.book(startup, workstation.id, who.id, local(tuesday, at), topic, "online", "Question")
        booked.append((booking, who, held))
    desk.clock = lambda: local(tuesday, "13:00")
    for booking, who, held in booked:
        marked = await gql.op("MarkAttendance", {"bookingId": booking.id, "outcome": "HELD" if held else "NO_SHOW"},
                              token=await gql.login(who.username))
        assert "errors" not in marked, marked

    consultation_quarter = park_quarter_of(local(tuesday, "09:00"))
    assert consultation_quarter in {quarter, shift_quarter(quarter, -1)}  # inside the trailing four quarters
    card1, ind1, dim1 = await _card(gql, evaluator, alpha, quarter)
    assert ind1["ip_consultations_per_10_tenants"]["raw"] == pytest.approx(0.5)
    assert ind1["ip_consultations_per_10_tenants"]["normalized"] == pytest.approx(12.5)
    assert ind1["ip_conversion_consultations_per_10_tenants"]["normalized"] == pytest.approx(100 / 6)
    assert ind1["ip_consultation_attendance_rate"]["raw"] == pytest.approx(0.75)
    assert ind1["ip_consultation_attendance_rate"]["status"] == "reported"
    assert ind1["ip_consultation_attendance_rate"]["platformCounted"] is True
    assert ind1["financed_tenant_share"]["platformCounted"] is False
    m0 = dim0["mentoring"]
    m1 = 0.95 * m0 + 0.1 * 12.5 + 0.05 * (0.75 / 0.9 * 100)
    assert dim1["mentoring"] == pytest.approx(m1)
    assert card1["composite"] - card0["composite"] == pytest.approx(0.25 * 0.1 * 100 / 6 + 0.2 * (m1 - m0))
    assert (await _card(gql, evaluator, beta, quarter))[0]["composite"] == pytest.approx(beta0["composite"])

    # Alpha's startup signs an investment and a supply-chain cooperation with a matched investor today.
    match = await matched_startup(state, people, admin, alpha)
    token = await gql.login("chain_user")
    for kind, amount in (("INVESTMENT", 800), ("SUPPLY_CHAIN", None)):
        signed = await gql.op("RecordCooperation", {"input": {"matchId": match.id, "type": kind, "amount": amount,
                                                              "signedOn": str(TODAY)}}, token=token)
        assert "errors" not in signed, signed
    card2, ind2, _ = await _card(gql, evaluator, alpha, quarter)
    assert ind2["platform_investment_deals_per_10_tenants"]["raw"] == pytest.approx(1 / 6)
    assert ind2["platform_supply_chain_deals_per_10_tenants"]["normalized"] == pytest.approx(100 / 6)
    assert card2["composite"] - card1["composite"] == pytest.approx((0.25 + 0.15) * 0.1 * 100 / 6)


async def test_a_change_reaches_a_cached_ranking_and_its_live_pages(gql, people, state):
    """The ranking is cached; a consultation marked held must recompute it and tell open pages."""
    alpha, _beta, _admin, quarter = await _park(gql, people, state)
    rankings = ranking_service(state)
    assert await rankings.evaluated(quarter) is not None
    computed = rankings.computations
    assert await rankings.evaluated(quarter) is not None and rankings.computations == computed  # cache hit
    listener = rankings.events.listen(quarter)
    waiting = asyncio.ensure_future(anext(listener))
    await until(lambda: quarter in rankings.events._queues, "the page to listen")
    await platform_inputs_changed(state, quarter, [alpha])
    event = await asyncio.wait_for(waiting, PATIENCE)
    await listener.aclose()
    assert event["reason"] == "inputs_changed" and alpha in event["incubator_ids"]
    assert await rankings.evaluated(quarter) is not None and rankings.computations == computed + 1


async def test_platform_counted_fields_are_not_reported(gql, people, state):
    alpha, _beta, _admin, quarter = await _park(gql, people, state)
    manager = await people.make("alpha_manager", Role.manager, incubator_id=alpha)
    token = await gql.login(manager.username)
    listed = await gql.op("RawFields", token=token)
    assert not set(PLATFORM_FIELDS) & {f["id"] for f in listed["data"]["rawFields"]}
    platform = await gql.op("PlatformFields", token=token)
    assert [f["id"] for f in platform["data"]["platformFields"]] == PLATFORM_FIELDS
    before = await submission_service(state).repository.heads_for_quarters([quarter])
    metrics = [{"field": k, "value": v} for k, v in BASE_METRICS.items()] + [{"field": "ipConsultationsHeld", "value": 40}]
    refused = await gql.op("SubmitQuarterlyMetrics", {"input": {"incubatorId": alpha, "quarter": quarter,
                                                                "metrics": metrics, "final": True, "baseRevision": 1}},
                           token=token)
    assert error_codes(refused) == ["BAD_USER_INPUT"]
    assert [e["extensions"]["field"] for e in refused["errors"]] == ["metrics.ipConsultationsHeld"]
    assert "counted by incubench" in refused["errors"][0]["message"]
    after = await submission_service(state).repository.heads_for_quarters([quarter])
    assert [h.revision for h in after] == [h.revision for h in before]


async def test_a_ranking_published_under_the_earlier_scheme_replays_with_it(state):
    """A snapshot published under 2025.1 (no platform fields in its inputs) is re-computed with 2025.1's
    29 indicators, not with today's scheme (which would find the platform fields not reported)."""
    rankings = ranking_service(state)
    inputs = {inc: {q: dict(BASE_METRICS) for q in ("2025Q1", "2025Q2", "2025Q3", "2025Q4")} for inc in ("a", "b")}
    await rankings.snapshots.insert({"_id": "old-snapshot", "quarter": "2025Q4", "version": 1,
                                     "scheme_version": "2025.1", "method": "arithmetic", "method_key": "-",
                                     "inputs": inputs, "outputs": [], "published_by": "x", "published_by_name": "x",
                                     "published_at": datetime.now(UTC)})
    replayed = await rankings.replay("old-snapshot", "2025Q4", 1)
    assert replayed.scheme is shipped_schemes()["2025.1"] and len(replayed.indicator_ids) == 29
    assert replayed.imputed() == {}
