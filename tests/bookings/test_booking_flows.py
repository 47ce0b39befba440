"""Booking, cancelling, rescheduling, the waitlist, attendance and notes — through GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.bookings.conftest import TODAY, iso, next_weekday
from tests.conftest import error_codes


def code_and_field(result):
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in result["errors"]]


async def test_startup_books_a_slot_and_it_shows_taken(gql, park):
    startup = await park.startup()
    token = park.token(startup)
    tuesday = next_weekday(1)
    booked = (await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "10:00")}, token=token))["data"]["bookIpSlot"]
    assert booked["status"] == "BOOKED" and booked["sequence"] == 0
    assert datetime.fromisoformat(booked["start"]) == datetime.fromisoformat(iso(tuesday, "10:00"))
    assert datetime.fromisoformat(booked["end"]) - datetime.fromisoformat(booked["start"]) == timedelta(hours=1)
    assert booked["icsUrl"] == f"/api/bookings/{booked['id']}.ics"
    slots = (await gql.op("IpSlots", {"filter": {"from": tuesday.isoformat(), "to": tuesday.isoformat(),
                                                 "workstationId": park.workstation_id}}, token=token))["data"]["ipSlots"]
    taken = {(s["advisorId"], s["localStart"]) for s in slots if s["taken"]}
    assert taken == {(park.advisor.id, "10:00")}
    mine = (await gql.op("MyIpBookings", {"from": TODAY.isoformat(), "to": (TODAY + timedelta(days=30)).isoformat()},
                         token=token))["data"]["myIpBookings"]
    assert [b["id"] for b in mine] == [booked["id"]]


async def test_second_startup_gets_slot_taken(gql, park, state):
    first, second = await park.startup(), await park.startup()
    values = park.booking_values(next_weekday(1), "09:00")
    assert "errors" not in await gql.op("BookIpSlot", {"input": values}, token=park.token(first))
    result = await gql.op("BookIpSlot", {"input": values}, token=park.token(second))
    assert code_and_field(result) == [("SLOT_TAKEN", "start")]
    assert await state.db.ip_bookings.count_documents({}) == 1
    ledger = await state.db.ip_ledgers.find_one({"_id": second.startup_id})
    assert ledger is None or (ledger["holds"] == [] and ledger["open"] == {park.workstation_id: 0})


async def test_bad_booking_input_gets_coded_errors_and_stores_nothing(gql, park, state):
    startup = await park.startup()
    token = park.token(startup)
    tuesday = next_weekday(1)
    last_tuesday = next_weekday(1, -1) if next_weekday(1, 0) > TODAY else next_weekday(1, 0)
    cases = [
        ({"start": f"{tuesday.isoformat()}T10:00:00"}, [("BAD_USER_INPUT", "start")]),            # no time zone
        ({"topic": "astrology"}, [("BAD_USER_INPUT", "topic")]),                                    # unknown topic
        ({"topic": "licensing_transfer"}, [("BAD_USER_INPUT", "topic")]),                           # not offered here
        ({"question": "  "}, [("BAD_USER_INPUT", "question")]),
        ({"start": iso(last_tuesday, "10:00")}, [("SLOT_IN_PAST", "start")]),
        ({"start": iso(tuesday, "10:30")}, [("SLOT_OUTSIDE_AVAILABILITY", "start")]),               # misaligned
        ({"start": iso(next_weekday(2), "10:00")}, [("SLOT_OUTSIDE_AVAILABILITY", "start")]),       # a Wednesday
        ({"advisorId": park.manager.id}, [("BAD_USER_INPUT", "advisorId")]),
    ]
    for override, expected in cases:
        result = await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "10:00", **override)}, token=token)
        assert code_and_field(result) == expected, override
    assert await state.db.ip_bookings.count_documents({}) == 0
    ledger = await state.db.ip_ledgers.find_one({"_id": startup.startup_id})
    assert ledger is None or ledger["holds"] == []
    # the same instant written in UTC is accepted: 10:00+08:00 == 02:00Z
    utc_start = datetime.fromisoformat(iso(tuesday, "10:00")).astimezone(UTC).isoformat()
    ok = await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "10:00", start=utc_start)}, token=token)
    assert ok["data"]["bookIpSlot"]["status"] == "BOOKED"


async def test_startup_cannot_hold_two_bookings_at_once_nor_exceed_the_limit(gql, park, state):
    startup = await park.startup()
    token = park.token(startup)
    tuesday, thursday = next_weekday(1), next_weekday(3)
    assert "errors" not in await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "09:00")}, token=token)
    same_time = await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "09:00", advisorId=park.advisor2.id)},
                             token=token)
    assert code_and_field(same_time) == [("BOOKING_OVERLAP", "start")]
    assert "errors" not in await gql.op("BookIpSlot", {"input": park.booking_values(thursday, "14:00")}, token=token)
    third = await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "11:00")}, token=token)
    assert error_codes(third) == ["BOOKING_LIMIT_REACHED"]
    assert await state.db.ip_bookings.count_documents({"startup_id": startup.startup_id}) == 2


async def test_overlap_across_workstations_with_different_slot_lengths(park, state):
    """Desk A: adv 09:00–12:00 in 60-min slots; desk B: adv2 09:00–11:00 in 30-min slots (a new rule on
    Fridays). Holding 09:00–10:00 at A excludes 09:30–10:00 at B although the starts differ."""
    from datetime import time

    from tests.bookings.conftest import local
    ws_b = await park.service.create_workstation(park.manager, {
        "incubator_id": park.incubator_id, "name_zh": "乙", "name_en": "Desk B", "location": "B", "languages": ["zh"],
        "topics": ["patent_filing"], "modes": ["online"], "slot_minutes": 30, "cutoff_hours": 1, "booking_limit": 3,
        "advisor_ids": [park.advisor2.id]})
    await park.service.add_rule(park.manager, park.workstation_id, park.advisor.id, 4, time(9), time(12), TODAY, None)
    await park.service.add_rule(park.advisor2, ws_b.id, None, 4, time(9), time(11), TODAY, None)
    startup = await park.startup()
    friday = next_weekday(4)
    await park.book(startup, friday, "09:00")
    import pytest

    from cloud_incubator.bookings.models import BookingOverlap
    with pytest.raises(BookingOverlap):
        await park.service.book(startup, ws_b.id, park.advisor2.id, local(friday, "09:30"), "patent_filing", "online", "Q")
    booked = await park.service.book(startup, ws_b.id, park.advisor2.id, local(friday, "10:00"), "patent_filing", "online", "Q")
    assert booked.start == local(friday, "10:00")


async def test_cancel_frees_the_slot_and_promotes_the_first_waiting_startup(gql, park, state):
    holder, first_waiting, second_waiting = await park.startup(), await park.startup(), await park.startup()
    values = park.booking_values(next_weekday(1), "10:00")
    booking = (await gql.op("BookIpSlot", {"input": values}, token=park.token(holder)))["data"]["bookIpSlot"]
    free_slot = park.booking_values(next_weekday(1), "11:00")
    assert error_codes(await gql.op("JoinIpWaitlist", {"input": free_slot}, token=park.token(first_waiting))) == ["SLOT_FREE"]
    w1 = (await gql.op("JoinIpWaitlist", {"input": values}, token=park.token(first_waiting)))["data"]["joinIpWaitlist"]
    w2 = (await gql.op("JoinIpWaitlist", {"input": values}, token=park.token(second_waiting)))["data"]["joinIpWaitlist"]
    assert (w1["position"], w2["position"]) == (1, 2)
    again = await gql.op("JoinIpWaitlist", {"input": values}, token=park.token(first_waiting))
    assert error_codes(again) == ["ALREADY_ON_WAITLIST"]
    own = await gql.op("JoinIpWaitlist", {"input": values}, token=park.token(holder))
    assert error_codes(own) == ["CONFLICT"]
    cancelled = (await gql.op("CancelIpBooking", {"bookingId": booking["id"]}, token=park.token(holder)))["data"]["cancelIpBooking"]
    assert cancelled["status"] == "CANCELLED" and cancelled["sequence"] == 1
    promoted = (await gql.op("MyIpBookings", {"from": TODAY.isoformat(), "to": (TODAY + timedelta(days=20)).isoformat()},
                             token=park.token(first_waiting)))["data"]["myIpBookings"]
    assert [(b["status"], b["fromWaitlist"], b["start"]) for b in promoted] == [("BOOKED", True, booking["start"])]
    waitlist = (await gql.op("MyIpWaitlist", {}, token=park.token(second_waiting)))["data"]["myIpWaitlist"]
    assert [(w["id"], w["position"]) for w in waitlist] == [(w2["id"], 1)]
    entry = await state.db.ip_waitlist.find_one({"_id": w1["id"]})
    assert entry["status"] == "promoted" and entry["booking_id"] == promoted[0]["id"]
    twice = await gql.op("CancelIpBooking", {"bookingId": booking["id"]}, token=park.token(holder))
    assert error_codes(twice) == ["BOOKING_NOT_OPEN"]
    left = (await gql.op("LeaveIpWaitlist", {"entryId": w2["id"]}, token=park.token(second_waiting)))["data"]
    assert left["leaveIpWaitlist"]["status"] == "LEFT"


async def test_promotion_skips_a_startup_at_its_limit(park, state):
    holder, busy, free = await park.startup(), await park.startup(), await park.startup()
    tuesday, thursday = next_weekday(1), next_weekday(3)
    booking = await park.book(holder, tuesday, "10:00")
    for hhmm in ("14:00", "15:00"):
        await park.book(busy, thursday, hhmm)            # busy reaches its limit of 2
    from tests.bookings.conftest import local
    await park.service.join_waitlist(busy, park.workstation_id, park.advisor.id, local(tuesday, "10:00"),
                                     "patent_filing", "online", "Q")
    await park.service.join_waitlist(free, park.workstation_id, park.advisor.id, local(tuesday, "10:00"),
                                     "trademarks", "on_site", "Q2")
    await park.service.cancel(holder, booking.id)
    statuses = {d["startup_id"]: (d["status"], d.get("reason")) async for d in state.db.ip_waitlist.find({})}
    assert statuses == {busy.startup_id: ("skipped", "BOOKING_LIMIT_REACHED"), free.startup_id: ("promoted", None)}
    holder_now = await state.db.ip_bookings.find_one({"advisor_id": park.advisor.id, "start": local(tuesday, "10:00"),
                                                      "active": True})
    assert holder_now["startup_id"] == free.startup_id and holder_now["topic"] == "trademarks"


async def test_cutoff_blocks_startup_changes_but_not_the_advisor(gql, park):
    startup = await park.startup()
    tuesday = next_weekday(1)
    booking = (await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "09:00")},
                            token=park.token(startup)))["data"]["bookIpSlot"]
    start = datetime.fromisoformat(booking["start"])
    park.service.clock = lambda: start - timedelta(hours=23)       # inside the 24 h cut-off
    late = await gql.op("CancelIpBooking", {"bookingId": booking["id"]}, token=park.token(startup))
    assert error_codes(late) == ["CUTOFF_PASSED"]
    moved = await gql.op("RescheduleIpBooking", {"bookingId": booking["id"], "start": iso(tuesday, "11:00")},
                         token=park.token(startup))
    assert error_codes(moved) == ["CUTOFF_PASSED"]
    by_advisor = await gql.op("CancelIpBooking", {"bookingId": booking["id"]}, token=park.token(park.advisor))
    assert by_advisor["data"]["cancelIpBooking"]["status"] == "CANCELLED"


async def test_reschedule_keeps_the_booking_raises_sequence_and_frees_the_old_slot(gql, park, state):
    startup, waiting = await park.startup(), await park.startup()
    tuesday, thursday = next_weekday(1), next_weekday(3)
    booking = (await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "09:00")},
                            token=park.token(startup)))["data"]["bookIpSlot"]
    await gql.op("JoinIpWaitlist", {"input": park.booking_values(tuesday, "09:00")}, token=park.token(waiting))
    other = await park.startup()
    await gql.op("BookIpSlot", {"input": park.booking_values(thursday, "15:00")}, token=park.token(other))
    taken = await gql.op("RescheduleIpBooking", {"bookingId": booking["id"], "start": iso(thursday, "15:00")},
                         token=park.token(startup))
    assert error_codes(taken) == ["SLOT_TAKEN"]
    moved = (await gql.op("RescheduleIpBooking", {"bookingId": booking["id"], "start": iso(thursday, "14:00")},
                          token=park.token(startup)))["data"]["rescheduleIpBooking"]
    assert moved["id"] == booking["id"] and moved["sequence"] == 1
    assert datetime.fromisoformat(moved["start"]) == datetime.fromisoformat(iso(thursday, "14:00"))
    old_slot = await state.db.ip_bookings.find_one({"start": datetime.fromisoformat(iso(tuesday, "09:00")),
                                                    "advisor_id": park.advisor.id, "active": True})
    assert old_slot["startup_id"] == waiting.startup_id          # promoted from the waitlist
    ledger = await state.db.ip_ledgers.find_one({"_id": startup.startup_id})
    assert [(h["booking_id"], h["start"]) for h in ledger["holds"]] == [(booking["id"], datetime.fromisoformat(iso(thursday, "14:00")))]
    assert ledger["open"][park.workstation_id] == 1


async def test_advisor_day_attendance_note_and_no_show_lowers_the_limit(gql, park, state):
    startup, other = await park.startup(), await park.startup()
    tuesday, thursday = next_weekday(1), next_weekday(3)
    b1 = (await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "09:00")}, token=park.token(startup)))["data"]["bookIpSlot"]
    b2 = (await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "10:00")}, token=park.token(other)))["data"]["bookIpSlot"]
    day = (await gql.op("AdvisorDay", {"date": tuesday.isoformat()}, token=park.token(park.advisor)))["data"]["advisorDay"]
    assert [b["id"] for b in day] == [b1["id"], b2["id"]]
    assert error_codes(await gql.op("AdvisorDay", {"date": tuesday.isoformat(), "advisorId": park.advisor.id},
                                    token=park.token(park.advisor2))) == ["FORBIDDEN"]
    early = await gql.op("MarkAttendance", {"bookingId": b1["id"], "outcome": "HELD"}, token=park.token(park.advisor))
    assert error_codes(early) == ["CONSULTATION_NOT_STARTED"]
    park.service.clock = lambda: datetime.fromisoformat(b2["end"]) + timedelta(minutes=5)
    held = await gql.op("MarkAttendance", {"bookingId": b1["id"], "outcome": "HELD"}, token=park.token(park.advisor))
    assert held["data"]["markAttendance"]["status"] == "HELD"
    no_show = await gql.op("MarkAttendance", {"bookingId": b2["id"], "outcome": "NO_SHOW"}, token=park.token(park.advisor))
    assert no_show["data"]["markAttendance"]["status"] == "NO_SHOW"
    again = await gql.op("MarkAttendance", {"bookingId": b2["id"], "outcome": "HELD"}, token=park.token(park.advisor))
    assert error_codes(again) == ["BOOKING_NOT_OPEN"]
    not_mine = await gql.op("MarkAttendance", {"bookingId": b1["id"], "outcome": "HELD"}, token=park.token(park.advisor2))
    assert error_codes(not_mine) == ["FORBIDDEN"]
    note = "建议先做专利检索 / run a prior-art search first"
    written = await gql.op("WriteConsultationNote", {"bookingId": b1["id"], "note": note}, token=park.token(park.advisor))
    assert written["data"]["writeConsultationNote"]["advisorNote"] == note
    seen_by_startup = await gql.op("IpBooking", {"id": b1["id"]}, token=park.token(startup))
    assert seen_by_startup["data"]["ipBooking"]["advisorNote"] == note
    seen_by_manager = await gql.op("IpBooking", {"id": b1["id"]}, token=park.token(park.manager))
    assert seen_by_manager["data"]["ipBooking"]["advisorNote"] is None
    hidden = await gql.op("IpBooking", {"id": b1["id"]}, token=park.token(other))
    assert error_codes(hidden) == ["NOT_FOUND"]
    # ``other`` had a no-show: its limit of 2 drops to 1 for 90 days; one open booking fills it.
    assert "errors" not in await gql.op("BookIpSlot", {"input": park.booking_values(thursday, "14:00")}, token=park.token(other))
    limited = await gql.op("BookIpSlot", {"input": park.booking_values(thursday, "15:00")}, token=park.token(other))
    assert error_codes(limited) == ["BOOKING_LIMIT_REACHED"]
    assert limited["errors"][0]["extensions"]["effectiveLimit"] == 1
    # ``startup`` (held, not a no-show) can hold two again
    for hhmm in ("15:00",):
        assert "errors" not in await gql.op("BookIpSlot", {"input": park.booking_values(thursday, hhmm)}, token=park.token(startup))
