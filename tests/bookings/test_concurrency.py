"""Concurrency against the real embedded database: the database, not a read-then-write check,
decides who gets a slot."""

from __future__ import annotations

import asyncio
from collections import Counter

from backend.core.errors import AppError
from tests.bookings.conftest import local, next_weekday
from tests.conftest import error_codes

N = 200


async def test_200_startups_race_for_one_slot_exactly_one_wins_and_the_waitlist_is_consistent(gql, park, state):
    startups = [await park.startup() for _ in range(N)]
    values = park.booking_values(next_weekday(1), "10:00")

    async def book_or_wait(user):
        """What a page does: book; on SLOT_TAKEN, join the waitlist."""
        result = await gql.op("BookIpSlot", {"input": values}, token=park.token(user))
        if "errors" not in result:
            return "booked", result["data"]["bookIpSlot"]["id"]
        code = error_codes(result)[0]
        if code != "SLOT_TAKEN":
            return code, None
        joined = await gql.op("JoinIpWaitlist", {"input": values}, token=park.token(user))
        return code, joined.get("data", {}).get("joinIpWaitlist", {}).get("id") if joined.get("data") else error_codes(joined)

    outcomes = await asyncio.gather(*(book_or_wait(u) for u in startups))
    assert Counter(code for code, _ in outcomes) == {"booked": 1, "SLOT_TAKEN": N - 1}
    start = local(next_weekday(1), "10:00")
    active = await state.db.ip_bookings.find({"advisor_id": park.advisor.id, "start": start, "active": True}).to_list()
    assert len(active) == 1
    winner = active[0]["startup_id"]
    # Every loser's ledger was compensated (or never touched, when it saw the slot taken before holding
    # a span): only the winner holds a span and an open count.
    ledgers = {d["_id"]: d async for d in state.db.ip_ledgers.find({})}
    assert winner in ledgers
    assert all((len(d["holds"]), d["open"].get(park.workstation_id, 0)) == ((1, 1) if sid == winner else (0, 0))
               for sid, d in ledgers.items())
    # Waitlist: the 199 losers, once each, positions 1..199 without gaps or repeats, winner absent.
    waiting = await state.db.ip_waitlist.find({"advisor_id": park.advisor.id, "start": start}).to_list()
    assert len(waiting) == N - 1 and all(w["status"] == "waiting" for w in waiting)
    assert sorted(w["seq"] for w in waiting) == list(range(1, N))
    assert len({w["startup_id"] for w in waiting}) == N - 1 and winner not in {w["startup_id"] for w in waiting}

    # The holder and the advisor cancel at the same moment: one cancellation, one promotion.
    booking_id = active[0]["_id"]
    holder = next(u for u in startups if u.startup_id == winner)

    async def cancel(user):
        try:
            await park.service.cancel(user, booking_id)
            return "ok"
        except AppError as error:
            return error.code

    assert sorted(await asyncio.gather(cancel(holder), cancel(park.advisor))) == ["BOOKING_NOT_OPEN", "ok"]
    first = min(waiting, key=lambda w: w["seq"])
    active = await state.db.ip_bookings.find({"advisor_id": park.advisor.id, "start": start, "active": True}).to_list()
    assert [(b["startup_id"], b["from_waitlist"]) for b in active] == [(first["startup_id"], True)]
    statuses = Counter([w["status"] async for w in state.db.ip_waitlist.find({"advisor_id": park.advisor.id})])
    assert statuses == {"promoted": 1, "waiting": N - 2}


async def test_concurrent_promotions_of_one_freed_slot_give_it_once(park, state):
    """Several promotion runs for the same freed slot (e.g. two processes): one booking results."""
    holder, *waiters = [await park.startup() for _ in range(6)]
    tuesday = next_weekday(1)
    booking = await park.book(holder, tuesday, "09:00")
    for user in waiters:
        await park.service.join_waitlist(user, park.workstation_id, park.advisor.id, local(tuesday, "09:00"),
                                         "patent_filing", "online", "Q")
    await state.db.ip_bookings.update_one({"_id": booking.id}, {"$set": {"status": "cancelled"}, "$unset": {"active": ""}})
    ws = await park.service.repo.workstation(park.workstation_id)
    from cloud_incubator.bookings.rules import Slot
    slot = Slot(ws.id, park.advisor.id, booking.start, booking.end)
    results = await asyncio.gather(*(park.service.promote(ws, slot) for _ in range(8)))
    assert sum(r is not None for r in results) == 1
    assert await state.db.ip_bookings.count_documents({"advisor_id": park.advisor.id, "start": booking.start,
                                                       "active": True}) == 1
    statuses = Counter([w["status"] async for w in state.db.ip_waitlist.find({})])
    assert statuses == {"promoted": 1, "waiting": 4}


async def test_one_startup_racing_for_many_slots_stays_within_its_limit_and_never_overlaps(park, state):
    startup = await park.startup()
    tuesday, thursday = next_weekday(1), next_weekday(3)
    targets = [(park.advisor, tuesday, "09:00"), (park.advisor2, tuesday, "09:00"), (park.advisor, tuesday, "10:00"),
               (park.advisor2, tuesday, "10:00"), (park.advisor, thursday, "14:00"), (park.advisor, thursday, "15:00")]

    async def attempt(advisor, day, hhmm):
        try:
            return await park.book(startup, day, hhmm, advisor=advisor)
        except AppError as error:
            return error.code

    results = await asyncio.gather(*(attempt(*t) for t in targets))
    booked = [r for r in results if not isinstance(r, str)]
    assert len(booked) == 2                                   # the workstation's limit
    assert len({b.start for b in booked}) == 2                # never two at the same time
    assert set(r for r in results if isinstance(r, str)) <= {"BOOKING_LIMIT_REACHED", "BOOKING_OVERLAP"}
    ledger = await state.db.ip_ledgers.find_one({"_id": startup.startup_id})
    assert ledger["open"][park.workstation_id] == 2 and len(ledger["holds"]) == 2


async def test_the_unique_index_decides_even_without_the_fast_path_read(park, state, monkeypatch):
    """The 'slot already taken?' read is only a shortcut: blinded, 50 racers still yield one booking."""
    startups = [await park.startup() for _ in range(50)]

    async def never_taken(*args, **kwargs):
        return None

    monkeypatch.setattr(park.service.repo, "active_at", never_taken)
    start = local(next_weekday(3), "14:00")

    async def attempt(user):
        try:
            await park.service.book(user, park.workstation_id, park.advisor.id, start, "patent_filing", "online", "Q")
            return "ok"
        except AppError as error:
            return error.code

    outcomes = Counter(await asyncio.gather(*(attempt(u) for u in startups)))
    assert outcomes == {"ok": 1, "SLOT_TAKEN": 49}
    assert await state.db.ip_bookings.count_documents({"advisor_id": park.advisor.id, "start": start, "active": True}) == 1
    held = [d async for d in state.db.ip_ledgers.find({}) if d["holds"]]
    assert len(held) == 1                  # every loser's span was released again
