"""GraphQL inputs of matchmaking. Every field is validated by the service with per-field errors."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from backend.api.types.incubator import Industry
from backend.api.types.matchmaking import CooperationType, CounterpartKind, Need, Stage


@strawberry.input(description="Only the fields given change. Amounts in 10k CNY (万元).")
class StartupProfileInput:
    name_zh: str | None = None
    name_en: str | None = None
    incubator_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required when creating; on an edit only an admin may change it (moves the "
                                  "startup with its accounts and matches)")
    industry: Industry | None = None  # type: ignore[valid-type]
    stage: Stage | None = None  # type: ignore[valid-type]
    founded_year: int | None = None
    team_size: int | None = None
    description: str | None = None
    tags: list[str] | None = None
    needs: list[Need] | None = None  # type: ignore[valid-type]
    ask_min: float | None = None
    ask_max: float | None = None
    supply_need: str | None = None
    offers: str | None = None


@strawberry.input(description="An investor profile, open call or provider offer. Only the fields given change.")
class CounterpartInput:
    kind: CounterpartKind  # type: ignore[valid-type]
    name_zh: str | None = None
    name_en: str | None = None
    organisation: str | None = None
    industries: list[Industry] | None = None  # type: ignore[valid-type]
    stages: list[Stage] | None = None  # type: ignore[valid-type]
    ticket_min: float | None = strawberry.field(default=None, description="Investors only (10k CNY)")
    ticket_max: float | None = strawberry.field(default=None, description="Investors only (10k CNY)")
    region: str | None = None
    tags: list[str] | None = None
    description: str | None = None
    services: list[Need] | None = strawberry.field(default=None, description="Providers only: ip, legal, finance, office, market")  # type: ignore[valid-type]
    deadline: date | None = strawberry.field(default=None, description="Open calls only")


@strawberry.input
class SessionParticipantInput:
    party_id: strawberry.ID
    capacity: int | None = strawberry.field(default=None, description="Maximum meetings; default from the session")
    unavailable: list[int] | None = strawberry.field(default=None, description="Slot numbers (0-based) the party cannot attend")


@strawberry.input(description="A matchmaking session: time slots, meeting length, participants and their capacities.")
class CreateSessionInput:
    title: str
    slots: list[datetime]
    meeting_minutes: int
    startups: list[SessionParticipantInput]
    counterparts: list[SessionParticipantInput]
    startup_capacity: int = 3
    counterpart_capacity: int = 6
    incubator_id: strawberry.ID | None = None


@strawberry.input(description="A signed cooperation (合作签约) concluded from a match. Amount in 10k CNY.")
class CooperationInput:
    match_id: strawberry.ID
    type: CooperationType  # type: ignore[valid-type]
    signed_on: date
    amount: float | None = None
    note: str | None = None
