"""No traps in bookings: a reschedule to another workstation's slot names the field and the workstation;
the advisor's day says who booked; removing a weekly rule can be asked first how many bookings it cancels."""

from __future__ import annotations

from datetime import time, timedelta

from backend.users.models import Role
from tests.bookings.conftest import TODAY, iso, next_weekday
from tests.conftest import error_codes


async def test_rescheduling_to_another_workstations_slot_is_refused_on_the_advisor_field(gql, park, people) -> None:
    other_advisor = await people.make("adv-other", Role.ip_advisor)
    other = await park.service.create_workstation(park.manager, {
        "incubator_id": park.incubator_id, "name_zh": "什刹海版权工作站", "name_en": "Shichahai Copyright Desk",
        "location": "什刹海", "languages": ["zh"], "topics": ["patent_filing"], "modes": ["online"],
        "slot_minutes": 60, "cutoff_hours": 24, "booking_limit": 2, "advisor_ids": [other_advisor.id]})
    await park.service.add_rule(other_advisor, other.id, None, 1, time(13), time(15), TODAY - timedelta(days=1), None)
    startup = await park.startup()
    tuesday = next_weekday(1)
    booking = await park.book(startup, tuesday, "09:00")
    result = await gql.op("RescheduleIpBooking", {"bookingId": booking.id, "start": iso(tuesday, "13:00"),
                                                  "advisorId": other_advisor.id}, token=park.token(startup))
    assert error_codes(result) == ["BAD_USER_INPUT"]
    (error,) = result["errors"]
    assert error["extensions"]["field"] == "advisorId"
    assert "德胜知识产权工作站" in error["extensions"]["message_zh"]
    assert "Desheng IP Desk" in error["extensions"]["message_en"]
    kept = await park.service.repo.booking(booking.id)
    assert kept is not None and (kept.status.value, kept.start, kept.advisor_id) == (
        "booked", booking.start, booking.advisor_id), "the booking stays where it was"


async def test_the_advisors_day_says_who_booked_and_why(gql, park) -> None:
    startup = await park.startup()
    await park.state.db["startups"].update_one({"_id": startup.startup_id}, {"$set": {"name_zh": "绿芯科技",
                                                                                        "name_en": "GreenChip"}})
    tuesday = next_weekday(1)
    await park.book(startup, tuesday, "10:00")
    day = (await gql.op("BookingAdvisorDay", {"date": tuesday.isoformat()}, token=park.token(park.advisor)))["data"]
    (row,) = day["advisorDay"]
    assert row["bookedBy"] == {"startupNameZh": "绿芯科技", "startupNameEn": "GreenChip",
                               "personName": startup.display_name}
    assert row["question"] == "Question"


async def test_the_cancellations_a_rule_removal_would_make_are_counted_first(gql, park) -> None:
    a, b = await park.startup(), await park.startup()
    tuesday, thursday = next_weekday(1), next_weekday(3)
    await park.book(a, tuesday, "09:00")
    await park.book(b, tuesday, "11:00")
    await park.book(b, thursday, "14:00")
    await park.book(a, tuesday, "10:00", advisor=park.advisor2)   # another advisor's rule: unaffected
    schedule = (await gql.op("AdvisorSchedule", {"advisorId": park.advisor.id}, token=park.token(park.advisor)))["data"]
    tuesday_rule = next(r["id"] for r in schedule["advisorSchedule"]["rules"] if r["weekday"] == 1)
    variables = {"advisorId": park.advisor.id, "ruleId": tuesday_rule}
    impact = await gql.op("AvailabilityRuleRemovalImpact", variables, token=park.token(park.advisor))
    assert impact["data"]["availabilityRuleRemovalImpact"] == 2
    # asking changed nothing; the removal then cancels exactly that many
    assert (await gql.op("AvailabilityRuleRemovalImpact", variables, token=park.token(park.manager))
            )["data"]["availabilityRuleRemovalImpact"] == 2
    # only those who may remove it may ask: another advisor is refused as the removal itself would be
    other = park.token(park.advisor2)
    refused = error_codes(await gql.op("AvailabilityRuleRemovalImpact", variables, token=other))
    assert refused == error_codes(await gql.op("RemoveAvailabilityRule", variables, token=other)) == ["FORBIDDEN"]
    assert error_codes(await gql.op("AvailabilityRuleRemovalImpact", {**variables, "ruleId": "nope"},
                                    token=park.token(park.advisor))) == ["NOT_FOUND"]
    removed = await gql.op("RemoveAvailabilityRule", variables, token=park.token(park.advisor))
    assert removed["data"]["removeAvailabilityRule"]["cancelledBookings"] == 2


