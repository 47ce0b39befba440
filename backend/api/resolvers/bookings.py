from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry import Info

from backend.api.inputs.bookings import (
    AvailabilityExceptionInput,
    AvailabilityRuleInput,
    BookIpSlotInput,
    CreateIpWorkstationInput,
    IpSlotFilterInput,
    UpdateIpWorkstationInput,
)
from backend.api.permissions import IsAuthenticated, OwnIncubator, roles
from backend.api.types.bookings import (
    AdvisorSchedule,
    AttendanceOutcome,
    AvailabilityException,
    AvailabilityRule,
    AvailabilityRuleRemoval,
    IpAdvisor,
    IpBooking,
    IpCatalogue,
    IpSlot,
    IpWaitlistEntry,
    IpWorkstation,
    IpWorkstationStats,
    TopicCount,
    full_catalogue,
)
from backend.errors import BadUserInput, NotFound
from backend.users.models import Role
from cloud_incubator.bookings.service import bookings, workstation_stats


def _values(payload: object) -> dict[str, object]:
    values: dict[str, object] = {}
    for f in dataclasses.fields(payload):  # type: ignore[arg-type]
        value = getattr(payload, f.name)
        values[f.name] = [str(v) for v in value] if f.name == "advisor_ids" and value is not None else value
    return values


def _no_offset(value: object, field: str) -> None:
    if value is not None and getattr(value, "tzinfo", None) is not None:
        raise BadUserInput.single(field, "Give a park-local wall time (Asia/Shanghai) without an offset.",
                                  "请填写园区本地时间（北京时间），不带时区偏移。")


