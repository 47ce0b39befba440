"""IP-workstation bookings: workstations, availability, slot search, booking, waitlist, attendance, stats.

No GraphQL or HTTP here. Every integrity rule is one conditional write (see repository.py); the service
validates input first so that bad input stores nothing.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from pymongo.errors import DuplicateKeyError

from backend.core.clock import quarter_of, quarter_span
from backend.core.errors import BadUserInput, Conflict, Forbidden, IssueCollector, NotFound
from backend.core.fields import check_names
from backend.platform_inputs.service import Counts, platform_inputs_changed
from backend.users.models import Role, User
from cloud_incubator.bookings import ical
from cloud_incubator.bookings.models import (
    AlreadyWaiting,
    AvailabilityOverlap,
    Booking,
    BookingLimitReached,
    BookingNotOpen,
    BookingOverlap,
    BookingStatus,
    CancelReason,
    CutoffPassed,
    ExceptionDoc,
    NotStarted,
    RuleDoc,
    Schedule,
    SlotFree,
    SlotInPast,
    SlotOutsideAvailability,
    SlotTaken,
    WaitEntry,
    WaitStatus,
    Workstation,
)
from cloud_incubator.bookings.repository import BookingRepository
from cloud_incubator.bookings.rules import (
    ALLOWED_SLOT_MINUTES,
    LANGUAGES,
    MAX_SEARCH_DAYS,
    MODES,
    NO_SHOW_PENALTY_DAYS,
    TOPICS,
    Rule,
    Slot,
    cutoff_passed,
    expand_slots,
    local_day_bounds,
    rule_problems,
    rules_overlap,
    slot_of,
)
from cloud_incubator.bookings.schemas import LOCATION_MAX, MEETING_URL_MAX, NOTE_MAX, QUESTION_MAX

if TYPE_CHECKING:
    from backend.state import AppState

log = logging.getLogger(__name__)

SCHEDULE_RETRIES = 5


def topic_for(slot: Slot) -> str:
    return f"bookings:{slot.workstation_id}"


@dataclass(frozen=True)
class RuleRemoval:
    removed: bool
    cancelled: int     # future bookings cancelled because their slots went with the rule


@dataclass(frozen=True)
class WorkstationUpdate:
    workstation: Workstation
    cancelled: int     # future bookings cancelled because their advisor was taken off the workstation


@dataclass(frozen=True)
class SlotView:
    slot: Slot
    taken: bool
    waiting: int
    workstation: Workstation


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


class BookingService:
    def __init__(self, state: AppState, repository: BookingRepository) -> None:
        self.state = state
        self.repo = repository
        self.clock = state.clock.now   # the app's clock; tests may replace it

    # --- helpers --------------------------------------------------------------------------------
    async def workstation_or_404(self, workstation_id: str, field: str = "workstationId") -> Workstation:
        found = await self.repo.workstation(workstation_id)
        if found is None:
            raise NotFound("No IP workstation has this id.", "不存在此编号的知识产权工作站。", field=field)
        return found

    async def _booking(self, booking_id: str) -> Booking:
        found = await self.repo.booking(booking_id)
        if found is None:
            raise NotFound("No booking has this id.", "不存在此编号的预约。", field="bookingId")
        return found

    @staticmethod
    def _can_manage(user: User, workstation: Workstation) -> bool:
        return user.role is Role.admin or (user.role is Role.manager and user.incubator_id == workstation.incubator_id)

    def _require_manage(self, user: User, workstation: Workstation) -> None:
        if not self._can_manage(user, workstation):
            raise Forbidden("Only this incubator's manager may change its IP workstation.",
                            "只有本孵化器的管理员可以修改其知识产权工作站。")

    @staticmethod
    def _require_startup(user: User) -> str:
        if user.role is not Role.startup or not user.startup_id:
            raise Forbidden("Only startup accounts book consultations.", "只有创业企业账号可以预约咨询。")
        return user.startup_id

    async def _publish(self, topic: str, event: str, data: dict[str, Any]) -> None:
        try:
            from cloud_incubator.broadcast import publish
        except ImportError:   # the socket layer is optional for the service
            return
        try:
            await publish(self.state, topic, event, data)
        except Exception:   # a lost live update must never undo a stored booking
            log.exception("publishing %s to %s failed", event, topic)

    @staticmethod
    def slot_event(booking_or_slot: Booking | Slot, **extra: Any) -> dict[str, Any]:
        return {"workstationId": booking_or_slot.workstation_id, "advisorId": booking_or_slot.advisor_id,
                "start": booking_or_slot.start.astimezone(UTC).isoformat(),
                "end": booking_or_slot.end.astimezone(UTC).isoformat(), **extra}

    # --- workstations ----------------------------------------------------------------------------
    def _validate_workstation(self, values: dict[str, Any], issues: IssueCollector, creating: bool) -> None:
        check_names(values, (("name_zh", "nameZh"), ("name_en", "nameEn")), issues, creating=creating)
        check_names(values, (("location", "location"),), issues, creating=creating, limit=LOCATION_MAX)
        for key, catalogue, label in (("topics", TOPICS, "topic"), ("languages", LANGUAGES, "language"),
                                      ("modes", MODES, "mode")):
            value = values.get(key)
            if value is None:
                if creating:
                    issues.add(key, "This field is required.", "此项为必填项。")
                continue
            unknown = [v for v in value if v not in catalogue]
            if unknown:
                issues.add(key, f"Unknown {label}: {', '.join(unknown)} (known: {', '.join(catalogue)}).",
                           f"未知的{label}：{', '.join(unknown)}（可选：{', '.join(catalogue)}）。")
            elif not value or len(set(value)) != len(value):
                issues.add(key, f"Give each {label} once, at least one.", "至少选择一项，且不得重复。")
        if (minutes := values.get("slot_minutes")) is not None and minutes not in ALLOWED_SLOT_MINUTES:
            issues.add("slotMinutes", f"Slot length must be one of {ALLOWED_SLOT_MINUTES} minutes.",
                       f"时段长度须为 {ALLOWED_SLOT_MINUTES} 分钟之一。")
        if (hours := values.get("cutoff_hours")) is not None and not 0 <= hours <= 14 * 24:
            issues.add("cutoffHours", "The cut-off must be 0 to 336 hours.", "截止时间须为 0–336 小时。")
        if (limit := values.get("booking_limit")) is not None and not 1 <= limit <= 20:
            issues.add("bookingLimit", "The booking limit must be 1 to 20.", "预约上限须为 1–20。")

    async def _check_advisors(self, advisor_ids: list[str], issues: IssueCollector) -> None:
        if len(set(advisor_ids)) != len(advisor_ids):
            issues.add("advisorIds", "An advisor is listed twice.", "顾问重复。")
            return
        users = await self.state.users.by_ids(advisor_ids)
        bad = [a for a, u in zip(advisor_ids, users, strict=True) if u is None or u.role is not Role.ip_advisor]
        if bad:
            issues.add("advisorIds", f"Not IP advisor accounts: {', '.join(bad)}.", f"以下不是知识产权顾问账号：{', '.join(bad)}。")

    async def create_workstation(self, user: User, values: dict[str, Any]) -> Workstation:
        incubator_id = values.get("incubator_id") or ""
        if not (user.role is Role.admin or (user.role is Role.manager and user.incubator_id == incubator_id)):
            raise Forbidden("Managers register workstations of their own incubator only.", "管理员只能为本孵化器登记工作站。")
        issues = IssueCollector()
        self._validate_workstation(values, issues, creating=True)
        if (await self.state.incubators.by_ids([incubator_id]))[0] is None:
            issues.add("incubatorId", "No incubator has this id.", "不存在此编号的孵化器。")
        await self._check_advisors(list(values.get("advisor_ids") or []), issues)
        issues.raise_if_any()
        now = self.clock()
        document = {"_id": secrets.token_hex(12), "incubator_id": incubator_id,
                    "name_zh": values["name_zh"].strip(), "name_en": values["name_en"].strip(),
                    "location": values["location"].strip(), "languages": list(values["languages"]),
                    "topics": list(values["topics"]), "modes": list(values["modes"]),
                    "slot_minutes": values.get("slot_minutes") or 60, "cutoff_hours": values.get("cutoff_hours", 24),
                    "booking_limit": values.get("booking_limit") or 2,
                    "advisor_ids": list(values.get("advisor_ids") or []), "created_at": now, "updated_at": now}
        try:
            return await self.repo.insert_workstation(document)
        except DuplicateKeyError as error:
            raise Conflict("This incubator already has a workstation with this English name.",
                           "本孵化器已有同英文名称的工作站。", field="nameEn") from error

    async def update_workstation(self, user: User, workstation_id: str, values: dict[str, Any]) -> WorkstationUpdate:
        """Change a workstation. An advisor no longer listed takes their weekly hours at this workstation and
        their future consultations there with them (see ``_advisor_removed``). A topic or mode no longer
        offered refuses new bookings and waitlist promotions only: booked consultations stay as they are."""
        workstation = await self.workstation_or_404(workstation_id)
        self._require_manage(user, workstation)
        changes = {k: v for k, v in values.items() if v is not None}
        issues = IssueCollector()
        self._validate_workstation(changes, issues, creating=False)
        if "advisor_ids" in changes:
            await self._check_advisors(list(changes["advisor_ids"]), issues)
        if "slot_minutes" in changes and changes["slot_minutes"] != workstation.slot_minutes:
            issues.add("slotMinutes", "The slot length is fixed once the workstation exists.", "工作站创建后时段长度不可更改。")
        issues.raise_if_any()
        for key in ("name_zh", "name_en", "location"):
            if key in changes:
                changes[key] = changes[key].strip()
        changes["updated_at"] = self.clock()
        try:
            written = await self.repo.update_workstation(workstation_id, changes)
        except DuplicateKeyError as error:
            raise Conflict("This incubator already has a workstation with this English name.",
                           "本孵化器已有同英文名称的工作站。", field="nameEn") from error
        if written is None:
            raise NotFound("No IP workstation has this id.", "不存在此编号的知识产权工作站。", field="workstationId")
        before, updated = written
        cancelled = 0
        for advisor_id in before.advisor_ids:
            if advisor_id not in updated.advisor_ids:
                cancelled += await self._advisor_removed(updated, advisor_id)
        return WorkstationUpdate(updated, cancelled)

    async def advisor_removal_impact(self, user: User, workstation_id: str, advisor_ids: Sequence[str]) -> int:
        """How many future bookings an update leaving only ``advisor_ids`` on the workstation would cancel now
        (the consultations there of the advisors it drops; asked before saving)."""
        workstation = await self.workstation_or_404(workstation_id)
        self._require_manage(user, workstation)
        dropped = [a for a in workstation.advisor_ids if a not in set(advisor_ids)]
        count = 0
        for advisor_id in dropped:
            count += sum(1 for b in await self.repo.open_of_advisor(advisor_id, self.clock(), None)
                         if b.workstation_id == workstation.id)
        return count

    async def _advisor_removed(self, workstation: Workstation, advisor_id: str) -> int:
        """The advisor no longer staffs ``workstation`` (already written): drop their weekly rules there, then
        cancel their future still-booked consultations there and close those slots' waitlists.

        Same order as a removed rule — staffing and schedule written first, then the sweep — while a booking
        re-reads the schedule after its insert, so none made meanwhile survives (one side sees the other)."""
        schedule = (await self.repo.schedules_of([advisor_id]))[advisor_id]
        if any(r.workstation_id == workstation.id for r in schedule.rules):
            def apply(current: Schedule) -> Schedule:
                current.rules = [r for r in current.rules if r.workstation_id != workstation.id]
                return current

            await self._change_schedule(advisor_id, apply)
        return await self._cancel_vanished(advisor_id, self.clock(), None, CancelReason.advisor_removed,
                                           "advisor_removed", [workstation.id])

    # --- availability ----------------------------------------------------------------------------
    async def _editable_schedule_target(self, user: User, workstation: Workstation, advisor_id: str | None) -> str:
        advisor_id = advisor_id or (user.id if user.role is Role.ip_advisor else None)
        if advisor_id is None:
            raise BadUserInput.single("advisorId", "Name the advisor.", "请指定顾问。")
        if advisor_id not in workstation.advisor_ids:
            raise BadUserInput.single("advisorId", "This advisor does not staff this workstation.", "该顾问不在此工作站任职。")
        if not (user.id == advisor_id or self._can_manage(user, workstation)):
            raise Forbidden("Advisors edit their own availability; managers their workstation's.",
                            "顾问只能编辑自己的可预约时间；管理员可编辑本工作站的。")
        return advisor_id

    async def _change_schedule(self, advisor_id: str, change: Any) -> Schedule:
        """Read → apply a pure change → write if the version is unchanged; retried on a race."""
        for _ in range(SCHEDULE_RETRIES):
            schedule = (await self.repo.schedules_of([advisor_id]))[advisor_id]
            version = schedule.version
            updated = change(schedule.model_copy(deep=True))
            if await self.repo.replace_schedule(updated, version):
                updated.version = version + 1
                return updated
        raise Conflict("The availability changed meanwhile: try again.", "可预约时间已被修改，请重试。")

    async def add_rule(self, user: User, workstation_id: str, advisor_id: str | None, weekday: int,
                       start: time, end: time, valid_from: date, valid_until: date | None) -> RuleDoc:
        workstation = await self.workstation_or_404(workstation_id)
        advisor_id = await self._editable_schedule_target(user, workstation, advisor_id)
        rule_id = secrets.token_hex(8)
        candidate = Rule(rule_id, advisor_id, workstation_id, weekday, start, end, valid_from, valid_until)
        problems = rule_problems(candidate, workstation.slot_minutes)
        if problems:
            issues = IssueCollector()
            for field, en, zh in problems:
                issues.add(field, en, zh)
            issues.raise_if_any()
        doc = RuleDoc(id=rule_id, workstation_id=workstation_id, weekday=weekday, start=_hhmm(start), end=_hhmm(end),
                      valid_from=valid_from, valid_until=valid_until)

        def apply(schedule: Schedule) -> Schedule:
            for existing in schedule.domain_rules():
                if rules_overlap(existing, candidate):
                    raise AvailabilityOverlap(
                        f"Overlaps the rule {existing.id} ({existing.start:%H:%M}–{existing.end:%H:%M} on weekday "
                        f"{existing.weekday}).", f"与已有规则 {existing.id}（星期 {existing.weekday} "
                        f"{existing.start:%H:%M}–{existing.end:%H:%M}）重叠。", field="startTime", ruleId=existing.id)
            schedule.rules.append(doc)
            return schedule

        await self._change_schedule(advisor_id, apply)
        await self._slots_changed([workstation_id], advisor_id, "rule_added", {})
        return doc

    async def _editable_rule(self, user: User, advisor_id: str, rule_id: str) -> tuple[Schedule, RuleDoc, Workstation]:
        """The advisor's schedule, the weekly rule and its workstation, if ``user`` may edit that rule."""
        schedule = (await self.repo.schedules_of([advisor_id]))[advisor_id]
        rule = next((r for r in schedule.rules if r.id == rule_id), None)
        if rule is None:
            raise NotFound("No availability rule has this id.", "不存在此编号的规则。", field="ruleId")
        workstation = await self.workstation_or_404(rule.workstation_id)
        await self._editable_schedule_target(user, workstation, advisor_id)
        return schedule, rule, workstation

    async def remove_rule(self, user: User, advisor_id: str, rule_id: str) -> RuleRemoval:
        """Remove a weekly rule; the future bookings in its slots are cancelled (see ``_cancel_vanished``)."""
        _, rule, workstation = await self._editable_rule(user, advisor_id, rule_id)

        def apply(current: Schedule) -> Schedule:
            if not any(r.id == rule_id for r in current.rules):   # removed meanwhile by someone else
                raise NotFound("No availability rule has this id.", "不存在此编号的规则。", field="ruleId")
            current.rules = [r for r in current.rules if r.id != rule_id]
            return current

        await self._change_schedule(advisor_id, apply)
        until = local_day_bounds(rule.valid_until)[1] if rule.valid_until else None
        cancelled = await self._cancel_vanished(advisor_id, local_day_bounds(rule.valid_from)[0], until,
                                                CancelReason.availability_removed, "rule_removed", [workstation.id])
        return RuleRemoval(True, cancelled)

    async def rule_removal_impact(self, user: User, advisor_id: str, rule_id: str) -> int:
        """How many future bookings removing this rule would cancel now (asked before the removal)."""
        schedule, rule, _ = await self._editable_rule(user, advisor_id, rule_id)
        remaining = schedule.model_copy(deep=True)
        remaining.rules = [r for r in remaining.rules if r.id != rule_id]
        until = local_day_bounds(rule.valid_until)[1] if rule.valid_until else None
        return await self._would_vanish(advisor_id, remaining, local_day_bounds(rule.valid_from)[0], until)

    async def exception_impact(self, user: User, workstation_id: str, advisor_id: str | None, on: date,
                               start: time | None, end: time | None) -> int:
        """How many future bookings this leave would cancel if added now (asked before adding it)."""
        workstation = await self.workstation_or_404(workstation_id)
        advisor_id = await self._editable_schedule_target(user, workstation, advisor_id)
        schedule = (await self.repo.schedules_of([advisor_id]))[advisor_id]
        planned = schedule.model_copy(deep=True)
        planned.exceptions.append(ExceptionDoc(id="planned", on=on, start=_hhmm(start) if start else None,
                                               end=_hhmm(end) if end else None))
        start_of_day, end_of_day = local_day_bounds(on)
        return await self._would_vanish(advisor_id, planned, start_of_day, end_of_day)

    async def _would_vanish(self, advisor_id: str, planned: Schedule, start: datetime, end: datetime | None) -> int:
        """The advisor's future open bookings in [start, end) that the ``planned`` schedule would no longer have
        (the count ``_cancel_vanished`` would reach, without writing anything)."""
        after = max(start - timedelta(microseconds=1), self.clock())
        open_bookings = await self.repo.open_of_advisor(advisor_id, after, end)
        ids = sorted({b.workstation_id for b in open_bookings})
        minutes = {w.id: w.slot_minutes for w in await self.repo.workstations_by_ids(ids)
                   if w and advisor_id in w.advisor_ids}
        rules, exceptions = planned.domain_rules(), planned.domain_exceptions()
        return sum(1 for b in open_bookings
                   if b.workstation_id not in minutes or slot_of(rules, exceptions, minutes, b.workstation_id, advisor_id,
                                                                 b.start.astimezone(UTC)) is None)

    async def add_exception(self, user: User, workstation_id: str, advisor_id: str | None, on: date,
                            start: time | None, end: time | None, reason: str) -> ExceptionDoc:
        workstation = await self.workstation_or_404(workstation_id)
        advisor_id = await self._editable_schedule_target(user, workstation, advisor_id)
        issues = IssueCollector()
        if (start is None) != (end is None):
            issues.add("endTime", "Give both start and end, or neither for the whole day.", "请同时填写开始和结束时间，或都不填表示全天。")
        elif start is not None and end is not None and start >= end:
            issues.add("endTime", "The end must be after the start.", "结束时间须晚于开始时间。")
        if len(reason) > 200:
            issues.add("reason", "At most 200 characters.", "最多 200 个字符。")
        issues.raise_if_any()
        doc = ExceptionDoc(id=secrets.token_hex(8), on=on, start=_hhmm(start) if start else None,
                           end=_hhmm(end) if end else None, reason=reason.strip())

        def apply(schedule: Schedule) -> Schedule:
            schedule.exceptions.append(doc)
            return schedule

        await self._change_schedule(advisor_id, apply)
        staffed = [w.id for w in await self.repo.find_workstations(advisor_id=advisor_id)]
        start_of_day, end_of_day = local_day_bounds(on)
        doc.cancelled_bookings = await self._cancel_vanished(advisor_id, start_of_day, end_of_day,
                                                             CancelReason.advisor_leave, "leave_added", staffed)
        if doc.cancelled_bookings:
            def record(schedule: Schedule) -> Schedule:
                for exception in schedule.exceptions:
                    if exception.id == doc.id:
                        exception.cancelled_bookings = doc.cancelled_bookings
                return schedule

            await self._change_schedule(advisor_id, record)
        return doc

    async def remove_exception(self, user: User, advisor_id: str, exception_id: str) -> bool:
        schedule = (await self.repo.schedules_of([advisor_id]))[advisor_id]
        if not any(e.id == exception_id for e in schedule.exceptions):
            raise NotFound("No leave or exception has this id.", "不存在此编号的休假/例外。", field="exceptionId")
        # An exception names no workstation: the advisor, an admin, or a manager of a workstation they staff.
        if not (user.id == advisor_id or user.role is Role.admin or (
                user.role is Role.manager and user.incubator_id
                and await self.repo.find_workstations(incubator_id=user.incubator_id, advisor_id=advisor_id))):
            raise Forbidden("Advisors edit their own availability; managers their workstation's.",
                            "顾问只能编辑自己的可预约时间；管理员可编辑本工作站的。")

        def apply(current: Schedule) -> Schedule:
            current.exceptions = [e for e in current.exceptions if e.id != exception_id]
            return current

        await self._change_schedule(advisor_id, apply)
        staffed = [w.id for w in await self.repo.find_workstations(advisor_id=advisor_id)]
        await self._slots_changed(staffed, advisor_id, "leave_removed", {})
        return True

    # --- slots that vanish ------------------------------------------------------------------------
    async def _slot_exists(self, workstation: Workstation, advisor_id: str, start: datetime) -> bool:
        """Does the advisor's current availability still have this slot (read fresh from the database)?"""
        schedule = (await self.repo.schedules_of([advisor_id]))[advisor_id]
        return slot_of(schedule.domain_rules(), schedule.domain_exceptions(),
                       {workstation.id: workstation.slot_minutes}, workstation.id, advisor_id, start) is not None

    async def _cancel_vanished(self, advisor_id: str, start: datetime, end: datetime | None, reason: CancelReason,
                               change: str, workstation_ids: Sequence[str]) -> int:
        """After a schedule write: cancel the advisor's future, still-booked consultations in [start, end) whose
        slot the current schedule no longer has, and close the waitlists of such slots.

        Runs after the schedule is written, while a booking re-reads the schedule after its insert (see
        ``_place``): whichever comes second sees the other, so no booking survives in a vanished slot."""
        now = self.clock()
        after = max(start - timedelta(microseconds=1), now)
        schedule = (await self.repo.schedules_of([advisor_id]))[advisor_id]
        rules, exceptions = schedule.domain_rules(), schedule.domain_exceptions()
        open_bookings = await self.repo.open_of_advisor(advisor_id, after, end)
        waits = await self.repo.waiting_of_advisor(advisor_id, after, end)
        ids = sorted({b.workstation_id for b in open_bookings} | {w.workstation_id for w in waits})
        # only workstations the advisor (still) staffs keep their slots
        minutes = {w.id: w.slot_minutes for w in await self.repo.workstations_by_ids(ids)
                   if w and advisor_id in w.advisor_ids}

        def vanished(workstation_id: str, slot_start: datetime) -> bool:
            return workstation_id not in minutes or slot_of(rules, exceptions, minutes, workstation_id, advisor_id,
                                                            slot_start.astimezone(UTC)) is None

        cancelled: dict[str, list[str]] = {}
        for booking in open_bookings:
            if vanished(booking.workstation_id, booking.start) and await self._system_cancel(booking, reason):
                cancelled.setdefault(booking.workstation_id, []).append(booking.start.astimezone(UTC).isoformat())
        for entry in waits:
            if vanished(entry.workstation_id, entry.start):
                await self._close_wait(entry, reason.value)
        await self._slots_changed(sorted(set(workstation_ids) | set(cancelled)), advisor_id, change, cancelled)
        return sum(len(v) for v in cancelled.values())

    async def _system_cancel(self, booking: Booking, reason: CancelReason | str) -> Booking | None:
        """Cancel a booking whose slot no longer exists: once (conditional on its sequence), hold released,
        the startup told on its personal topic. None if it changed meanwhile (its new owner decides)."""
        reason = str(reason.value if isinstance(reason, CancelReason) else reason)
        cancelled = await self.repo.transition(
            booking.id, {"status": BookingStatus.booked.value, "sequence": booking.sequence},
            {"status": BookingStatus.cancelled.value, "sequence": booking.sequence + 1, "updated_at": self.clock(),
             "cancelled_by": None, "cancel_reason": reason}, unset_active=True)
        if cancelled is None:
            return None
        await self.repo.release_hold(booking.startup_id, booking.hold_id, booking.workstation_id, count=True)
        await self._publish(f"user:{booking.user_id}", "booking.cancelled",
                            self.slot_event(booking, bookingId=booking.id, reason=reason))
        return cancelled

    async def _close_wait(self, entry: WaitEntry, reason: str, expected: WaitStatus = WaitStatus.waiting) -> None:
        if await self.repo.set_wait_status(entry.id, expected, WaitStatus.closed, reason=reason):
            await self._publish(f"user:{entry.user_id}", "booking.waitlist_closed", {
                "workstationId": entry.workstation_id, "advisorId": entry.advisor_id,
                "start": entry.start.astimezone(UTC).isoformat(), "waitlistEntryId": entry.id, "reason": reason})

    async def _slots_changed(self, workstation_ids: Sequence[str], advisor_id: str, change: str,
                             cancelled: dict[str, list[str]]) -> None:
        """Tell open booking pages that an advisor's slots changed (they reload the range they show)."""
        for workstation_id in workstation_ids:
            await self._publish(f"bookings:{workstation_id}", "slots.changed", {
                "workstationId": workstation_id, "advisorId": advisor_id, "change": change,
                "cancelled": cancelled.get(workstation_id, [])})

    async def schedule(self, advisor_id: str) -> Schedule:
        return (await self.repo.schedules_of([advisor_id]))[advisor_id]

    # --- slots -----------------------------------------------------------------------------------
    async def search_slots(self, first_day: date, last_day: date, *, workstation_id: str | None = None,
                           incubator_id: str | None = None, topic: str | None = None, language: str | None = None,
                           mode: str | None = None, include_taken: bool = True) -> list[SlotView]:
        issues = IssueCollector()
        if last_day < first_day:
            issues.add("to", "The end date is before the start date.", "结束日期早于开始日期。")
        elif (last_day - first_day).days >= MAX_SEARCH_DAYS:
            issues.add("to", f"Search at most {MAX_SEARCH_DAYS} days at once.", f"一次最多查询 {MAX_SEARCH_DAYS} 天。")
        if topic is not None and topic not in TOPICS:
            issues.add("topic", f"Unknown topic (known: {', '.join(TOPICS)}).", f"未知的咨询主题（可选：{', '.join(TOPICS)}）。")
        if language is not None and language not in LANGUAGES:
            issues.add("language", "Unknown language (zh, en).", "未知的语言（zh、en）。")
        if mode is not None and mode not in MODES:
            issues.add("mode", "Unknown mode (online, on_site).", "未知的方式（online、on_site）。")
        issues.raise_if_any()
        if workstation_id:
            workstations = [await self.workstation_or_404(workstation_id)]
            if topic and topic not in workstations[0].topics:
                workstations = []
        else:
            workstations = await self.repo.find_workstations(incubator_id=incubator_id, topic=topic)
        workstations = [w for w in workstations if (not language or language in w.languages)
                        and (not mode or mode in w.modes) and (not incubator_id or w.incubator_id == incubator_id)]
        if not workstations:
            return []
        by_id = {w.id: w for w in workstations}
        advisor_ids = sorted({a for w in workstations for a in w.advisor_ids})
        schedules = await self.repo.schedules_of(advisor_ids)
        rules = [r for s in schedules.values() for r in s.domain_rules() if r.workstation_id in by_id]
        exceptions = [e for s in schedules.values() for e in s.domain_exceptions()]
        minutes = {w.id: w.slot_minutes for w in workstations}
        now = self.clock()
        slots = [s for s in expand_slots(rules, exceptions, minutes, first_day, last_day) if s.start > now]
        if not slots:
            return []
        window_start, window_end = local_day_bounds(first_day)[0], local_day_bounds(last_day)[1]
        taken = await self.repo.active_starts(advisor_ids, window_start, window_end)
        waiting = await self.repo.waiting_counts(advisor_ids, window_start, window_end) if taken else {}
        views = []
        for slot in slots:
            key = (slot.advisor_id, slot.start)
            is_taken = key in taken
            if is_taken and not include_taken:
                continue
            views.append(SlotView(slot, is_taken, waiting.get(key, 0), by_id[slot.workstation_id]))
        return views

    async def _resolve_slot(self, workstation_id: str, advisor_id: str, start: datetime, topic: str, mode: str,
                            question: str, existing: bool = False) -> tuple[Workstation, Slot]:
        """Validate a booking (or waitlist) request; raises before anything is stored. ``existing``: an
        already booked consultation moving (it keeps its topic and mode even if no longer offered)."""
        issues = IssueCollector()
        if start.tzinfo is None or start.utcoffset() is None:
            issues.add("start", "Give the time with its time zone offset (e.g. 2026-12-01T10:00:00+08:00).",
                       "请给出带时区偏移的时间（例如 2026-12-01T10:00:00+08:00）。")
        if topic not in TOPICS:
            issues.add("topic", f"Unknown topic (known: {', '.join(TOPICS)}).", f"未知的咨询主题（可选：{', '.join(TOPICS)}）。")
        if mode not in MODES:
            issues.add("mode", "Unknown mode (online, on_site).", "未知的方式（online、on_site）。")
        if not 1 <= len(question.strip()) <= QUESTION_MAX:
            issues.add("question", f"Describe your question in 1–{QUESTION_MAX} characters.",
                       f"请用 1–{QUESTION_MAX} 个字符描述您的问题。")
        workstation = await self.repo.workstation(workstation_id)
        if workstation is None:
            issues.add("workstationId", "No IP workstation has this id.", "不存在此编号的知识产权工作站。")
        else:
            if topic in TOPICS and topic not in workstation.topics and not existing:
                issues.add("topic", "This workstation does not advise on this topic.", "该工作站不提供此主题的咨询。")
            if mode in MODES and mode not in workstation.modes and not existing:
                issues.add("mode", "This workstation does not offer this mode.", "该工作站不提供此咨询方式。")
            if advisor_id not in workstation.advisor_ids:
                issues.add("advisorId", "This advisor does not staff this workstation.", "该顾问不在此工作站任职。")
        issues.raise_if_any()
        assert workstation is not None
        start = start.astimezone(UTC)
        if start <= self.clock():
            raise SlotInPast("This slot has already begun or passed.", "该时段已开始或已过去。", field="start")
        schedule = (await self.repo.schedules_of([advisor_id]))[advisor_id]
        slot = slot_of(schedule.domain_rules(), schedule.domain_exceptions(), {workstation.id: workstation.slot_minutes},
                       workstation.id, advisor_id, start)
        if slot is None:
            raise SlotOutsideAvailability("No slot of this advisor starts at this time.", "该顾问在此时间没有可预约时段。",
                                          field="start")
        return workstation, slot

    async def _effective_limit(self, ledger: dict[str, Any], workstation: Workstation) -> int:
        since = self.clock() - timedelta(days=NO_SHOW_PENALTY_DAYS)
        recent = sum(1 for n in ledger.get("no_shows", []) if n["workstation_id"] == workstation.id
                     and n["at"].astimezone(UTC) >= since)
        return workstation.booking_limit - recent

    async def _hold(self, startup_id: str, workstation: Workstation, booking_id: str, start: datetime,
                    end: datetime, *, count: bool, ignore_booking: str | None = None) -> str:
        """Reserve a span in the startup's ledger (conditional update; retried only if a no-show mark raced)."""
        hold_id = secrets.token_hex(8)
        hold = {"hold_id": hold_id, "booking_id": booking_id, "workstation_id": workstation.id, "start": start, "end": end}
        for _ in range(5):
            ledger = await self.repo.ledger(startup_id)
            limit = await self._effective_limit(ledger, workstation)
            if count and limit <= 0:
                raise self._limit_error(workstation, limit)
            if await self.repo.try_hold(startup_id, hold, marks=ledger.get("marks", 0), limit=limit if count else None,
                                        ignore_booking=ignore_booking):
                return hold_id
            fresh = await self.repo.ledger(startup_id)
            if fresh.get("marks", 0) != ledger.get("marks", 0):
                continue
            if any(h["start"] < end and h["end"] > start and h["booking_id"] != ignore_booking
                   for h in fresh.get("holds", [])):
                raise BookingOverlap("You already hold a booking at this time.", "您在此时间已有预约。", field="start")
            if count and fresh.get("open", {}).get(workstation.id, 0) >= limit:
                raise self._limit_error(workstation, limit)
        raise Conflict("Your bookings changed meanwhile: try again.", "您的预约已发生变化，请重试。")

    @staticmethod
    def _limit_error(workstation: Workstation, limit: int) -> BookingLimitReached:
        return BookingLimitReached(
            f"You hold as many open bookings at this workstation as allowed ({workstation.booking_limit}, "
            f"less recent no-shows: {max(limit, 0)} now).",
            f"您在此工作站的未完成预约已达上限（{workstation.booking_limit}，扣除近期爽约后为 {max(limit, 0)}）。",
            limit=workstation.booking_limit, effectiveLimit=max(limit, 0))

    async def _place(self, workstation: Workstation, slot: Slot, startup_id: str, user_id: str, topic: str,
                     mode: str, question: str, from_waitlist: bool = False) -> Booking:
        # Fast path for the common loser: a slot already taken needs no ledger writes. Only a shortcut —
        # the unique index below still decides when two requests pass this read together.
        if await self.repo.active_at(slot.advisor_id, slot.start) is not None:
            raise SlotTaken("Someone booked this slot first: join its waitlist to be promoted on a cancellation.",
                            "该时段已被预约：可加入候补名单，有人取消时将自动递补。", field="start")
        booking_id = secrets.token_hex(12)
        hold_id = await self._hold(startup_id, workstation, booking_id, slot.start, slot.end, count=True)
        now = self.clock()
        document = {"_id": booking_id, "workstation_id": workstation.id, "incubator_id": workstation.incubator_id,
                    "advisor_id": slot.advisor_id, "startup_id": startup_id, "user_id": user_id,
                    "start": slot.start, "end": slot.end, "topic": topic, "mode": mode, "question": question.strip(),
                    "status": BookingStatus.booked.value, "active": True, "sequence": 0, "hold_id": hold_id,
                    "note": None, "from_waitlist": from_waitlist, "attachment_count": 0, "created_at": now,
                    "updated_at": now}
        try:
            booking = await self.repo.insert_booking(document)
        except DuplicateKeyError as error:
            await self.repo.release_hold(startup_id, hold_id, workstation.id, count=True)
            if "startup_id" in (error.details or {}).get("keyPattern", {}):
                raise BookingOverlap("You already hold a booking at this time.", "您在此时间已有预约。", field="start") from error
            raise SlotTaken("Someone booked this slot first: join its waitlist to be promoted on a cancellation.",
                            "该时段已被预约：可加入候补名单，有人取消时将自动递补。", field="start") from error
        if not await self._slot_exists(workstation, slot.advisor_id, slot.start):
            # The availability was removed (and swept) between our check and the insert: withdraw. If the
            # sweep saw the booking first it has cancelled it (and released the hold) instead.
            if await self.repo.withdraw_booking(booking.id):
                await self.repo.release_hold(startup_id, hold_id, workstation.id, count=True)
            raise self._vanished_error()
        await self._publish(topic_for(slot), "slot.taken", self.slot_event(slot, bookingId=booking.id))
        return booking

    @staticmethod
    def _vanished_error() -> SlotOutsideAvailability:
        return SlotOutsideAvailability("The advisor's availability changed: this slot no longer exists.",
                                       "顾问的可预约时间已变更：该时段已不存在。", field="start")

    # --- booking flows ---------------------------------------------------------------------------
    async def book(self, user: User, workstation_id: str, advisor_id: str, start: datetime, topic: str, mode: str,
                   question: str) -> Booking:
        startup_id = self._require_startup(user)
        workstation, slot = await self._resolve_slot(workstation_id, advisor_id, start, topic, mode, question)
        return await self._place(workstation, slot, startup_id, user.id, topic, mode, question)

    def _may_change(self, user: User, booking: Booking, workstation: Workstation) -> bool:
        """Startups change their own bookings before the cut-off; the advisor and managers at any time."""
        if user.role is Role.startup:
            if user.startup_id != booking.startup_id:
                raise Forbidden("This is another startup's booking.", "这是其他企业的预约。")
            return True
        if user.id == booking.advisor_id or self._can_manage(user, workstation):
            return False
        raise Forbidden()

    async def _changeable(self, user: User, booking_id: str, change_en: str, changed_en: str, change_zh: str
                          ) -> tuple[Booking, Workstation]:
        """An open booking ``user`` may change now: its startup before the workstation's cut-off, or its
        advisor / the workstation's managers at any time."""
        booking = await self._booking(booking_id)
        workstation = await self.workstation_or_404(booking.workstation_id)
        subject_to_cutoff = self._may_change(user, booking, workstation)
        if booking.status is not BookingStatus.booked:
            raise BookingNotOpen(f"Only open bookings can be {changed_en}.", f"只能{change_zh}未完成的预约。")
        if subject_to_cutoff and cutoff_passed(booking.start, workstation.cutoff_hours, self.clock()):
            raise CutoffPassed(f"{change_en} closes {workstation.cutoff_hours} h before the start.",
                               f"开始前 {workstation.cutoff_hours} 小时起不可{change_zh}。",
                               cutoffHours=workstation.cutoff_hours)
        return booking, workstation

    async def cancel(self, user: User, booking_id: str) -> Booking:
        booking, workstation = await self._changeable(user, booking_id, "Cancelling", "cancelled", "取消")
        cancelled = await self.repo.transition(
            booking.id, {"status": BookingStatus.booked.value, "sequence": booking.sequence},
            {"status": BookingStatus.cancelled.value, "sequence": booking.sequence + 1, "updated_at": self.clock(),
             "cancelled_by": user.id}, unset_active=True)
        if cancelled is None:
            raise BookingNotOpen("The booking changed meanwhile (already cancelled or rescheduled).",
                                 "预约已被修改（已取消或改期）。")
        await self.repo.release_hold(booking.startup_id, booking.hold_id, workstation.id, count=True)
        slot = Slot(booking.workstation_id, booking.advisor_id, booking.start.astimezone(UTC), booking.end.astimezone(UTC))
        if user.id != booking.user_id:   # cancelled by the advisor or a manager: tell the startup
            await self._publish(f"user:{booking.user_id}", "booking.cancelled", self.slot_event(slot, bookingId=booking.id))
        await self.promote(workstation, slot)
        return cancelled

    async def reschedule(self, user: User, booking_id: str, start: datetime, advisor_id: str | None = None) -> Booking:
        booking, workstation = await self._changeable(user, booking_id, "Rescheduling", "rescheduled", "改期")
        if advisor_id is not None and advisor_id not in workstation.advisor_ids:
            # The new slot is another workstation's: a booking moves within its own workstation.
            raise BadUserInput.single(
                "advisorId", f"A booking is rescheduled within its own workstation: pick a slot of {workstation.name_en}.",
                f"预约只能在原工作站内改期：请选择“{workstation.name_zh}”的时段。")
        _, slot = await self._resolve_slot(workstation.id, advisor_id or booking.advisor_id, start, booking.topic,
                                           booking.mode, booking.question, existing=True)
        if slot.start == booking.start.astimezone(UTC) and slot.advisor_id == booking.advisor_id:
            raise BadUserInput.single("start", "This is the booking's current slot.", "这就是该预约当前的时段。")
        hold_id = await self._hold(booking.startup_id, workstation, booking.id, slot.start, slot.end, count=False,
                                   ignore_booking=booking.id)
        old_hold = booking.hold_id
        try:
            moved = await self.repo.transition(
                booking.id, {"status": BookingStatus.booked.value, "sequence": booking.sequence},
                {"advisor_id": slot.advisor_id, "start": slot.start, "end": slot.end, "hold_id": hold_id,
                 "sequence": booking.sequence + 1, "updated_at": self.clock()})
        except DuplicateKeyError as error:
            await self.repo.release_hold(booking.startup_id, hold_id, workstation.id, count=False)
            raise SlotTaken("Someone booked this slot first.", "该时段已被预约。", field="start") from error
        if moved is None:
            await self.repo.release_hold(booking.startup_id, hold_id, workstation.id, count=False)
            raise BookingNotOpen("The booking changed meanwhile.", "预约已被修改。")
        if not await self._slot_exists(workstation, slot.advisor_id, slot.start):
            await self._move_back(booking, moved, workstation)
            raise self._vanished_error()
        await self.repo.release_hold(booking.startup_id, old_hold, workstation.id, count=False)
        await self._publish(topic_for(slot), "slot.taken", self.slot_event(slot, bookingId=booking.id))
        old = Slot(workstation.id, booking.advisor_id, booking.start.astimezone(UTC), booking.end.astimezone(UTC))
        await self.promote(workstation, old)
        return moved

    async def _move_back(self, booking: Booking, moved: Booking, workstation: Workstation) -> None:
        """A reschedule landed in a slot removed meanwhile: return the booking to its old slot (a higher
        SEQUENCE again), or cancel it if that is no longer possible."""
        try:
            back = await self.repo.transition(
                booking.id, {"status": BookingStatus.booked.value, "sequence": moved.sequence},
                {"advisor_id": booking.advisor_id, "start": booking.start, "end": booking.end,
                 "hold_id": booking.hold_id, "sequence": moved.sequence + 1, "updated_at": self.clock()})
        except DuplicateKeyError:   # the old slot was taken meanwhile
            back = None
            await self._system_cancel(moved, CancelReason.availability_removed)
        if back is None:
            # cancelled (here or by the sweep, which released the new span): the old span goes too
            await self.repo.release_hold(booking.startup_id, booking.hold_id, workstation.id, count=False)
            return
        await self.repo.release_hold(booking.startup_id, moved.hold_id, workstation.id, count=False)
        if not await self._slot_exists(workstation, back.advisor_id, back.start.astimezone(UTC)):
            await self._system_cancel(back, CancelReason.availability_removed)

    async def promote(self, workstation: Workstation, slot: Slot) -> Booking | None:
        """Give a freed slot to the first waiting startup; each entry is claimed by one conditional update,
        and the slot's unique index admits one booking, so a slot is never promoted twice."""
        while True:
            entry = await self.repo.claim_first_waiting(slot.advisor_id, slot.start)
            if entry is None:
                await self._publish(topic_for(slot), "slot.freed", self.slot_event(slot))
                return None
            if slot.start <= self.clock():
                await self.repo.set_wait_status(entry.id, WaitStatus.promoting, WaitStatus.skipped, reason="SLOT_IN_PAST")
                continue
            offered = ("TOPIC_NOT_OFFERED" if entry.topic not in workstation.topics
                       else "MODE_NOT_OFFERED" if entry.mode not in workstation.modes else None)
            if offered:   # the workstation dropped what this waiter asked for: a new booking would be refused
                await self.repo.set_wait_status(entry.id, WaitStatus.promoting, WaitStatus.skipped, reason=offered)
                await self._publish(f"user:{entry.user_id}", "booking.waitlist_skipped",
                                    self.slot_event(slot, waitlistEntryId=entry.id, reason=offered))
                continue
            try:
                booking = await self._place(workstation, slot, entry.startup_id, entry.user_id, entry.topic,
                                            entry.mode, entry.question, from_waitlist=True)
            except SlotTaken:
                # Taken again meanwhile: the entry keeps its place for the next cancellation.
                await self.repo.set_wait_status(entry.id, WaitStatus.promoting, WaitStatus.waiting)
                return None
            except SlotOutsideAvailability:
                # The slot itself is gone: close this entry and every other one still waiting for it.
                await self._close_wait(entry, SlotOutsideAvailability.code, expected=WaitStatus.promoting)
                for other in await self.repo.waiting(slot.advisor_id, slot.start):
                    await self._close_wait(other, SlotOutsideAvailability.code)
                return None
            except (BookingLimitReached, BookingOverlap, Conflict) as error:
                await self.repo.set_wait_status(entry.id, WaitStatus.promoting, WaitStatus.skipped, reason=error.code)
                await self._publish(f"user:{entry.user_id}", "booking.waitlist_skipped",
                                    self.slot_event(slot, waitlistEntryId=entry.id, reason=error.code))
                continue
            await self.repo.set_wait_status(entry.id, WaitStatus.promoting, WaitStatus.promoted, booking_id=booking.id)
            await self._publish(f"user:{entry.user_id}", "booking.promoted",
                                self.slot_event(slot, bookingId=booking.id, waitlistEntryId=entry.id))
            return booking

    async def join_waitlist(self, user: User, workstation_id: str, advisor_id: str, start: datetime, topic: str,
                            mode: str, question: str) -> WaitEntry:
        startup_id = self._require_startup(user)
        workstation, slot = await self._resolve_slot(workstation_id, advisor_id, start, topic, mode, question)
        holder = await self.repo.active_at(slot.advisor_id, slot.start)
        if holder is None:
            raise SlotFree("This slot is free: book it directly.", "该时段尚可预约，请直接预约。", field="start")
        if holder.startup_id == startup_id:
            raise Conflict("You already hold this slot.", "您已预约此时段。", field="start")
        seq = await self.repo.next_seq(slot.advisor_id, slot.start)
        document = {"_id": secrets.token_hex(12), "workstation_id": workstation.id, "advisor_id": slot.advisor_id,
                    "start": slot.start, "startup_id": startup_id, "user_id": user.id, "topic": topic, "mode": mode,
                    "question": question.strip(), "seq": seq, "status": WaitStatus.waiting.value,
                    "created_at": self.clock()}
        try:
            entry = await self.repo.insert_wait(document)
        except DuplicateKeyError as error:
            raise AlreadyWaiting("You are already on this slot's waitlist.", "您已在该时段的候补名单中。") from error
        if not await self._slot_exists(workstation, slot.advisor_id, slot.start):
            # removed (and swept) since our check: this entry could never be promoted
            await self.repo.set_wait_status(entry.id, WaitStatus.waiting, WaitStatus.closed,
                                            reason=SlotOutsideAvailability.code)
            raise self._vanished_error()
        # The slot may have been freed between the check and the insert: promote now if so.
        if await self.repo.active_at(slot.advisor_id, slot.start) is None:
            await self.promote(workstation, slot)
            entry = await self.repo.wait_entry(entry.id) or entry
        return entry

    async def leave_waitlist(self, user: User, entry_id: str) -> WaitEntry:
        entry = await self.repo.wait_entry(entry_id)
        if entry is None:
            raise NotFound("No waitlist entry has this id.", "不存在此候补记录。", field="entryId")
        if user.startup_id != entry.startup_id:
            raise Forbidden("This is another startup's waitlist entry.", "这是其他企业的候补记录。")
        if not await self.repo.set_wait_status(entry.id, WaitStatus.waiting, WaitStatus.left):
            raise Conflict("The entry is no longer waiting.", "该候补记录已不在等待中。")
        return await self.repo.wait_entry(entry.id) or entry

    async def waitlist_position(self, entry: WaitEntry) -> int | None:
        if entry.status is not WaitStatus.waiting:
            return None
        waiting = await self.repo.waiting(entry.advisor_id, entry.start.astimezone(UTC))
        return next((i + 1 for i, w in enumerate(waiting) if w.id == entry.id), None)

    # --- advisors ----------------------------------------------------------------------------------
    async def advisor_day(self, user: User, advisor_id: str | None, day: date) -> list[Booking]:
        advisor_id = advisor_id or user.id
        if not (user.id == advisor_id or user.role is Role.admin):
            if user.role is Role.manager:
                workstations = await self.repo.find_workstations(incubator_id=user.incubator_id, advisor_id=advisor_id)
                if not workstations:
                    raise Forbidden()
            else:
                raise Forbidden("Advisors see their own day.", "顾问只能查看自己的日程。")
        start, end = local_day_bounds(day)
        rows = await self.repo.of_advisor(advisor_id, start, end)
        return self._own_incubator_only(user, advisor_id, rows)

    @staticmethod
    def _own_incubator_only(user: User, advisor_id: str, rows: list[Booking]) -> list[Booking]:
        """A manager sees only its incubator's consultations of an advisor who may also staff others'."""
        if user.role is Role.manager and user.id != advisor_id:
            return [b for b in rows if b.incubator_id == user.incubator_id]
        return rows

    async def mark_attendance(self, user: User, booking_id: str, held: bool) -> Booking:
        booking = await self._booking(booking_id)
        if user.id != booking.advisor_id and user.role is not Role.admin:
            raise Forbidden("Only the consultation's advisor marks attendance.", "只有该咨询的顾问可以登记出席情况。")
        if booking.status is not BookingStatus.booked:
            raise BookingNotOpen("Attendance is already recorded, or the booking was cancelled.", "已登记出席情况，或预约已取消。")
        if booking.start > self.clock():
            raise NotStarted("The consultation has not started yet.", "咨询尚未开始。")
        status = BookingStatus.held if held else BookingStatus.no_show
        updated = await self.repo.transition(booking.id, {"status": BookingStatus.booked.value, "sequence": booking.sequence},
                                             {"status": status.value, "attended_marked_at": self.clock(),
                                              "updated_at": self.clock()})
        if updated is None:
            raise BookingNotOpen("The booking changed meanwhile.", "预约已被修改。")
        await self.repo.release_hold(booking.startup_id, booking.hold_id, booking.workstation_id,
                                     count=True, no_show_at=None if held else booking.start)
        # Held consultations and no-shows are evaluation inputs of the incubator's quarter.
        await platform_inputs_changed(self.state, quarter_of(booking.start), [booking.incubator_id])
        return updated

    async def write_note(self, user: User, booking_id: str, note: str) -> Booking:
        booking = await self._booking(booking_id)
        if user.id != booking.advisor_id:
            raise Forbidden("Only the consultation's advisor writes its note.", "只有该咨询的顾问可以撰写咨询记录。")
        if len(note) > NOTE_MAX:
            raise BadUserInput.single("note", f"At most {NOTE_MAX} characters.", f"最多 {NOTE_MAX} 个字符。")
        if booking.status is BookingStatus.cancelled:
            raise BookingNotOpen("The booking was cancelled.", "预约已取消。")
        updated = await self.repo.transition(booking.id, {}, {"note": note.strip(), "note_updated_at": self.clock()})
        assert updated is not None
        return updated

    async def set_meeting_url(self, user: User, booking_id: str, url: str) -> Booking:
        """The advisor (or an admin) gives an online consultation its meeting link; empty clears it."""
        booking = await self._booking(booking_id)
        if user.id != booking.advisor_id and user.role is not Role.admin:
            raise Forbidden("Only the consultation's advisor sets its meeting link.", "只有该咨询的顾问可以设置会议链接。")
        if booking.mode != "online":
            raise BadUserInput.single("url", "Only an online consultation has a meeting link.", "只有线上咨询需要会议链接。")
        if booking.status is not BookingStatus.booked:
            raise BookingNotOpen("Only an upcoming consultation gets a meeting link.", "只有待进行的咨询可以设置会议链接。")
        url = url.strip()
        parsed = urlparse(url)
        if url and (parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > MEETING_URL_MAX
                    or any(c.isspace() for c in url)):
            raise BadUserInput.single("url", f"An http(s) link of at most {MEETING_URL_MAX} characters.",
                                      f"请填写 http(s) 链接，最多 {MEETING_URL_MAX} 个字符。")
        updated = await self.repo.transition(booking.id, {"status": BookingStatus.booked.value},
                                             {"meeting_url": url or None, "updated_at": self.clock()})
        if updated is None:
            raise BookingNotOpen("The booking changed meanwhile.", "预约已被修改。")
        return updated

    def can_read_note(self, user: User, booking: Booking) -> bool:
        return user.id == booking.advisor_id or user.role is Role.admin or (
            user.role is Role.startup and user.startup_id == booking.startup_id)

    async def can_view(self, user: User, booking: Booking) -> bool:
        if user.role in (Role.admin,) or user.id == booking.advisor_id:
            return True
        if user.role is Role.startup:
            return user.startup_id == booking.startup_id
        if user.role is Role.manager:
            return user.incubator_id == booking.incubator_id
        return False

    async def my_bookings(self, user: User, first_day: date, last_day: date) -> list[Booking]:
        startup_id = self._require_startup(user)
        return await self.repo.of_startup(startup_id, local_day_bounds(first_day)[0], local_day_bounds(last_day)[1])

    # --- iCalendar ---------------------------------------------------------------------------------
    def _event(self, booking: Booking, workstation: Workstation | None) -> ical.CalendarEvent:
        topic_zh, topic_en = TOPICS.get(booking.topic, (booking.topic, booking.topic))
        place = workstation.name_zh + " " + workstation.name_en if workstation else ""
        location = ((booking.meeting_url or "线上 Online") if booking.mode == "online"
                    else (workstation.location if workstation else ""))
        status = "CANCELLED" if booking.status is BookingStatus.cancelled else "CONFIRMED"
        return ical.CalendarEvent(
            uid=ical.booking_uid(booking.id), sequence=booking.sequence, status=status, start=booking.start,
            end=booking.end, stamp=booking.updated_at, summary=f"知识产权咨询 IP consultation: {topic_zh} {topic_en}",
            description=f"{place}\n{booking.question}".strip(), location=location, categories=(booking.topic,))

    async def booking_ics(self, user: User, booking_id: str) -> bytes:
        booking = await self._booking(booking_id)
        if not await self.can_view(user, booking):
            raise Forbidden("You cannot see this booking.", "您无权查看此预约。")
        workstation = await self.repo.workstation(booking.workstation_id)
        return ical.calendar([self._event(booking, workstation)], "知识产权咨询 IP consultation")

    async def advisor_ics(self, user: User, advisor_id: str) -> bytes:
        if user.id != advisor_id and user.role is not Role.admin:
            if not (user.role is Role.manager and await self.repo.find_workstations(
                    incubator_id=user.incubator_id, advisor_id=advisor_id)):
                raise Forbidden("Advisors export their own schedule.", "顾问只能导出自己的日程。")
        now = self.clock()
        bookings = self._own_incubator_only(user, advisor_id, await self.repo.of_advisor(
            advisor_id, now - timedelta(days=30), now + timedelta(days=366), include_cancelled=True))
        ids = sorted({b.workstation_id for b in bookings})
        workstations = {w.id: w for w in await self.repo.workstations_by_ids(ids) if w}
        return ical.calendar([self._event(b, workstations.get(b.workstation_id)) for b in bookings],
                             "知识产权咨询日程 IP consultation schedule")


