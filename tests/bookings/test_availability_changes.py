"""Removing availability (a rule, or leave over it) cancels the future bookings in the slots that vanish:
status cancelled with a reason, the ledger released, the iCalendar event cancelled (same UID, higher
SEQUENCE), waitlist entries of those slots closed; the GraphQL result says how many were cancelled.
Bookings that had already begun (held, no-show, or not yet marked) are left as they are."""

from __future__ import annotations

from datetime import UTC, timedelta

import icalendar

from backend.errors import AppError
from cloud_incubator.bookings.models import BookingStatus, WaitStatus
from tests.bookings.conftest import assert_booking_withdrawn_when_raced, local, next_weekday
from tests.conftest import error_codes


def vevent(body: bytes) -> icalendar.cal.Component:
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    return event


async def rule_id(gql, park, weekday: int, advisor=None) -> str:
    advisor = advisor or park.advisor
    schedule = (await gql.op("AdvisorSchedule", {"advisorId": advisor.id}, token=park.token(advisor)))["data"]
    return next(r["id"] for r in schedule["advisorSchedule"]["rules"] if r["weekday"] == weekday)


async def test_removing_a_rule_cancels_its_future_bookings_and_releases_the_startups_limit(gql, park, client, state):
    a, b = await park.startup(), await park.startup()
    tuesday, thursday = next_weekday(1), next_weekday(3)
    book = "BookIpSlot"
    a9 = (await gql.op(book, {"input": park.booking_values(tuesday, "09:00")}, token=park.token(a)))["data"]["bookIpSlot"]
    a11 = (await gql.op(book, {"input": park.booking_values(tuesday, "11:00")}, token=park.token(a)))["data"]["bookIpSlot"]
    b14 = (await gql.op(book, {"input": park.booking_values(thursday, "14:00")}, token=park.token(b)))["data"]["bookIpSlot"]
    wait = (await gql.op("JoinIpWaitlist", {"input": park.booking_values(tuesday, "09:00")},
                         token=park.token(b)))["data"]["joinIpWaitlist"]
    headers = {"Authorization": f"Bearer {park.token(a)}"}
    uid = str(vevent((await client.get(a9["icsUrl"], headers=headers)).content)["UID"])

    # the manager removes adv's Tuesday rule: a's two Tuesday bookings go, b's Thursday one stays
    removed = await gql.op("RemoveAvailabilityRule", {"advisorId": park.advisor.id,
                                                      "ruleId": await rule_id(gql, park, 1)}, token=park.token(park.manager))
    assert removed["data"]["removeAvailabilityRule"] == {"removed": True, "cancelledBookings": 2}

    for booking in (a9, a11):
        got = (await gql.op("IpBooking", {"id": booking["id"]}, token=park.token(a)))["data"]["ipBooking"]
        assert (got["status"], got["sequence"], got["cancelReason"]) == ("CANCELLED", 1, "AVAILABILITY_REMOVED")
    kept = (await gql.op("IpBooking", {"id": b14["id"]}, token=park.token(b)))["data"]["ipBooking"]
    assert (kept["status"], kept["sequence"], kept["cancelReason"]) == ("BOOKED", 0, None)
    event = vevent((await client.get(a9["icsUrl"], headers=headers)).content)
    assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (uid, 1, "CANCELLED")

    entry = await park.service.repo.wait_entry(wait["id"])
    assert (entry.status, entry.reason) == (WaitStatus.closed, "AVAILABILITY_REMOVED")
    assert await state.db.ip_bookings.count_documents({"advisor_id": park.advisor.id, "active": True}) == 1
    # a's spans and open count were released: it may book adv2 at Tuesday 09:00 (same time as the
    # cancelled one) and a Thursday slot (two open bookings = its limit)
    for values in (park.booking_values(tuesday, "09:00", advisor=park.advisor2), park.booking_values(thursday, "15:00")):
        again = await gql.op(book, {"input": values}, token=park.token(a))
        assert again["data"]["bookIpSlot"]["status"] == "BOOKED", again
    # the slots are gone for everyone
    slots = (await gql.op("IpSlots", {"filter": {"from": tuesday.isoformat(), "to": tuesday.isoformat()}},
                          token=park.token(b)))["data"]["ipSlots"]
    assert {s["advisorId"] for s in slots} == {park.advisor2.id}