@strawberry.type
class BookingQueries:
    @strawberry.field(description="Topics, languages and modes an IP workstation may offer.")
    def ip_catalogue(self) -> IpCatalogue:
        return full_catalogue()

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def ip_workstations(self, info: Info, incubator_id: strawberry.ID | None = None,
                              topic: str | None = None) -> list[IpWorkstation]:
        rows = await bookings(info.context.state).repo.find_workstations(
            incubator_id=str(incubator_id) if incubator_id else None, topic=topic)
        return [IpWorkstation.from_model(w) for w in rows]

    @strawberry.field(permission_classes=[roles(Role.admin, Role.manager)],
                      description="Active IP-advisor accounts (to staff a workstation), by display name.")
    async def ip_advisors(self, info: Info) -> list[IpAdvisor]:
        users = info.context.state.users
        found, after = [], None
        while True:   # pages of the (role, username) index; a park has tens of advisors, not thousands
            page = await users.list(Role.ip_advisor.value, after, 500)
            found += [u for u in page if u.active]
            if len(page) < 500 or len(found) >= 5000:
                break
            after = page[-1].username
        found.sort(key=lambda u: (u.display_name, u.username))
        return [IpAdvisor(id=strawberry.ID(u.id), display_name=u.display_name, organisation=u.organisation)
                for u in found]

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def ip_workstation(self, info: Info, id: strawberry.ID) -> IpWorkstation:
        found = await bookings(info.context.state).repo.workstation(str(id))
        if found is None:
            raise NotFound("No IP workstation has this id.", "不存在此编号的知识产权工作站。", field="id")
        return IpWorkstation.from_model(found)

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Slots by date range (park-local dates), workstation, topic, language, mode.")
    async def ip_slots(self, info: Info, filter: IpSlotFilterInput) -> list[IpSlot]:
        views = await bookings(info.context.state).search_slots(
            filter.from_date, filter.to_date, workstation_id=str(filter.workstation_id) if filter.workstation_id else None,
            incubator_id=str(filter.incubator_id) if filter.incubator_id else None, topic=filter.topic,
            language=filter.language, mode=filter.mode, include_taken=filter.include_taken)
        return [IpSlot.from_view(v) for v in views]

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def ip_booking(self, info: Info, id: strawberry.ID) -> IpBooking:
        service = bookings(info.context.state)
        found = await service.repo.booking(str(id))
        if found is None or not await service.can_view(info.context.require_user(), found):
            raise NotFound("No booking has this id.", "不存在此编号的预约。", field="id")
        return IpBooking.from_model(found)

    @strawberry.field(permission_classes=[roles(Role.startup)], description="The signed-in startup's bookings.")
    async def my_ip_bookings(self, info: Info, from_date: Annotated[date, strawberry.argument(name="from")],
                             to_date: Annotated[date, strawberry.argument(name="to")]) -> list[IpBooking]:
        rows = await bookings(info.context.state).my_bookings(info.context.require_user(), from_date, to_date)
        return [IpBooking.from_model(b) for b in rows]

    @strawberry.field(permission_classes=[roles(Role.startup)])
    async def my_ip_waitlist(self, info: Info) -> list[IpWaitlistEntry]:
        service = bookings(info.context.state)
        user = info.context.require_user()
        now = service.clock()
        # a wait for a slot that has begun is moot: it is not shown (nor offered to be left)
        entries = [e for e in await service.repo.waits_of_startup(user.startup_id or "") if e.start > now]
        return [IpWaitlistEntry.from_model(e, await service.waitlist_position(e)) for e in entries]

    @strawberry.field(permission_classes=[roles(Role.ip_advisor, Role.admin, Role.manager)],
                      description="An advisor's consultations on one park-local day (defaults to the signed-in advisor).")
    async def advisor_day(self, info: Info, date: date, advisor_id: strawberry.ID | None = None) -> list[IpBooking]:
        rows = await bookings(info.context.state).advisor_day(info.context.require_user(),
                                                               str(advisor_id) if advisor_id else None, date)
        return [IpBooking.from_model(b) for b in rows]

    @strawberry.field(permission_classes=[roles(Role.admin, Role.manager, Role.ip_advisor)],
                      description="How many future bookings removing this weekly window would cancel now "
                                  "(the page asks before removing it).")
    async def availability_rule_removal_impact(self, info: Info, advisor_id: strawberry.ID,
                                               rule_id: strawberry.ID) -> int:
        return await bookings(info.context.state).rule_removal_impact(info.context.require_user(), str(advisor_id),
                                                                      str(rule_id))

    @strawberry.field(permission_classes=[roles(Role.admin, Role.manager, Role.ip_advisor)],
                      description="How many future bookings adding this leave would cancel now (asked before adding "
                                  "it; the reason is not needed).")
    async def availability_exception_impact(self, info: Info, input: AvailabilityExceptionInput) -> int:
        _no_offset(input.start_time, "startTime")
        _no_offset(input.end_time, "endTime")
        return await bookings(info.context.state).exception_impact(
            info.context.require_user(), str(input.workstation_id), str(input.advisor_id) if input.advisor_id else None,
            input.date, input.start_time, input.end_time)

    @strawberry.field(permission_classes=[roles(Role.admin, Role.manager)],
                      description="How many future bookings saving the workstation with only these advisors would "
                                  "cancel now (those of the advisors it drops; asked before saving).")
    async def ip_workstation_advisor_removal_impact(self, info: Info, workstation_id: strawberry.ID,
                                                    advisor_ids: list[strawberry.ID]) -> int:
        return await bookings(info.context.state).advisor_removal_impact(
            info.context.require_user(), str(workstation_id), [str(a) for a in advisor_ids])

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def advisor_schedule(self, info: Info, advisor_id: strawberry.ID) -> AdvisorSchedule:
        schedule = await bookings(info.context.state).schedule(str(advisor_id))
        user = info.context.require_user()
        exceptions = [AvailabilityException.from_model(e) for e in schedule.exceptions]
        if user.id != schedule.advisor_id and user.role not in (Role.admin, Role.manager):
            for exception in exceptions:   # why an advisor is away is not the startups' business
                exception.reason = ""
                exception.cancelled_bookings = None
        return AdvisorSchedule(advisor_id=strawberry.ID(schedule.advisor_id),
                               rules=[AvailabilityRule.from_model(r) for r in schedule.rules],
                               exceptions=exceptions,
                               ics_url=f"/api/advisors/{schedule.advisor_id}/schedule.ics")

    @strawberry.field(permission_classes=[OwnIncubator],
                      description="Consultations held, topics, no-show rate of an incubator's IP workstations in a quarter.")
    async def ip_workstation_stats(self, info: Info, incubator_id: strawberry.ID, quarter: str) -> IpWorkstationStats:
        stats = await workstation_stats(info.context.state, str(incubator_id), quarter)
        return IpWorkstationStats(
            incubator_id=strawberry.ID(stats["incubatorId"]), quarter=stats["quarter"], workstations=stats["workstations"],
            consultations_booked=stats["consultationsBooked"], consultations_held=stats["consultationsHeld"],
            no_shows=stats["noShows"], cancelled=stats["cancelled"], no_show_rate=stats["noShowRate"],
            startups_served=stats["startupsServed"],
            topics=[TopicCount(topic=t, count=n) for t, n in stats["topics"].items()])


