from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import Info

from cloud_incubator.bookings import models
from cloud_incubator.bookings.rules import LANGUAGES, MODES, PARK_TZ, TOPICS
from cloud_incubator.bookings.service import SlotView, bookings

BookingStatus = strawberry.enum(Enum("IpBookingStatus", {m.name.upper(): m.value for m in models.BookingStatus}),
                                description="booked 已预约 / cancelled 已取消 / held 已咨询 / no_show 爽约")
WaitStatus = strawberry.enum(Enum("IpWaitStatus", {m.name.upper(): m.value for m in models.WaitStatus}),
                             description="waiting / promoting / promoted (got the slot) / skipped (could not be promoted) / left")


@strawberry.enum(description="Outcome an advisor records after a consultation.")
class AttendanceOutcome(Enum):
    HELD = "held"
    NO_SHOW = "no_show"


@strawberry.type(description="A catalogue entry (topic, language or mode) with its code and names.")
class IpCatalogueEntry:
    code: str
    name_zh: str
    name_en: str


def catalogue(entries: dict[str, tuple[str, str]]) -> list[IpCatalogueEntry]:
    return [IpCatalogueEntry(code=k, name_zh=zh, name_en=en) for k, (zh, en) in entries.items()]


@strawberry.type
class IpCatalogue:
    topics: list[IpCatalogueEntry]
    languages: list[IpCatalogueEntry]
    modes: list[IpCatalogueEntry]


def full_catalogue() -> IpCatalogue:
    return IpCatalogue(topics=catalogue(TOPICS), languages=catalogue(LANGUAGES), modes=catalogue(MODES))


@strawberry.type(description="An IP advisor (知识产权顾问) as shown to startups.")
class IpAdvisor:
    id: strawberry.ID
    display_name: str
    organisation: str


async def _advisors(info: Info, ids: list[str]) -> list[IpAdvisor]:
    users = await info.context.loaders.user.load_many(ids)
    return [IpAdvisor(id=strawberry.ID(u.id), display_name=u.display_name, organisation=u.organisation)
            for u in users if u is not None]


@strawberry.type(description="An IP public-service workstation (知识产权公共服务工作站) of an incubator.")
class IpWorkstation:
    id: strawberry.ID
    incubator_id: strawberry.ID
    name_zh: str
    name_en: str
    location: str
    languages: list[str]
    topics: list[str]
    modes: list[str]
    slot_minutes: int
    cutoff_hours: int = strawberry.field(description="Cancel/reschedule allowed until this many hours before the start.")
    booking_limit: int = strawberry.field(description="Open bookings a startup may hold here (less no-shows of the last 90 days).")
    advisor_ids: list[strawberry.ID]
    cancelled_bookings: int | None = strawberry.field(default=None, description=(
        "Only in updateIpWorkstation's result: future bookings cancelled because their advisor was taken off "
        "this workstation (cancelReason ADVISOR_REMOVED; their startups were notified, their waitlists closed)."))

    @strawberry.field
    async def advisors(self, info: Info) -> list[IpAdvisor]:
        return await _advisors(info, [str(a) for a in self.advisor_ids])

    @classmethod
    def from_model(cls, w: models.Workstation) -> IpWorkstation:
        return cls(id=strawberry.ID(w.id), incubator_id=strawberry.ID(w.incubator_id), name_zh=w.name_zh,
                   name_en=w.name_en, location=w.location, languages=w.languages, topics=w.topics, modes=w.modes,
                   slot_minutes=w.slot_minutes, cutoff_hours=w.cutoff_hours, booking_limit=w.booking_limit,
                   advisor_ids=[strawberry.ID(a) for a in w.advisor_ids])