async def test_an_online_consultation_gets_the_advisors_meeting_link(gql, park, client) -> None:
    startup = await park.startup()
    tuesday = next_weekday(1)
    online = await park.book(startup, tuesday, "09:00")            # park.book books mode "online"
    on_site = (await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "10:00", mode="on_site")},
                            token=park.token(startup)))["data"]["bookIpSlot"]
    link = "https://meeting.example.com/j/482-117"
    set_link = "SetIpBookingMeetingUrl"
    done = await gql.op(set_link, {"bookingId": online.id, "url": link}, token=park.token(park.advisor))
    assert done["data"]["setIpBookingMeetingUrl"] == {"id": online.id, "mode": "online", "meetingUrl": link,
                                                      "status": "BOOKED"}
    # the startup sees it with the booking and in its calendar file
    mine = (await gql.op("BookingMine", {"from": tuesday.isoformat(), "to": tuesday.isoformat()},
                         token=park.token(startup)))["data"]["myIpBookings"]
    assert {b["id"]: b["meetingUrl"] for b in mine} == {online.id: link, on_site["id"]: None}
    ics = await client.get(f"/api/bookings/{online.id}.ics", headers={"Authorization": f"Bearer {park.token(startup)}"})
    assert f"LOCATION:{link}" in ics.text.replace("\r\n ", "")

    # refused: a bad link, an on-site consultation, another advisor, the startup itself
    bad = await gql.op(set_link, {"bookingId": online.id, "url": "javascript:alert(1)"}, token=park.token(park.advisor))
    assert error_codes(bad) == ["BAD_USER_INPUT"] and bad["errors"][0]["extensions"]["field"] == "url"
    not_online = await gql.op(set_link, {"bookingId": on_site["id"], "url": link}, token=park.token(park.advisor))
    assert error_codes(not_online) == ["BAD_USER_INPUT"]
    assert "线上" in not_online["errors"][0]["extensions"]["message_zh"]
    assert error_codes(await gql.op(set_link, {"bookingId": online.id, "url": link},
                                    token=park.token(park.advisor2))) == ["FORBIDDEN"]
    assert error_codes(await gql.op(set_link, {"bookingId": online.id, "url": link},
                                    token=park.token(startup))) == ["FORBIDDEN"]
    # empty clears it
    cleared = await gql.op(set_link, {"bookingId": online.id, "url": "  "}, token=park.token(park.advisor))
    assert cleared["data"]["setIpBookingMeetingUrl"]["meetingUrl"] is None


async def test_the_cancellations_a_leave_would_make_are_counted_first(gql, park) -> None:
    a = await park.startup()
    tuesday = next_weekday(1)
    await park.book(a, tuesday, "09:00")
    await park.book(a, tuesday, "11:00")
    leave = {"workstationId": park.workstation_id, "date": tuesday.isoformat(), "startTime": "08:30:00",
             "endTime": "10:30:00", "reason": "培训 Training"}
    impact = await gql.op("AvailabilityExceptionImpact", {"input": leave}, token=park.token(park.advisor))
    assert impact["data"]["availabilityExceptionImpact"] == 1, impact       # 09:00 only; 11:00 stays
    whole_day = {**leave, "startTime": None, "endTime": None}
    assert (await gql.op("AvailabilityExceptionImpact", {"input": whole_day}, token=park.token(park.advisor))
            )["data"]["availabilityExceptionImpact"] == 2
    added = await gql.op("AddAvailabilityException", {"input": leave}, token=park.token(park.advisor))
    assert added["data"]["addAvailabilityException"]["cancelledBookings"] == 1
    startup = await park.startup()
    assert error_codes(await gql.op("AvailabilityExceptionImpact", {"input": leave}, token=park.token(startup))) == [
        "FORBIDDEN"]


async def test_the_cancellations_dropping_an_advisor_would_make_are_counted_first(gql, park) -> None:
    a, b = await park.startup(), await park.startup()   # two open bookings each at most
    tuesday, thursday = next_weekday(1), next_weekday(3)
    await park.book(a, tuesday, "09:00")
    await park.book(a, thursday, "14:00")
    await park.book(b, tuesday, "10:00", advisor=park.advisor2)
    query = "IpWorkstationAdvisorRemovalImpact"
    keep_adv2 = {"workstationId": park.workstation_id, "advisorIds": [park.advisor2.id]}
    assert (await gql.op(query, keep_adv2, token=park.token(park.manager)))["data"][
        "ipWorkstationAdvisorRemovalImpact"] == 2
    both = {**keep_adv2, "advisorIds": [park.advisor.id, park.advisor2.id]}
    assert (await gql.op(query, both, token=park.token(park.manager)))["data"]["ipWorkstationAdvisorRemovalImpact"] == 0
    assert error_codes(await gql.op(query, keep_adv2, token=park.token(park.advisor))) == ["FORBIDDEN"]
    saved = await gql.op("UpdateIpWorkstation", {"workstationId": park.workstation_id,
                                                 "input": {"advisorIds": [park.advisor2.id]}},
                         token=park.token(park.manager))
    assert saved["data"]["updateIpWorkstation"]["cancelledBookings"] == 2, saved
