"""Bookings over /ws/v1 against a live server: watching pages see slots taken and freed, booking and
waiting through the socket, promotion notices on the personal topic, coded errors."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import httpx
import pytest

from backend.users.models import NewUser, Role
from tests.bookings.conftest import iso, next_weekday
from tests.cloud.conftest import Sockets, token_for
from tests.conftest import TEST_PASSWORD, GraphQLClient


@pytest.fixture
async def sockets(live_server: Any):
    hub = Sockets(live_server.ws_url)
    yield hub
    await hub.close_all()


@pytest.fixture
def live_park(live_server: Any) -> dict[str, Any]:
    """On the live server: a workstation, advisor ``adv`` on Tuesdays 09:00–12:00, three startups."""
    from cloud_incubator.bookings.service import bookings

    state = live_server.state

    async def setup() -> dict[str, Any]:
        incubator = (await state.incubator_service.create({
            "name_zh": "套接字测试孵化器", "name_en": "Socket Incubator", "kind": "incubator", "accreditation": "municipal",
            "sub_area": "desheng", "industries": ["fintech"], "founded_on": date(2015, 1, 1), "floor_area": 1000.0,
            "operator": "测试"})).id

        async def user(name: str, role: Role, **fields: Any):
            return await state.user_service.create_user(NewUser(username=name, display_name=name, role=role,
                                                                password=TEST_PASSWORD, **fields))
        manager = await user("ws-mgr", Role.manager, incubator_id=incubator)
        advisor = await user("ws-adv", Role.ip_advisor)
        service = bookings(state)
        ws = await service.create_workstation(manager, {
            "incubator_id": incubator, "name_zh": "工作站", "name_en": "Live Desk", "location": "A", "languages": ["zh"],
            "topics": ["patent_filing"], "modes": ["online"], "slot_minutes": 60, "cutoff_hours": 1,
            "booking_limit": 2, "advisor_ids": [advisor.id]})
        await service.add_rule(advisor, ws.id, None, 1, time(9), time(12), date.today() - timedelta(days=7), None)
        startups = []
        for n in range(3):
            await state.startups.insert({"_id": f"ws-sp-{n}", "name_zh": f"企业{n}", "name_en": f"S{n}",
                                         "incubator_id": incubator})
            startups.append(await user(f"ws-startup{n}", Role.startup, startup_id=f"ws-sp-{n}", incubator_id=incubator))
        return {"ws": ws.id, "advisor": advisor, "startups": startups}

    return live_server.run_coroutine(setup())  # type: ignore[no-any-return]


def book_payload(p: dict[str, Any], hhmm: str, **overrides: Any) -> dict[str, Any]:
    return {"workstation_id": p["ws"], "advisor_id": p["advisor"].id, "start": iso(next_weekday(1), hhmm),
            "topic": "patent_filing", "mode": "online", "question": "专利问题", **overrides}


async def test_watching_page_sees_a_slot_taken_over_graphql_and_freed(live_server, live_park, sockets: Sockets):
    a, watcher_user = live_park["startups"][0], live_park["startups"][1]
    watcher = await sockets.connect(watcher_user)
    tuesday = next_weekday(1)
    snapshot = await watcher.ok("booking.watch", {"workstation_id": live_park["ws"], "from": tuesday.isoformat(),
                                                 "to": tuesday.isoformat()})
    assert snapshot["topic"] == f"bookings:{live_park['ws']}"
    assert [(s["taken"]) for s in snapshot["slots"]] == [False, False, False]
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=30) as http:
        gql = GraphQLClient(http)
        values = {"workstationId": live_park["ws"], "advisorId": live_park["advisor"].id, "start": iso(tuesday, "10:00"),
                  "topic": "patent_filing", "mode": "online", "question": "Q"}
        booked = await gql.op("BookIpSlot", {"input": values}, token=token_for(a))
        booking_id = booked["data"]["bookIpSlot"]["id"]
        taken = await watcher.event("slot.taken")
        assert taken["topic"] == f"bookings:{live_park['ws']}"
        assert taken["data"]["advisorId"] == live_park["advisor"].id and taken["data"]["bookingId"] == booking_id
        assert taken["data"]["start"] == booked["data"]["bookIpSlot"]["start"]
        await gql.op("CancelIpBooking", {"bookingId": booking_id}, token=token_for(a))
        freed = await watcher.event("slot.freed")
        assert freed["data"]["start"] == taken["data"]["start"] and "bookingId" not in freed["data"]
    await watcher.ok("booking.unwatch", {"workstation_id": live_park["ws"]})


async def test_book_wait_and_promotion_through_the_socket(live_park, sockets: Sockets):
    a, b, watcher_user = live_park["startups"]
    sa, sb = await sockets.connect(a), await sockets.connect(b)
    watcher = await sockets.connect(watcher_user)
    await watcher.ok("booking.watch", {"workstation_id": live_park["ws"]})
    booked = (await sa.ok("booking.book", book_payload(live_park, "09:00")))["booking"]
    assert booked["status"] == "booked"
    await watcher.event("slot.taken")
    refused = await sb.request("booking.book", book_payload(live_park, "09:00"))
    assert refused["type"] == "error" and refused["code"] == "booking.slot_taken"
    assert refused["details"]["field"] == "start"
    entry = (await sb.ok("booking.join_waitlist", book_payload(live_park, "09:00")))["entry"]
    assert entry["position"] == 1 and entry["status"] == "waiting"
    cancelled = (await sa.ok("booking.cancel", {"booking_id": booked["id"]}))["booking"]
    assert cancelled["status"] == "cancelled" and cancelled["sequence"] == 1
    promoted = await sb.event("booking.promoted")
    assert promoted["topic"] == f"user:{b.id}" and promoted["data"]["waitlistEntryId"] == entry["id"]
    # the watcher sees the slot taken again by the promoted startup, never freed in between
    again = await watcher.event("slot.taken")
    assert again["data"]["bookingId"] == promoted["data"]["bookingId"]
    assert not [e for e in watcher.events if e["event"] == "slot.freed"]
    moved = await sb.ok("booking.reschedule", {"booking_id": promoted["data"]["bookingId"],
                                               "start": iso(next_weekday(1), "11:00")})
    assert moved["booking"]["sequence"] == 1
    await watcher.event("slot.freed")
    # the advisor cancels it: the startup is told on its personal topic
    advisor = await sockets.connect(live_park["advisor"])
    await advisor.ok("booking.cancel", {"booking_id": moved["booking"]["id"]})
    notice = await sb.event("booking.cancelled")
    assert notice["data"]["bookingId"] == moved["booking"]["id"] and notice["topic"] == f"user:{b.id}"


async def test_socket_errors_are_coded(live_park, sockets: Sockets):
    client = await sockets.connect(live_park["startups"][0])
    naive = await client.request("booking.book", book_payload(live_park, "10:00",
                                                              start=f"{next_weekday(1).isoformat()}T10:00:00"))
    assert naive["code"] == "booking.bad_input" and naive["details"]["field"] == "start"
    past = await client.request("booking.book", book_payload(live_park, "10:00", start=iso(next_weekday(1, -1), "10:00")))
    assert past["code"] == "booking.slot_in_past"
    outside = await client.request("booking.book", book_payload(live_park, "10:00", start=iso(next_weekday(1), "13:00")))
    assert outside["code"] == "booking.slot_outside_availability"
    unknown = await client.request("booking.watch", {"workstation_id": "nope"})
    assert unknown["code"] == "not_found"
    missing = await client.request("booking.book", {"workstation_id": live_park["ws"]})
    assert missing["code"] == "payload.invalid"
    advisor = await sockets.connect(live_park["advisor"])
    forbidden = await advisor.request("booking.book", book_payload(live_park, "10:00"))
    assert forbidden["code"] == "forbidden"


async def test_removed_availability_tells_the_startup_the_waiters_and_the_open_pages(live_server, live_park,
                                                                                     sockets: Sockets):
    a, b, watcher_user = live_park["startups"]
    sa, sb, watcher = await sockets.connect(a), await sockets.connect(b), await sockets.connect(watcher_user)
    await watcher.ok("booking.watch", {"workstation_id": live_park["ws"]})
    booked = (await sa.ok("booking.book", book_payload(live_park, "10:00")))["booking"]
    entry = (await sb.ok("booking.join_waitlist", book_payload(live_park, "10:00")))["entry"]
    await watcher.event("slot.taken")
    advisor = live_park["advisor"]
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=30) as http:
        gql = GraphQLClient(http)
        schedule = (await gql.op("AdvisorSchedule", {"advisorId": advisor.id}, token=token_for(advisor)))["data"]
        rule = schedule["advisorSchedule"]["rules"][0]["id"]
        removed = await gql.op("RemoveAvailabilityRule", {"advisorId": advisor.id, "ruleId": rule},
                               token=token_for(advisor))
    assert removed["data"]["removeAvailabilityRule"] == {"removed": True, "cancelledBookings": 1}
    notice = await sa.event("booking.cancelled")
    assert notice["topic"] == f"user:{a.id}"
    assert (notice["data"]["bookingId"], notice["data"]["reason"]) == (booked["id"], "AVAILABILITY_REMOVED")
    closed = await sb.event("booking.waitlist_closed")
    assert closed["topic"] == f"user:{b.id}"
    assert (closed["data"]["waitlistEntryId"], closed["data"]["reason"]) == (entry["id"], "AVAILABILITY_REMOVED")
    changed = await watcher.event("slots.changed")
    assert changed["topic"] == f"bookings:{live_park['ws']}"
    assert changed["data"]["advisorId"] == advisor.id and changed["data"]["cancelled"] == [booked["start"]]
    # the slot vanished: it was never offered as free (nor promoted to the waiter)
    assert not [e for e in watcher.events if e["event"] == "slot.freed"]
    assert not [e for e in sb.events if e["event"] == "booking.promoted"]


async def test_a_question_over_the_limit_is_refused_by_the_socket_schema(live_park, sockets: Sockets):
    """2,000 characters is the limit (GraphQL and the service say so): the socket schema allowed 4,000 and
    left the service to refuse 2,001–4,000 with a different error than 4,001."""
    client = await sockets.connect(live_park["startups"][0])
    for length in (2001, 4000):
        refused = await client.request("booking.book", book_payload(live_park, "10:00", question="问" * length))
        assert refused["code"] == "payload.invalid", length
        assert [issue["field"] for issue in refused["details"]["issues"]] == ["question"]
    booked = await client.ok("booking.book", book_payload(live_park, "10:00", question="问" * 2000))
    assert booked["booking"]["id"]