@strawberry.type(description="A bookable consultation slot derived from an advisor's weekly availability.")
class IpSlot:
    workstation_id: strawberry.ID
    advisor_id: strawberry.ID
    start: datetime
    end: datetime
    local_date: date = strawberry.field(description="Date in Asia/Shanghai")
    local_start: str = strawberry.field(description="HH:MM in Asia/Shanghai")
    taken: bool
    waitlist_length: int

    @strawberry.field
    async def advisor(self, info: Info) -> IpAdvisor | None:
        found = await _advisors(info, [str(self.advisor_id)])
        return found[0] if found else None

    @classmethod
    def from_view(cls, view: SlotView) -> IpSlot:
        local = view.slot.start.astimezone(PARK_TZ)
        return cls(workstation_id=strawberry.ID(view.slot.workstation_id), advisor_id=strawberry.ID(view.slot.advisor_id),
                   start=view.slot.start, end=view.slot.end, local_date=local.date(), local_start=local.strftime("%H:%M"),
                   taken=view.taken, waitlist_length=view.waiting)


@strawberry.type
class IpAttachment:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int
    created_at: datetime
    download_url: str


@strawberry.type(description="A booked IP consultation.")
class IpBooking:
    id: strawberry.ID
    workstation_id: strawberry.ID
    incubator_id: strawberry.ID
    advisor_id: strawberry.ID
    startup_id: strawberry.ID
    start: datetime
    end: datetime
    topic: str
    mode: str
    question: str
    status: BookingStatus  # type: ignore[valid-type]
    sequence: int = strawberry.field(description="iCalendar SEQUENCE: raised by each reschedule and the cancellation.")
    from_waitlist: bool
    cancel_reason: str | None = strawberry.field(description=(
        "Set when the system cancelled the booking because its slot no longer exists: AVAILABILITY_REMOVED "
        "(the advisor's weekly rule was removed), ADVISOR_LEAVE (leave now covers it) or ADVISOR_REMOVED (the "
        "advisor was taken off the workstation); null otherwise."))
    created_at: datetime
    updated_at: datetime
    ics_url: str
    meeting_url: str | None = strawberry.field(description="Online consultations: the advisor's meeting link.")
    _note: strawberry.Private[str | None]
    _model: strawberry.Private[models.Booking]

    @strawberry.field(description="The advisor's private consultation note: the advisor and the booking startup read it.")
    def advisor_note(self, info: Info) -> str | None:
        user = info.context.user
        if user is None or not bookings(info.context.state).can_read_note(user, self._model):
            return None
        return self._note

    @strawberry.field
    async def advisor(self, info: Info) -> IpAdvisor | None:
        found = await _advisors(info, [str(self.advisor_id)])
        return found[0] if found else None

    @strawberry.field(description="Who booked: the startup (names) and the account that booked for it.")
    async def booked_by(self, info: Info) -> IpBookingParty:
        startup = await info.context.loaders.startup.load(str(self.startup_id))
        person = (await info.context.state.users.by_ids([self._model.user_id]))[0]
        return IpBookingParty(startup_name_zh=startup.name_zh if startup else "",
                              startup_name_en=startup.name_en if startup else "",
                              person_name=person.display_name if person else "")

    @strawberry.field
    async def workstation(self, info: Info) -> IpWorkstation | None:
        found = await info.context.loaders.ip_workstation.load(str(self.workstation_id))
        return IpWorkstation.from_model(found) if found else None

    @strawberry.field
    async def attachments(self, info: Info) -> list[IpAttachment]:
        rows = await bookings(info.context.state).repo.attachments_of(str(self.id))
        return [IpAttachment(id=strawberry.ID(a.id), filename=a.filename, content_type=a.content_type, size=a.size,
                             created_at=a.created_at, download_url=f"/api/bookings/attachments/{a.id}") for a in rows]

    @classmethod
    def from_model(cls, b: models.Booking) -> IpBooking:
        return cls(id=strawberry.ID(b.id), workstation_id=strawberry.ID(b.workstation_id),
                   incubator_id=strawberry.ID(b.incubator_id), advisor_id=strawberry.ID(b.advisor_id),
                   startup_id=strawberry.ID(b.startup_id), start=b.start, end=b.end, topic=b.topic, mode=b.mode,
                   question=b.question, status=BookingStatus(b.status.value), sequence=b.sequence,
                   from_waitlist=b.from_waitlist, cancel_reason=b.cancel_reason, created_at=b.created_at, updated_at=b.updated_at,
                   ics_url=f"/api/bookings/{b.id}.ics", meeting_url=b.meeting_url, _note=b.note, _model=b)