@strawberry.type
class BookingMutations:
    @strawberry.mutation(permission_classes=[roles(Role.admin, Role.manager)])
    async def create_ip_workstation(self, info: Info, input: CreateIpWorkstationInput) -> IpWorkstation:
        values = _values(input)
        values["incubator_id"] = str(values["incubator_id"])
        created = await bookings(info.context.state).create_workstation(info.context.require_user(), values)
        return IpWorkstation.from_model(created)

    @strawberry.mutation(permission_classes=[roles(Role.admin, Role.manager)],
                         description="Only the fields given change. An advisor left out of advisorIds loses their "
                                     "hours here and their future bookings here are cancelled (cancelReason "
                                     "ADVISOR_REMOVED; cancelledBookings counts them). Dropping a topic or mode "
                                     "refuses new bookings only.")
    async def update_ip_workstation(self, info: Info, workstation_id: strawberry.ID,
                                    input: UpdateIpWorkstationInput) -> IpWorkstation:
        update = await bookings(info.context.state).update_workstation(info.context.require_user(), str(workstation_id),
                                                                       _values(input))
        result = IpWorkstation.from_model(update.workstation)
        result.cancelled_bookings = update.cancelled
        return result

    @strawberry.mutation(permission_classes=[roles(Role.admin, Role.manager, Role.ip_advisor)],
                         description="Add a weekly availability window; overlapping an existing one is refused.")
    async def add_availability_rule(self, info: Info, input: AvailabilityRuleInput) -> AvailabilityRule:
        _no_offset(input.start_time, "startTime")
        _no_offset(input.end_time, "endTime")
        rule = await bookings(info.context.state).add_rule(
            info.context.require_user(), str(input.workstation_id), str(input.advisor_id) if input.advisor_id else None,
            input.weekday, input.start_time, input.end_time, input.valid_from, input.valid_until)
        return AvailabilityRule.from_model(rule)

    @strawberry.mutation(permission_classes=[roles(Role.admin, Role.manager, Role.ip_advisor)],
                         description="Remove a weekly window. Future bookings in its slots are cancelled "
                                     "(cancelReason AVAILABILITY_REMOVED), their startups notified; the result counts them.")
    async def remove_availability_rule(self, info: Info, advisor_id: strawberry.ID,
                                       rule_id: strawberry.ID) -> AvailabilityRuleRemoval:
        removal = await bookings(info.context.state).remove_rule(info.context.require_user(), str(advisor_id),
                                                                 str(rule_id))
        return AvailabilityRuleRemoval(removed=removal.removed, cancelled_bookings=removal.cancelled)

    @strawberry.mutation(permission_classes=[roles(Role.admin, Role.manager, Role.ip_advisor)],
                         description="Add leave (a day or a window). Future bookings it covers are cancelled "
                                     "(cancelReason ADVISOR_LEAVE), their startups notified; cancelledBookings counts them.")
    async def add_availability_exception(self, info: Info, input: AvailabilityExceptionInput) -> AvailabilityException:
        _no_offset(input.start_time, "startTime")
        _no_offset(input.end_time, "endTime")
        created = await bookings(info.context.state).add_exception(
            info.context.require_user(), str(input.workstation_id), str(input.advisor_id) if input.advisor_id else None,
            input.date, input.start_time, input.end_time, input.reason)
        return AvailabilityException.from_model(created)

    @strawberry.mutation(permission_classes=[roles(Role.admin, Role.manager, Role.ip_advisor)],
                         description="Withdraw a leave or exception (e.g. entered by mistake): its slots return.")
    async def remove_availability_exception(self, info: Info, advisor_id: strawberry.ID,
                                            exception_id: strawberry.ID) -> bool:
        return await bookings(info.context.state).remove_exception(info.context.require_user(), str(advisor_id),
                                                                   str(exception_id))

    @strawberry.mutation(permission_classes=[roles(Role.startup)],
                         description="Book a slot. Errors: SLOT_TAKEN, SLOT_IN_PAST, SLOT_OUTSIDE_AVAILABILITY, "
                                     "BOOKING_LIMIT_REACHED, BOOKING_OVERLAP, BAD_USER_INPUT.")
    async def book_ip_slot(self, info: Info, input: BookIpSlotInput) -> IpBooking:
        booking = await bookings(info.context.state).book(
            info.context.require_user(), str(input.workstation_id), str(input.advisor_id), input.start, input.topic,
            input.mode, input.question)
        return IpBooking.from_model(booking)

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Cancel (startups until the workstation's cut-off); promotes the first waiting startup.")
    async def cancel_ip_booking(self, info: Info, booking_id: strawberry.ID) -> IpBooking:
        cancelled = await bookings(info.context.state).cancel(info.context.require_user(), str(booking_id))
        return IpBooking.from_model(cancelled)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def reschedule_ip_booking(self, info: Info, booking_id: strawberry.ID, start: datetime,
                                    advisor_id: strawberry.ID | None = None) -> IpBooking:
        moved = await bookings(info.context.state).reschedule(info.context.require_user(), str(booking_id), start,
                                                              str(advisor_id) if advisor_id else None)
        return IpBooking.from_model(moved)

    @strawberry.mutation(permission_classes=[roles(Role.startup)], description="Wait for a taken slot (SLOT_FREE if it is free).")
    async def join_ip_waitlist(self, info: Info, input: BookIpSlotInput) -> IpWaitlistEntry:
        service = bookings(info.context.state)
        entry = await service.join_waitlist(info.context.require_user(), str(input.workstation_id), str(input.advisor_id),
                                            input.start, input.topic, input.mode, input.question)
        return IpWaitlistEntry.from_model(entry, await service.waitlist_position(entry))

    @strawberry.mutation(permission_classes=[roles(Role.startup)])
    async def leave_ip_waitlist(self, info: Info, entry_id: strawberry.ID) -> IpWaitlistEntry:
        entry = await bookings(info.context.state).leave_waitlist(info.context.require_user(), str(entry_id))
        return IpWaitlistEntry.from_model(entry, None)

    @strawberry.mutation(permission_classes=[roles(Role.ip_advisor, Role.admin)])
    async def mark_attendance(self, info: Info, booking_id: strawberry.ID, outcome: AttendanceOutcome) -> IpBooking:
        updated = await bookings(info.context.state).mark_attendance(info.context.require_user(), str(booking_id),
                                                                     outcome is AttendanceOutcome.HELD)
        return IpBooking.from_model(updated)

    @strawberry.mutation(permission_classes=[roles(Role.ip_advisor, Role.admin)],
                         description="The advisor gives an online consultation its meeting link (http(s); empty "
                                     "clears it); the startup sees it with the booking and in its .ics.")
    async def set_ip_booking_meeting_url(self, info: Info, booking_id: strawberry.ID, url: str) -> IpBooking:
        updated = await bookings(info.context.state).set_meeting_url(info.context.require_user(), str(booking_id), url)
        return IpBooking.from_model(updated)

    @strawberry.mutation(permission_classes=[roles(Role.ip_advisor)],
                         description="The advisor's private note; the booking startup can read it.")
    async def write_consultation_note(self, info: Info, booking_id: strawberry.ID, note: str) -> IpBooking:
        updated = await bookings(info.context.state).write_note(info.context.require_user(), str(booking_id), note)
        return IpBooking.from_model(updated)
