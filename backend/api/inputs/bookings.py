from __future__ import annotations

from datetime import date, datetime, time

import strawberry


@strawberry.input
class CreateIpWorkstationInput:
    incubator_id: strawberry.ID
    name_zh: str
    name_en: str
    location: str
    languages: list[str] = strawberry.field(description="Codes: zh, en")
    topics: list[str] = strawberry.field(description="Codes from ipCatalogue.topics")
    modes: list[str] = strawberry.field(description="Codes: online, on_site")
    slot_minutes: int = 60
    cutoff_hours: int = 24
    booking_limit: int = 2
    advisor_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(description="Only the fields given change.")
class UpdateIpWorkstationInput:
    name_zh: str | None = None
    name_en: str | None = None
    location: str | None = None
    languages: list[str] | None = None
    topics: list[str] | None = None
    modes: list[str] | None = None
    cutoff_hours: int | None = None
    booking_limit: int | None = None
    advisor_ids: list[strawberry.ID] | None = None


@strawberry.input(description="A weekly window in Asia/Shanghai wall time, e.g. weekday 2, 09:00–12:00.")
class AvailabilityRuleInput:
    workstation_id: strawberry.ID
    advisor_id: strawberry.ID | None = strawberry.field(default=None, description="Defaults to the signed-in advisor.")
    weekday: int
    start_time: time = strawberry.field(description="HH:MM park-local, no offset")
    end_time: time
    valid_from: date
    valid_until: date | None = None


@strawberry.input
class AvailabilityExceptionInput:
    workstation_id: strawberry.ID
    advisor_id: strawberry.ID | None = None
    date: date
    start_time: time | None = strawberry.field(default=None, description="Leave empty for the whole day.")
    end_time: time | None = None
    reason: str = ""


@strawberry.input
class IpSlotFilterInput:
    from_date: date = strawberry.field(name="from")
    to_date: date = strawberry.field(name="to")
    workstation_id: strawberry.ID | None = None
    incubator_id: strawberry.ID | None = None
    topic: str | None = None
    language: str | None = None
    mode: str | None = None
    include_taken: bool = True


@strawberry.input(description="Book a slot: the start must carry its time-zone offset.")
class BookIpSlotInput:
    workstation_id: strawberry.ID
    advisor_id: strawberry.ID
    start: datetime
    topic: str
    mode: str
    question: str
