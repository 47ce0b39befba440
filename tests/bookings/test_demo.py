"""The demo seeder: workstations, extra advisors, weeks of availability, past and upcoming bookings."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.core.clock import PARK_TZ
from backend.demo.seed import DemoContext, seed_registry
from cloud_incubator.bookings.demo import seed_ip_workstations
from cloud_incubator.bookings.service import bookings


async def test_demo_seeder_adds_workstations_availability_and_bookings(state, test_password_hash):
    context = DemoContext(state, password_hash=test_password_hash)
    await seed_registry(context)
    await seed_ip_workstations(context)
    assert await state.db.ip_workstations.count_documents({}) == 3
    advisors = [u async for u in state.db.users.find({"role": "ip_advisor"})]
    assert sorted(u["username"] for u in advisors) == ["ipadvisor1", "ipadvisor2", "ipadvisor3"]
    assert all(u["password_hash"] == test_password_hash for u in advisors)
    today = datetime.now(PARK_TZ).date()
    service = bookings(state)
    upcoming = await service.search_slots(today + timedelta(days=1), today + timedelta(days=28))
    assert len({v.workstation.id for v in upcoming}) == 3 and len({v.slot.local_start.date() for v in upcoming}) >= 10
    statuses = {d["status"] async for d in state.db.ip_bookings.find({})}
    assert {"booked", "held", "no_show"} <= statuses
    assert await state.db.ip_waitlist.count_documents({"status": "waiting"}) == 1
    assert any(v.taken for v in upcoming) and any(not v.taken for v in upcoming)
