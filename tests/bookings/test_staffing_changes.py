"""Changing a workstation's staff or offer (``updateIpWorkstation``) and its future bookings.

- An advisor taken off a workstation takes their future consultations there with them: cancelled by the
  system (cancelReason ADVISOR_REMOVED, SEQUENCE raised, ledger released, startup told), their weekly hours
  at that workstation removed, waitlists of those slots closed, open pages told; the result counts them.
- A topic or mode no longer offered refuses new bookings only; existing ones stay (and may be rescheduled),
  waiters asking for it are skipped at promotion.
- ``ipAdvisors`` lets managers pick advisors by name.
"""

from __future__ import annotations

from datetime import UTC, time, timedelta
from typing import Any

import icalendar

from backend.users.models import Role
from cloud_incubator.bookings.models import BookingStatus, WaitStatus
from tests.bookings.conftest import TODAY, assert_booking_withdrawn_when_raced, iso, local, next_weekday
from tests.conftest import error_codes

UPDATE = "UpdateIpWorkstation"


def record_events(service) -> list[tuple[str, str, dict[str, Any]]]:
    events: list[tuple[str, str, dict[str, Any]]] = []

    async def publish(topic: str, event: str, data: dict[str, Any]) -> None:
        events.append((topic, event, data))

    service._publish = publish
    return events


async def test_taking_an_advisor_off_cancels_their_future_bookings_there_only(gql, park, client, state):
    a, b, c = await park.startup(), await park.startup(), await park.startup()
    # adv also staffs a second desk (Wednesdays); nothing there may change
    desk_b = await park.service.create_workstation(park.manager, {
        "incubator_id": park.incubator_id, "name_zh": "二号工作站", "name_en": "Desk B", "location": "B 座",
        "languages": ["zh"], "topics": ["patent_filing"], "modes": ["online"], "slot_minutes": 60,
        "cutoff_hours": 24, "booking_limit": 2, "advisor_ids": [park.advisor.id]})
    await park.service.add_rule(park.advisor, desk_b.id, None, 2, time(9), time(10), TODAY - timedelta(days=7), None)
    tuesday, wednesday, thursday = next_weekday(1), next_weekday(2), next_weekday(3)
    a9 = (await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "09:00")},
                       token=park.token(a)))["data"]["bookIpSlot"]
    b14 = await park.book(b, thursday, "14:00")
    c9 = await park.book(c, tuesday, "09:00", advisor=park.advisor2)
    b_desk = await park.service.book(b, desk_b.id, park.advisor.id, local(wednesday, "09:00"), "patent_filing",
                                     "online", "Q")
    wait = (await gql.op("JoinIpWaitlist", {"input": park.booking_values(tuesday, "09:00")},
                         token=park.token(c)))["data"]["joinIpWaitlist"]
    events = record_events(park.service)

    result = await gql.op(UPDATE, {"workstationId": park.workstation_id, "input": {"advisorIds": [park.advisor2.id]}},
                          token=park.token(park.manager))
    ws = result["data"]["updateIpWorkstation"]
    assert (ws["advisorIds"], ws["cancelledBookings"]) == ([park.advisor2.id], 2)

    got = {x.id: (x.status, x.cancel_reason, x.sequence)
           for x in [await park.service.repo.booking(i) for i in (a9["id"], b14.id, c9.id, b_desk.id)]}
    assert got == {a9["id"]: (BookingStatus.cancelled, "ADVISOR_REMOVED", 1),
                   b14.id: (BookingStatus.cancelled, "ADVISOR_REMOVED", 1),
                   c9.id: (BookingStatus.booked, None, 0), b_desk.id: (BookingStatus.booked, None, 0)}
    seen = (await gql.op("IpBooking", {"id": a9["id"]}, token=park.token(a)))["data"]["ipBooking"]
    assert (seen["status"], seen["cancelReason"]) == ("CANCELLED", "ADVISOR_REMOVED")
    event = icalendar.Calendar.from_ical((await client.get(
        a9["icsUrl"], headers={"Authorization": f"Bearer {park.token(a)}"})).content).walk("VEVENT")[0]
    assert (int(event["SEQUENCE"]), str(event["STATUS"])) == (1, "CANCELLED")
    entry = await park.service.repo.wait_entry(wait["id"])
    assert (entry.status, entry.reason) == (WaitStatus.closed, "ADVISOR_REMOVED")

    # who heard what: each startup on its own topic, the waiter, and pages watching this desk only
    assert {(t, e, d.get("bookingId") or d.get("waitlistEntryId"), d["reason"]) for t, e, d in events
            if e != "slots.changed"} == {
        (f"user:{a.id}", "booking.cancelled", a9["id"], "ADVISOR_REMOVED"),
        (f"user:{b.id}", "booking.cancelled", b14.id, "ADVISOR_REMOVED"),
        (f"user:{c.id}", "booking.waitlist_closed", wait["id"], "ADVISOR_REMOVED")}
    (changed,) = [(t, d) for t, e, d in events if e == "slots.changed"]
    assert changed[0] == f"bookings:{park.workstation_id}"
    assert (changed[1]["advisorId"], changed[1]["change"]) == (park.advisor.id, "advisor_removed")
    assert sorted(changed[1]["cancelled"]) == sorted(local(d, hhmm).astimezone(UTC).isoformat()
                                                     for d, hhmm in ((tuesday, "09:00"), (thursday, "14:00")))

    # adv's hours at this desk went with them (those at desk B stay), so the slots are gone for everyone
    schedule = (await gql.op("AdvisorSchedule", {"advisorId": park.advisor.id},
                             token=park.token(park.advisor)))["data"]["advisorSchedule"]
    assert [(r["workstationId"], r["weekday"]) for r in schedule["rules"]] == [(desk_b.id, 2)]
    week = {"from": next_weekday(0).isoformat(), "to": next_weekday(6).isoformat(), "workstationId": park.workstation_id}
    slots = (await gql.op("IpSlots", {"filter": week}, token=park.token(a)))["data"]["ipSlots"]
    assert {s["advisorId"] for s in slots} == {park.advisor2.id}
    # a's span and open count were released: it books adv2 at the same time as its cancelled booking
    again = await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "10:00", advisor=park.advisor2)},
                         token=park.token(a))
    assert again["data"]["bookIpSlot"]["status"] == "BOOKED", again
    assert await state.db.ip_bookings.count_documents({"advisor_id": park.advisor.id, "active": True}) == 1