def bookings(state: AppState) -> BookingService:
    """The app's booking service (built by the composition root)."""
    return state.bookings


# Held consultations on these topics count toward technology conversion as well as mentoring.
CONVERSION_TOPICS = frozenset({"ip_navigation", "licensing_transfer", "ip_financing"})


# The evaluation's platform fields these records count (see consultation_counts).
CONSULTATION_FIELDS = ("ip_consultations_held", "ip_consultation_no_shows", "ip_conversion_consultations")


async def consultation_counts(state: AppState, incubator_ids: Sequence[str], quarters: Sequence[str]) -> Counts:
    """Per incubator and park-local quarter: consultations held, no-shows, and held ones on conversion topics."""
    bounds = [quarter_span(q) for q in quarters]
    wanted = set(quarters)
    rows = await bookings(state).repo.attended_between(incubator_ids, min(b[0] for b in bounds),
                                                        max(b[1] for b in bounds))
    out: Counts = {}
    for row in rows:
        quarter = quarter_of(row["start"])
        if quarter not in wanted:
            continue
        counts = out.setdefault(row["incubator_id"], {}).setdefault(quarter, {
            "ip_consultations_held": 0.0, "ip_consultation_no_shows": 0.0, "ip_conversion_consultations": 0.0})
        if row["status"] == BookingStatus.held.value:
            counts["ip_consultations_held"] += 1
            if row["topic"] in CONVERSION_TOPICS:
                counts["ip_conversion_consultations"] += 1
        else:
            counts["ip_consultation_no_shows"] += 1
    return out


