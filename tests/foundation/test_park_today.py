""""Today" is the park's (Asia/Shanghai) day everywhere, read from the app's one clock.

Between 00:00 and 08:00 in the park the UTC date is still yesterday's: those hours are where a
UTC "today" goes wrong, so every case here runs at such an instant.
"""

from __future__ import annotations

from datetime import UTC, datetime

from backend.core.clock import FixedClock
from backend.users.models import Role
from cloud_incubator.matchmaking.service import service
from tests.conftest import error_codes
from tests.foundation.test_incubators import NEW

# 07:00 on 1 June 2026 in the park = 23:00 on 31 May 2026 UTC.
PARK_EARLY_MORNING = datetime(2026, 5, 31, 23, 0, tzinfo=UTC)


async def test_an_incubator_founded_today_in_the_park_is_accepted_before_8am(gql, people, state, monkeypatch):
    monkeypatch.setattr(state.calendar, "clock", FixedClock(PARK_EARLY_MORNING))
    await people.make("root", Role.admin)
    token = await gql.login("root")
    created = await gql.op("CreateIncubator", {"input": {**NEW, "foundedOn": "2026-06-01"}}, token=token)
    assert "errors" not in created, created
    assert created["data"]["createIncubator"]["foundedOn"] == "2026-06-01"
    tomorrow = await gql.op("CreateIncubator", {"input": {**NEW, "nameEn": "Later", "foundedOn": "2026-06-02"}},
                            token=token)
    assert error_codes(tomorrow) == ["BAD_USER_INPUT"]
    assert tomorrow["errors"][0]["extensions"]["field"] == "foundedOn"


async def test_an_open_call_past_its_park_deadline_is_refused_and_not_recommended(gql, people, state, monkeypatch):
    """The call's deadline is 31 May; at 07:00 on 1 June in the park (still 31 May in UTC) it has passed."""
    clock = FixedClock(datetime(2026, 5, 20, 2, 0, tzinfo=UTC))
    monkeypatch.setattr(state.calendar, "clock", clock)
    incubator_id = await people.incubator("Calls Incubator")
    admin = await people.make("calls_admin", Role.admin)
    await people.make("calls_manager", Role.manager, incubator_id=incubator_id)
    mm = service(state)
    startup = await mm.create_startup(admin, {"name_zh": "链信", "name_en": "Chain", "industry": "fintech",
                                              "stage": "series_a", "needs": ["supply_chain"],
                                              "incubator_id": incubator_id})
    call = await mm.save_counterpart(admin, None, "firm_call", {
        "name_zh": "揭榜", "name_en": "Open Call", "organisation": "大企业", "industries": ["fintech"],
        "description": "供应链金融", "deadline": datetime(2026, 5, 31).date()})
    before = [r.counterpart.id for r in (await mm.recommendations(admin, startup.id, None, 10, 0))[0]]
    assert call.id in before

    clock.set(PARK_EARLY_MORNING)
    after = [r.counterpart.id for r in (await mm.recommendations(admin, startup.id, None, 10, 0))[0]]
    assert call.id not in after
    late = await gql.op("SaveCounterpart", {"input": {
        "kind": "FIRM_CALL", "nameZh": "揭榜二", "nameEn": "Late Call", "organisation": "大企业",
        "description": "供应链", "deadline": "2026-05-31"}}, token=await gql.login("calls_manager"))
    assert error_codes(late) == ["BAD_USER_INPUT"]
    assert [e["extensions"]["field"] for e in late["errors"]] == ["deadline"]
