"""`incubench seed-demo` (and so the first `make run`) must work at any hour: between 16:00 and 24:00 UTC
the park (Beijing, UTC+8) is already on the next day."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.app import DEMO_SEEDERS
from backend.core.clock import FixedClock
from backend.demo.seed import DemoContext

EVENING_UTC = datetime(2026, 3, 10, 17, 30, tzinfo=UTC)  # 01:30 on 11 March in the park


async def test_matchmaking_demo_seeds_in_the_utc_evening(state, monkeypatch):
    monkeypatch.setattr(state.calendar, "clock", FixedClock(EVENING_UTC))
    seeders = dict(DEMO_SEEDERS)
    context = DemoContext(state)
    await seeders["registry"](context)
    await seeders["matchmaking"](context)  # its signed cooperation is dated the park's today
    [cooperation] = [c async for c in state.db["mm_cooperations"].find({})]
    assert cooperation["signed_on"] == "2026-03-11"