async def workstation_stats(state: AppState, incubator_id: str, quarter: str) -> dict[str, Any]:
    """IP-workstation activity of one incubator in one quarter (park-local quarter bounds).

    ``noShowRate`` = no-shows / (held + no-shows), None when no consultation was due. The evaluation
    scores the same counts (see :func:`consultation_counts`).
    """
    try:
        start, end = quarter_span(quarter)
    except ValueError as error:
        raise BadUserInput.single("quarter", "Quarter like 2026Q4.", "季度格式如 2026Q4。") from error
    service = bookings(state)
    rows = await service.repo.of_incubator(incubator_id, start, end)
    workstations = await service.repo.find_workstations(incubator_id=incubator_id)
    counts = Counter(r["status"] for r in rows)
    held = counts[BookingStatus.held.value]
    no_show = counts[BookingStatus.no_show.value]
    topics = Counter(r["topic"] for r in rows if r["status"] == BookingStatus.held.value)
    per_ws: dict[str, Counter[str]] = {}
    for r in rows:
        per_ws.setdefault(r["workstation_id"], Counter())[r["status"]] += 1
    return {
        "incubatorId": incubator_id, "quarter": quarter, "workstations": len(workstations),
        "consultationsBooked": len(rows) - counts[BookingStatus.cancelled.value],
        "consultationsHeld": held, "noShows": no_show, "cancelled": counts[BookingStatus.cancelled.value],
        "noShowRate": (no_show / (held + no_show)) if held + no_show else None,
        "startupsServed": len({r["startup_id"] for r in rows if r["status"] == BookingStatus.held.value}),
        "topics": dict(sorted(topics.items())),
        "byWorkstation": {ws: {"held": c[BookingStatus.held.value], "noShows": c[BookingStatus.no_show.value]}
                          for ws, c in sorted(per_ws.items())},
    }