async def test_keeping_or_adding_advisors_cancels_nothing(gql, park, people):
    a = await park.startup()
    booking = await park.book(a, next_weekday(1), "09:00")
    extra = await people.make("adv3", Role.ip_advisor)
    token = park.token(park.manager)
    same = await gql.op(UPDATE, {"workstationId": park.workstation_id, "input": {"cutoffHours": 12}}, token=token)
    assert same["data"]["updateIpWorkstation"]["cancelledBookings"] == 0
    more = await gql.op(UPDATE, {"workstationId": park.workstation_id, "input": {
        "advisorIds": [park.advisor2.id, extra.id, park.advisor.id]}}, token=token)
    assert more["data"]["updateIpWorkstation"]["cancelledBookings"] == 0
    assert (await park.service.repo.booking(booking.id)).status is BookingStatus.booked
    # a refused update (bad field) stores nothing and cancels nothing
    bad = await gql.op(UPDATE, {"workstationId": park.workstation_id, "input": {
        "advisorIds": [park.advisor2.id], "bookingLimit": 0}}, token=token)
    assert error_codes(bad) == ["BAD_USER_INPUT"] and bad["errors"][0]["extensions"]["field"] == "bookingLimit"
    assert (await park.service.repo.booking(booking.id)).status is BookingStatus.booked
    assert park.advisor.id in (await park.service.repo.workstation(park.workstation_id)).advisor_ids