async def test_bookings_that_have_begun_are_kept_when_their_rule_goes(gql, park, state):
    """Last week's Tuesday consultations (one held, one not yet marked) stay; only next week's is cancelled."""
    a, b, c = await park.startup(), await park.startup(), await park.startup()
    last_tuesday = next_weekday(1, 0) - timedelta(days=7)
    real_clock = park.service.clock
    park.service.clock = lambda: real_clock() - timedelta(days=14)
    try:
        held = await park.book(a, last_tuesday, "09:00")
        unmarked = await park.book(b, last_tuesday, "10:00")
    finally:
        park.service.clock = real_clock
    await park.service.mark_attendance(park.advisor, held.id, True)
    future = await park.book(c, next_weekday(1), "09:00")

    result = await gql.op("RemoveAvailabilityRule", {"advisorId": park.advisor.id, "ruleId": await rule_id(gql, park, 1)},
                          token=park.token(park.advisor))
    assert result["data"]["removeAvailabilityRule"]["cancelledBookings"] == 1
    statuses = {b.id: b.status for b in [await park.service.repo.booking(i) for i in (held.id, unmarked.id, future.id)]}
    assert statuses == {held.id: BookingStatus.held, unmarked.id: BookingStatus.booked, future.id: BookingStatus.cancelled}


async def test_leave_cancels_only_the_bookings_it_covers(gql, park, client):
    a, b, c = await park.startup(), await park.startup(), await park.startup()
    tuesday = next_weekday(1)
    a9, b11 = await park.book(a, tuesday, "09:00"), await park.book(b, tuesday, "11:00")
    c9 = await park.book(c, tuesday, "09:00", advisor=park.advisor2)   # another advisor: untouched

    # leave 10:30–12:00 overlaps the 11:00 slot only
    added = await gql.op("AddAvailabilityException", {"input": {
        "workstationId": park.workstation_id, "date": tuesday.isoformat(), "startTime": "10:30", "endTime": "12:00",
        "reason": "会议"}}, token=park.token(park.advisor))
    assert added["data"]["addAvailabilityException"]["cancelledBookings"] == 1
    statuses = {x.id: (x.status, x.cancel_reason) for x in [await park.service.repo.booking(i) for i in (a9.id, b11.id, c9.id)]}
    assert statuses == {a9.id: (BookingStatus.booked, None), b11.id: (BookingStatus.cancelled, "ADVISOR_LEAVE"),
                        c9.id: (BookingStatus.booked, None)}
    event = vevent((await client.get(f"/api/bookings/{b11.id}.ics",
                                     headers={"Authorization": f"Bearer {park.token(b)}"})).content)
    assert (int(event["SEQUENCE"]), str(event["STATUS"])) == (1, "CANCELLED")

    # a whole day's leave, entered by the manager, takes a's 09:00 too
    day = await gql.op("AddAvailabilityException", {"input": {"workstationId": park.workstation_id,
                                                              "advisorId": park.advisor.id, "date": tuesday.isoformat()}},
                       token=park.token(park.manager))
    assert day["data"]["addAvailabilityException"]["cancelledBookings"] == 1
    assert (await park.service.repo.booking(a9.id)).status is BookingStatus.cancelled
    # the advisor sees on each leave how many bookings it cancelled; a startup does not
    schedule = (await gql.op("AdvisorSchedule", {"advisorId": park.advisor.id},
                             token=park.token(park.advisor)))["data"]["advisorSchedule"]
    assert sorted(e["cancelledBookings"] for e in schedule["exceptions"]) == [1, 1]
    hidden = (await gql.op("AdvisorSchedule", {"advisorId": park.advisor.id}, token=park.token(a)))["data"]
    assert [e["cancelledBookings"] for e in hidden["advisorSchedule"]["exceptions"]] == [None, None]
    # withdrawing the leave brings the slots back, not the cancelled bookings
    removed = await gql.op("RemoveAvailabilityException", {"advisorId": park.advisor.id,
                                                           "exceptionId": day["data"]["addAvailabilityException"]["id"]},
                           token=park.token(park.advisor))
    assert removed["data"]["removeAvailabilityException"] is True
    assert (await park.service.repo.booking(a9.id)).status is BookingStatus.cancelled
    assert (await park.book(a, tuesday, "09:00")).status is BookingStatus.booked


