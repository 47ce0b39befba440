"""A small park for booking tests: one incubator, its manager, two advisors, one workstation with weekly
availability, and startups on demand. Tokens are issued directly (no argon2 login per account)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from backend.core.clock import PARK_TZ
from backend.security import issue_token
from backend.state import AppState
from backend.users.models import Role, User
from cloud_incubator.bookings.service import BookingService, bookings

TODAY = datetime.now(PARK_TZ).date()


def next_weekday(weekday: int, weeks_ahead: int = 1) -> date:
    """The date of ``weekday`` (0 = Monday) in the week ``weeks_ahead`` weeks after this one."""
    monday = TODAY - timedelta(days=TODAY.weekday()) + timedelta(weeks=weeks_ahead)
    return monday + timedelta(days=weekday)


def local(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=PARK_TZ)


def iso(day: date, hhmm: str) -> str:
    """A slot start as the client sends it: park-local with its +08:00 offset."""
    return local(day, hhmm).isoformat()


@dataclass
class Park:
    state: AppState
    people: Any
    incubator_id: str = ""
    manager: User | None = None
    advisor: User | None = None
    advisor2: User | None = None
    workstation_id: str = ""
    counter: int = 0
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def service(self) -> BookingService:
        return bookings(self.state)

    def token(self, user: User) -> str:
        if user.id not in self.tokens:
            self.tokens[user.id] = issue_token(user.id, user.role.value, self.state.settings.resolved_jwt_secret(),
                                               timedelta(hours=2))[0]
        return self.tokens[user.id]

    async def startup(self, name: str | None = None, incubator_id: str | None = None) -> User:
        self.counter += 1
        name = name or f"startup{self.counter:03d}"
        profile = await self.state.startups.insert({"_id": f"sp-{name}", "name_zh": name, "name_en": name,
                                                    "incubator_id": incubator_id or self.incubator_id})
        return await self.people.make(name, Role.startup, startup_id=profile.id,
                                      incubator_id=incubator_id or self.incubator_id)

    def booking_values(self, day: date, hhmm: str, advisor: User | None = None, **overrides: Any) -> dict[str, Any]:
        values = {"workstationId": self.workstation_id, "advisorId": (advisor or self.advisor).id,  # type: ignore[union-attr]
                  "start": iso(day, hhmm), "topic": "patent_filing", "mode": "online",
                  "question": "How do we file a PCT application for our sensor?"}
        values.update(overrides)
        return values

    async def book(self, user: User, day: date, hhmm: str, advisor: User | None = None):
        return await self.service.book(user, self.workstation_id, (advisor or self.advisor).id,  # type: ignore[union-attr]
                                       local(day, hhmm), "patent_filing", "online", "Question")


@pytest.fixture
async def park(state, people) -> Park:
    """Workstation "Desheng IP Desk": 60-minute slots, cut-off 24 h, limit 2 open bookings; advisor
    ``adv`` on Tuesdays 09:00–12:00 and Thursdays 14:00–16:00, ``adv2`` on Tuesdays 09:00–11:00."""
    p = Park(state, people)
    p.incubator_id = await people.incubator("Booking Test Incubator")
    p.manager = await people.make("mgr", Role.manager, incubator_id=p.incubator_id)
    p.advisor = await people.make("adv", Role.ip_advisor, display_name="顾问 Adv")
    p.advisor2 = await people.make("adv2", Role.ip_advisor, display_name="顾问 Adv2")
    ws = await p.service.create_workstation(p.manager, {
        "incubator_id": p.incubator_id, "name_zh": "德胜知识产权工作站", "name_en": "Desheng IP Desk",
        "location": "德胜科技园 A 座 3 层", "languages": ["zh", "en"],
        "topics": ["patent_filing", "trademarks", "ip_navigation"], "modes": ["online", "on_site"],
        "slot_minutes": 60, "cutoff_hours": 24, "booking_limit": 2, "advisor_ids": [p.advisor.id, p.advisor2.id]})
    p.workstation_id = ws.id
    start_of_rules = TODAY - timedelta(days=14)
    await p.service.add_rule(p.advisor, ws.id, None, 1, time(9), time(12), start_of_rules, None)
    await p.service.add_rule(p.advisor, ws.id, None, 3, time(14), time(16), start_of_rules, None)
    await p.service.add_rule(p.advisor2, ws.id, None, 1, time(9), time(11), start_of_rules, None)
    return p


def now_utc() -> datetime:
    return datetime.now(UTC)


async def assert_booking_withdrawn_when_raced(park: Park, state: AppState, change: Any) -> None:
    """``await change()`` (a removal of the slot's availability, returning how many bookings it cancelled)
    lands between a booking's checks and its insert: the sweep finds nothing, and the booking sees its slot
    gone after its insert and withdraws itself (SLOT_OUTSIDE_AVAILABILITY), leaving the ledger clean."""
    from backend.core.errors import AppError

    startup = await park.startup()
    repo = park.service.repo
    original = repo.insert_booking
    counted: list[int] = []

    async def insert_after_change(document: Any) -> Any:
        counted.append(await change())
        return await original(document)

    repo.insert_booking = insert_after_change
    try:
        await park.book(startup, next_weekday(1), "10:00")
        raise AssertionError("booked a slot that no longer exists")
    except AppError as error:
        assert error.code == "SLOT_OUTSIDE_AVAILABILITY"
    finally:
        repo.insert_booking = original
    assert counted == [0]
    assert await state.db.ip_bookings.count_documents({"active": True}) == 0
    ledger = await state.db.ip_ledgers.find_one({"_id": startup.startup_id})
    assert ledger["holds"] == [] and ledger["open"].get(park.workstation_id, 0) == 0
