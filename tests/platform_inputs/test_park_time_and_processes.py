"""Review fixes of the platform-counted evaluation inputs.

- A cooperation's signing date is a date in the park (Asia/Shanghai), like the quarters of the
  consultations: at 00:30 on 1 April in Beijing (16:30 UTC on 31 March) a cooperation signed that day is
  recorded, in 2026Q2; one dated 31 March, before the match was made (00:30 on 1 April, park time), is not.
- A consultation marked (or a cooperation recorded) in an app process that has not served a ranking yet
  still tells the ranking pages of the other processes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from asgi_lifespan import LifespanManager

import cloud_incubator.matchmaking.service as matchmaking
from backend.app import create_app
from backend.platform_inputs.service import platform_inputs_changed
from backend.rankings.service import ranking_service
from backend.submissions.service import SaveRequest, submission_service
from backend.users.models import NewUser, Role
from cloud_incubator.bookings.rules import PARK_TZ
from tests.conftest import error_codes
from tests.platform_inputs.conftest import matched_startup
from tests.submissions.helpers import BASE_METRICS
from tests.waiting import PATIENCE, until

# 00:30 on 1 April 2026 in the park = 16:30 on 31 March 2026 UTC.
PARK_MIDNIGHT = datetime(2026, 4, 1, 0, 30, tzinfo=PARK_TZ)


class _ParkMidnight(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return PARK_MIDNIGHT.astimezone(tz or UTC)


async def test_a_cooperation_signed_today_in_the_park_is_recorded_in_its_quarter(gql, people, state, monkeypatch):
    monkeypatch.setattr(matchmaking, "datetime", _ParkMidnight)
    incubator = await people.incubator("Alpha Incubator")
    admin = await people.make("admin", Role.admin)
    match = await matched_startup(state, people, admin, incubator)
    token = await gql.login("chain_user")

    before_match = await gql.op("RecordCooperation", {"input": {
        "matchId": match.id, "type": "SUPPLY_CHAIN", "signedOn": "2026-03-31"}}, token=token)
    assert error_codes(before_match) == ["BAD_USER_INPUT"]
    assert before_match["errors"][0]["extensions"]["field"] == "signedOn"

    signed = await gql.op("RecordCooperation", {"input": {
        "matchId": match.id, "type": "INVESTMENT", "amount": 800, "signedOn": "2026-04-01"}}, token=token)
    assert "errors" not in signed, signed
    counts = await matchmaking.signed_cooperation_counts(state, [incubator], ["2026Q1", "2026Q2"])
    assert counts == {incubator: {"2026Q2": {"platform_investment_deals": 1.0, "platform_supply_chain_deals": 0.0}}}


async def test_a_change_in_a_process_that_served_no_ranking_reaches_the_others(settings):
    mongo = settings.model_copy(update={"broadcast": "mongo"})
    first, second = create_app(mongo), create_app(mongo)
    async with LifespanManager(first, startup_timeout=60), LifespanManager(second, startup_timeout=60):
        a, b = first.state.incubench, second.state.incubench
        try:
            incubator = (await a.incubator_service.create({
                "name_zh": "甲", "name_en": "Alpha", "kind": "incubator", "accreditation": "municipal",
                "sub_area": "desheng", "industries": ["fintech"], "founded_on": date(2015, 1, 1),
                "floor_area": 9000.0, "operator": "op"})).id
            listener = ranking_service(b).events.listen("2025Q3")
            heard = asyncio.ensure_future(anext(listener))
            await until(lambda: "2025Q3" in ranking_service(b).events._queues, "the listener to register its queue")
            # a manager's final submission saved in the first process
            admin = await a.user_service.create_user(NewUser(username="admin", display_name="admin", role=Role.admin,
                                                             password="a-long-password-1"))
            await submission_service(a).save(admin, SaveRequest(incubator, "2025Q3", list(BASE_METRICS.items()),
                                                                True, None))
            event = await asyncio.wait_for(heard, PATIENCE)
            assert event["reason"] == "inputs_changed" and event["incubator_ids"] == [incubator]
            # then what marking a consultation held there does
            heard = asyncio.ensure_future(anext(listener))
            await platform_inputs_changed(a, "2025Q3", [incubator])
            event = await asyncio.wait_for(heard, PATIENCE)
            assert event["reason"] == "inputs_changed" and event["incubator_ids"] == [incubator]
            await listener.aclose()
        finally:
            await a.client.drop_database(settings.database_name)