async def test_a_booking_racing_the_rule_removal_is_refused(park, state):
    """The removal lands (and sweeps, finding nothing) between the booking's availability check and its
    insert: the booking sees the slot gone after its insert and withdraws itself."""

    async def remove_tuesday_rule() -> int:
        schedule = await park.service.schedule(park.advisor.id)
        tuesday_rule = next(r.id for r in schedule.rules if r.weekday == 1)
        return (await park.service.remove_rule(park.advisor, park.advisor.id, tuesday_rule)).cancelled

    await assert_booking_withdrawn_when_raced(park, state, remove_tuesday_rule)


async def test_a_waitlist_join_racing_the_leave_is_closed(park, state):
    a, b = await park.startup(), await park.startup()
    tuesday = next_weekday(1)
    await park.book(a, tuesday, "10:00")
    repo = park.service.repo
    original = repo.insert_wait

    async def insert_after_leave(document):
        await park.service.add_exception(park.advisor, park.workstation_id, None, tuesday, None, None, "")
        return await original(document)

    repo.insert_wait = insert_after_leave
    try:
        await park.service.join_waitlist(b, park.workstation_id, park.advisor.id, local(tuesday, "10:00"),
                                         "patent_filing", "online", "Q")
        raise AssertionError("joined the waitlist of a slot that no longer exists")
    except AppError as error:
        assert error.code == "SLOT_OUTSIDE_AVAILABILITY"
    finally:
        repo.insert_wait = original
    assert await state.db.ip_waitlist.count_documents({"status": "waiting"}) == 0


async def test_a_reschedule_racing_the_rule_removal_keeps_the_old_slot(park, state):
    startup = await park.startup()
    booking = await park.book(startup, next_weekday(1), "09:00")
    service = park.service
    original = service._hold

    async def hold_then_remove(*args, **kwargs):
        hold = await original(*args, **kwargs)
        schedule = await service.schedule(park.advisor.id)
        await service.remove_rule(park.advisor, park.advisor.id, next(r.id for r in schedule.rules if r.weekday == 3))
        return hold

    service._hold = hold_then_remove
    try:
        await service.reschedule(startup, booking.id, local(next_weekday(3), "14:00"))
        raise AssertionError("moved into a slot that no longer exists")
    except AppError as error:
        assert error.code == "SLOT_OUTSIDE_AVAILABILITY"
    finally:
        del service._hold
    back = await service.repo.booking(booking.id)
    assert back.status is BookingStatus.booked and back.start == local(next_weekday(1), "09:00").astimezone(UTC)
    assert back.sequence == 2   # moved and moved back: calendars that saw the move follow it back
    ledger = await state.db.ip_ledgers.find_one({"_id": startup.startup_id})
    assert [(h["start"].replace(tzinfo=UTC), h["booking_id"]) for h in ledger["holds"]] == [
        (local(next_weekday(1), "09:00").astimezone(UTC), booking.id)]


async def test_only_editors_remove_rules_and_errors_are_coded(gql, park):
    startup = await park.startup()
    denied = await gql.op("RemoveAvailabilityRule", {"advisorId": park.advisor.id, "ruleId": await rule_id(gql, park, 1)},
                          token=park.token(startup))
    assert error_codes(denied) == ["FORBIDDEN"]
    other = await gql.op("RemoveAvailabilityRule", {"advisorId": park.advisor.id, "ruleId": "nope"},
                         token=park.token(park.advisor2))
    assert error_codes(other) == ["NOT_FOUND"]
