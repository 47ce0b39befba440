"""Review fixes: a manager sees only its own incubator's consultations of an advisor who also staffs
another incubator's workstation (day view and .ics export)."""

from __future__ import annotations

from datetime import time

from backend.users.models import Role
from tests.bookings.conftest import TODAY, local, next_weekday


async def test_manager_sees_only_own_incubators_consultations_of_a_shared_advisor(gql, park, people, client):
    """adv staffs park's desk (incubator A, Tuesdays 09–12) and desk "Other" of incubator B (Wednesdays
    09–12). One booking on each desk; A's manager sees only A's one, B's manager only B's one."""
    other_incubator = await people.incubator("Other Booking Incubator")
    other_manager = await people.make("mgr-other", Role.manager, incubator_id=other_incubator)
    other_ws = await park.service.create_workstation(other_manager, {
        "incubator_id": other_incubator, "name_zh": "其他", "name_en": "Other", "location": "B", "languages": ["zh"],
        "topics": ["patent_filing"], "modes": ["online"], "slot_minutes": 60, "cutoff_hours": 1, "booking_limit": 2,
        "advisor_ids": [park.advisor.id]})
    await park.service.add_rule(park.advisor, other_ws.id, None, 2, time(9), time(12), TODAY, None)
    mine = await park.book(await park.startup(), next_weekday(1), "09:00")
    theirs_startup = await park.startup(incubator_id=other_incubator)
    theirs = await park.service.book(theirs_startup, other_ws.id, park.advisor.id, local(next_weekday(2), "10:00"),
                                     "patent_filing", "online", "Other incubator's question")

    async def day_ids(manager, day):
        result = await gql.op("BookingAdvisorDay", {"date": day.isoformat(), "advisorId": park.advisor.id},
                              token=park.token(manager))
        assert "errors" not in result, result
        return [b["id"] for b in result["data"]["advisorDay"]]

    assert await day_ids(park.manager, next_weekday(1)) == [mine.id]
    assert await day_ids(park.manager, next_weekday(2)) == []
    assert await day_ids(other_manager, next_weekday(1)) == []
    assert await day_ids(other_manager, next_weekday(2)) == [theirs.id]
    # the advisor sees both
    own = await gql.op("BookingAdvisorDay", {"date": next_weekday(2).isoformat()}, token=park.token(park.advisor))
    assert [b["id"] for b in own["data"]["advisorDay"]] == [theirs.id]

    # .ics export: the same restriction
    response = await client.get(f"/api/advisors/{park.advisor.id}/schedule.ics",
                                headers={"Authorization": f"Bearer {park.token(park.manager)}"})
    assert response.status_code == 200
    assert f"booking-{mine.id}@" in response.text and f"booking-{theirs.id}@" not in response.text
    response = await client.get(f"/api/advisors/{park.advisor.id}/schedule.ics",
                                headers={"Authorization": f"Bearer {park.token(park.advisor)}"})
    assert f"booking-{mine.id}@" in response.text and f"booking-{theirs.id}@" in response.text


def test_the_attachment_list_query_and_its_sort_are_covered_by_an_index():
    """attachments_of filters by booking_id and sorts by created_at: an index must cover both."""
    from cloud_incubator.bookings import repository

    keys = [list(index.document["key"].items()) for entry in repository.INDEXES if entry.collection == repository.ATTACHMENTS
            for index in entry.indexes]
    assert [("booking_id", 1), ("created_at", 1)] in keys


async def test_leave_entered_by_mistake_can_be_removed_and_its_slots_return(gql, park, people):
    """adv's Tuesday (09–12, three 60-min slots) is blocked by a whole-day leave; removing the leave gives
    the three slots back. Another incubator's manager and a startup may not remove it; an unknown id is NOT_FOUND."""
    from tests.conftest import error_codes

    tuesday = next_weekday(1)
    week = {"from": tuesday.isoformat(), "to": tuesday.isoformat(), "workstationId": park.workstation_id}
    startup = await park.startup()

    async def adv_slots():
        result = await gql.op("IpSlots", {"filter": week}, token=park.token(startup))
        return [s["localStart"] for s in result["data"]["ipSlots"] if s["advisor"]["id"] == park.advisor.id]

    assert await adv_slots() == ["09:00", "10:00", "11:00"]
    added = await gql.op("AddAvailabilityException", {"input": {"workstationId": park.workstation_id,
                                                                "date": tuesday.isoformat(), "reason": "typo"}},
                         token=park.token(park.advisor))
    exception_id = added["data"]["addAvailabilityException"]["id"]
    assert await adv_slots() == []

    other_manager = await people.make("mgr-elsewhere", Role.manager, incubator_id=await people.incubator("Elsewhere"))
    variables = {"advisorId": park.advisor.id, "exceptionId": exception_id}
    for who in (other_manager, startup):
        assert error_codes(await gql.op("RemoveAvailabilityException", variables, token=park.token(who))) == ["FORBIDDEN"]
    assert await adv_slots() == []
    removed = await gql.op("RemoveAvailabilityException", variables, token=park.token(park.advisor))
    assert removed["data"]["removeAvailabilityException"] is True
    assert await adv_slots() == ["09:00", "10:00", "11:00"]
    again = await gql.op("RemoveAvailabilityException", variables, token=park.token(park.manager))
    assert error_codes(again) == ["NOT_FOUND"]


async def test_my_waitlist_omits_waits_for_slots_that_have_begun(gql, park, state):
    """A startup waiting for a slot that has since begun no longer sees that wait (it could never be
    promoted); its wait for a future slot stays listed."""
    from datetime import UTC, datetime, timedelta

    holder, waiter = await park.startup(), await park.startup()
    tuesday = next_weekday(1)
    await park.book(holder, tuesday, "09:00")
    future = await park.service.join_waitlist(waiter, park.workstation_id, park.advisor.id, local(tuesday, "09:00"),
                                              "patent_filing", "online", "Q")
    past_start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    await state.db.ip_waitlist.insert_one({
        "_id": "past-wait", "workstation_id": park.workstation_id, "advisor_id": park.advisor.id, "start": past_start,
        "startup_id": waiter.startup_id, "user_id": waiter.id, "topic": "patent_filing", "mode": "online",
        "question": "Q", "seq": 1, "status": "waiting", "created_at": past_start})
    result = await gql.op("MyIpWaitlist", {}, token=park.token(waiter))
    assert [e["id"] for e in result["data"]["myIpWaitlist"]] == [future.id]