@strawberry.type(description="Who booked a consultation.")
class IpBookingParty:
    startup_name_zh: str
    startup_name_en: str
    person_name: str


@strawberry.type(description="A place on a full slot's waitlist (候补).")
class IpWaitlistEntry:
    id: strawberry.ID
    workstation_id: strawberry.ID
    advisor_id: strawberry.ID
    start: datetime
    status: WaitStatus  # type: ignore[valid-type]
    position: int | None = strawberry.field(description="1 = next to be promoted; null once not waiting.")
    booking_id: strawberry.ID | None
    reason: str | None

    @classmethod
    def from_model(cls, e: models.WaitEntry, position: int | None) -> IpWaitlistEntry:
        return cls(id=strawberry.ID(e.id), workstation_id=strawberry.ID(e.workstation_id),
                   advisor_id=strawberry.ID(e.advisor_id), start=e.start, status=WaitStatus(e.status.value),
                   position=position, booking_id=strawberry.ID(e.booking_id) if e.booking_id else None, reason=e.reason)


@strawberry.type(description="A weekly availability window in Asia/Shanghai wall time.")
class AvailabilityRule:
    id: strawberry.ID
    workstation_id: strawberry.ID
    weekday: int = strawberry.field(description="0 = Monday … 6 = Sunday")
    start_time: str
    end_time: str
    valid_from: date
    valid_until: date | None

    @classmethod
    def from_model(cls, r: models.RuleDoc) -> AvailabilityRule:
        return cls(id=strawberry.ID(r.id), workstation_id=strawberry.ID(r.workstation_id), weekday=r.weekday,
                   start_time=r.start, end_time=r.end, valid_from=r.valid_from, valid_until=r.valid_until)


@strawberry.type(description="A day (or part of one) the advisor is away: holiday, leave.")
class AvailabilityException:
    id: strawberry.ID
    date: date
    start_time: str | None
    end_time: str | None
    reason: str
    cancelled_bookings: int | None = strawberry.field(description=(
        "Future bookings cancelled because this leave covers their slots (their startups were notified); "
        "shown to the advisor, managers and admins only."))

    @classmethod
    def from_model(cls, e: models.ExceptionDoc) -> AvailabilityException:
        return cls(id=strawberry.ID(e.id), date=e.on, start_time=e.start, end_time=e.end, reason=e.reason,
                   cancelled_bookings=e.cancelled_bookings)


@strawberry.type(description="The result of removing an availability rule.")
class AvailabilityRuleRemoval:
    removed: bool
    cancelled_bookings: int = strawberry.field(description=(
        "Future bookings cancelled because their slots went with the rule (status CANCELLED, cancelReason "
        "AVAILABILITY_REMOVED; their startups were notified and their waitlists closed)."))


@strawberry.type
class AdvisorSchedule:
    advisor_id: strawberry.ID
    rules: list[AvailabilityRule]
    exceptions: list[AvailabilityException]
    ics_url: str


@strawberry.type
class TopicCount:
    topic: str
    count: int


@strawberry.type(description="IP-workstation activity of an incubator in a quarter (feeds mentoring/conversion).")
class IpWorkstationStats:
    incubator_id: strawberry.ID
    quarter: str
    workstations: int
    consultations_booked: int
    consultations_held: int
    no_shows: int
    cancelled: int
    no_show_rate: float | None
    startups_served: int
    topics: list[TopicCount]