async def test_a_booking_racing_the_advisors_removal_is_refused(park, state):
    """The removal lands (and sweeps, finding nothing) between the booking's checks and its insert: the
    booking sees its slot gone after the insert and withdraws itself."""

    async def take_the_advisor_off() -> int:
        update = await park.service.update_workstation(park.manager, park.workstation_id,
                                                       {"advisor_ids": [park.advisor2.id]})
        return int(update.cancelled)

    await assert_booking_withdrawn_when_raced(park, state, take_the_advisor_off)


async def test_a_removed_topic_or_mode_refuses_new_bookings_and_keeps_existing_ones(gql, park):
    a, b, c = await park.startup(), await park.startup(), await park.startup()
    tuesday = next_weekday(1)
    trademark = (await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "09:00", topic="trademarks",
                                                                            mode="on_site")},
                              token=park.token(a)))["data"]["bookIpSlot"]
    # two waiters for that slot: b on the topic about to go, c on one that stays
    for startup, topic in ((b, "trademarks"), (c, "patent_filing")):
        joined = await gql.op("JoinIpWaitlist", {"input": park.booking_values(tuesday, "09:00", topic=topic)},
                              token=park.token(startup))
        assert joined["data"]["joinIpWaitlist"]["status"] == "WAITING", joined

    result = await gql.op(UPDATE, {"workstationId": park.workstation_id, "input": {
        "topics": ["patent_filing", "ip_navigation"], "modes": ["online"]}}, token=park.token(park.manager))
    assert result["data"]["updateIpWorkstation"]["cancelledBookings"] == 0
    kept = (await gql.op("IpBooking", {"id": trademark["id"]}, token=park.token(a)))["data"]["ipBooking"]
    assert (kept["status"], kept["topic"], kept["mode"], kept["sequence"]) == ("BOOKED", "trademarks", "on_site", 0)

    refused = await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "10:00", topic="trademarks")},
                           token=park.token(b))
    assert error_codes(refused) == ["BAD_USER_INPUT"] and refused["errors"][0]["extensions"]["field"] == "topic"
    refused = await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "10:00", mode="on_site")},
                           token=park.token(b))
    assert error_codes(refused) == ["BAD_USER_INPUT"] and refused["errors"][0]["extensions"]["field"] == "mode"

    # the existing consultation may still move (same topic and mode: it is the same consultation) ...
    moved = await gql.op("RescheduleIpBooking", {"bookingId": trademark["id"], "start": iso(tuesday, "11:00")},
                         token=park.token(a))
    assert moved["data"]["rescheduleIpBooking"]["topic"] == "trademarks", moved
    # ... and the freed 09:00 goes to c: b's wait asks for a topic no longer offered and is skipped
    mine_b = await gql.op("MyIpWaitlist", {}, token=park.token(b))
    assert mine_b["data"]["myIpWaitlist"] == []
    skipped = await park.service.repo.waitlist.find_one({"startup_id": b.startup_id})
    assert (skipped["status"], skipped["reason"]) == ("skipped", "TOPIC_NOT_OFFERED")
    promoted = await park.service.repo.active_at(park.advisor.id, local(tuesday, "09:00"))
    assert (promoted.startup_id, promoted.topic, promoted.from_waitlist) == (c.startup_id, "patent_filing", True)


async def test_managers_and_admins_list_ip_advisors_by_name(gql, park, people, state):
    admin = await people.make("root", Role.admin)
    retired = await people.make("adv-old", Role.ip_advisor, display_name="退休顾问")
    await state.users.set_active(retired.id, False)
    await people.make("someone", Role.evaluator)
    want = sorted([(park.advisor.id, "顾问 Adv"), (park.advisor2.id, "顾问 Adv2")])
    for user in (park.manager, admin):
        listed = (await gql.op("IpAdvisors", {}, token=park.token(user)))["data"]["ipAdvisors"]
        assert sorted((x["id"], x["displayName"]) for x in listed) == want
        assert all(set(x) == {"id", "displayName", "organisation"} for x in listed)
    for user in (await park.startup(), park.advisor):
        assert error_codes(await gql.op("IpAdvisors", {}, token=park.token(user))) == ["FORBIDDEN"]
