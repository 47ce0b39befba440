"""Documents of the IP-workstation bookings domain and its coded errors."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from backend.errors import AppError, Conflict
from cloud_incubator.bookings.rules import Exception_, Rule


class BookingStatus(StrEnum):
    booked = "booked"
    cancelled = "cancelled"
    held = "held"
    no_show = "no_show"


class WaitStatus(StrEnum):
    waiting = "waiting"
    promoting = "promoting"
    promoted = "promoted"
    skipped = "skipped"      # could not be promoted (limit reached, overlapping booking)
    left = "left"
    closed = "closed"        # the slot itself was removed (availability rule removed, leave added)


class CancelReason(StrEnum):
    """Why the system (not a person) cancelled a booking: its slot no longer exists."""

    availability_removed = "AVAILABILITY_REMOVED"   # the advisor's weekly rule was removed
    advisor_leave = "ADVISOR_LEAVE"                 # leave (an availability exception) now covers the slot
    advisor_removed = "ADVISOR_REMOVED"             # the advisor was taken off the workstation


class Workstation(BaseModel):
    id: str = Field(alias="_id")
    incubator_id: str
    name_zh: str
    name_en: str
    location: str
    languages: list[str]
    topics: list[str]
    modes: list[str]
    slot_minutes: int
    cutoff_hours: int
    booking_limit: int
    advisor_ids: list[str]
    created_at: datetime
    updated_at: datetime

    model_config = {"populate_by_name": True}


class RuleDoc(BaseModel):
    id: str
    workstation_id: str
    weekday: int
    start: str          # "HH:MM" park-local
    end: str
    valid_from: date
    valid_until: date | None = None

    def to_rule(self, advisor_id: str) -> Rule:
        return Rule(self.id, advisor_id, self.workstation_id, self.weekday, time.fromisoformat(self.start),
                    time.fromisoformat(self.end), self.valid_from, self.valid_until)


class ExceptionDoc(BaseModel):
    id: str
    on: date
    start: str | None = None
    end: str | None = None
    reason: str = ""
    cancelled_bookings: int = 0     # bookings cancelled because this leave covered them

    def to_exception(self, advisor_id: str) -> Exception_:
        return Exception_(advisor_id, self.on, time.fromisoformat(self.start) if self.start else None,
                          time.fromisoformat(self.end) if self.end else None)


class Schedule(BaseModel):
    """One advisor's availability: weekly rules and exceptions, changed by optimistic version."""

    advisor_id: str = Field(alias="_id")
    rules: list[RuleDoc] = []
    exceptions: list[ExceptionDoc] = []
    version: int = 0

    model_config = {"populate_by_name": True}

    def domain_rules(self) -> list[Rule]:
        return [r.to_rule(self.advisor_id) for r in self.rules]

    def domain_exceptions(self) -> list[Exception_]:
        return [e.to_exception(self.advisor_id) for e in self.exceptions]


class Booking(BaseModel):
    id: str = Field(alias="_id")
    workstation_id: str
    incubator_id: str
    advisor_id: str
    startup_id: str
    user_id: str
    start: datetime
    end: datetime
    topic: str
    mode: str
    question: str
    status: BookingStatus
    sequence: int = 0
    hold_id: str = ""
    note: str | None = None
    meeting_url: str | None = None      # online consultations: the advisor's video-meeting link
    from_waitlist: bool = False
    cancelled_by: str | None = None
    cancel_reason: str | None = None    # set when the system cancelled it (see CancelReason)
    created_at: datetime
    updated_at: datetime

    model_config = {"populate_by_name": True}


class WaitEntry(BaseModel):
    id: str = Field(alias="_id")
    workstation_id: str
    advisor_id: str
    start: datetime
    startup_id: str
    user_id: str
    topic: str
    mode: str
    question: str
    seq: int
    status: WaitStatus
    booking_id: str | None = None
    reason: str | None = None
    created_at: datetime

    model_config = {"populate_by_name": True}


class Attachment(BaseModel):
    id: str = Field(alias="_id")
    booking_id: str
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    created_at: datetime

    model_config = {"populate_by_name": True}


def _coded(code: str, status: int) -> type[AppError]:
    return type(code.title().replace("_", ""), (Conflict,), {"code": code, "http_status": status})


SlotTaken = _coded("SLOT_TAKEN", 409)
SlotInPast = _coded("SLOT_IN_PAST", 400)
SlotOutsideAvailability = _coded("SLOT_OUTSIDE_AVAILABILITY", 400)
SlotFree = _coded("SLOT_FREE", 409)
BookingLimitReached = _coded("BOOKING_LIMIT_REACHED", 409)
BookingOverlap = _coded("BOOKING_OVERLAP", 409)
CutoffPassed = _coded("CUTOFF_PASSED", 409)
AlreadyWaiting = _coded("ALREADY_ON_WAITLIST", 409)
AvailabilityOverlap = _coded("AVAILABILITY_OVERLAP", 400)
BookingNotOpen = _coded("BOOKING_NOT_OPEN", 409)
NotStarted = _coded("CONSULTATION_NOT_STARTED", 409)
AttachmentTooLarge = _coded("ATTACHMENT_TOO_LARGE", 413)
AttachmentType = _coded("ATTACHMENT_TYPE", 415)
AttachmentLimit = _coded("ATTACHMENT_LIMIT", 409)


def socket_code(error: AppError) -> str:
    """``SLOT_TAKEN`` → ``booking.slot_taken`` (the /ws/v1 dotted style)."""
    generic = {"NOT_FOUND": "not_found", "FORBIDDEN": "forbidden", "UNAUTHENTICATED": "auth.required",
               "BAD_USER_INPUT": "booking.bad_input"}
    return generic.get(error.code) or "booking." + error.code.lower()


def error_details(error: AppError) -> dict[str, Any]:
    details: dict[str, Any] = {"message_zh": error.message_zh, "code_upper": error.code}
    if error.field:
        details["field"] = error.field
    issues = getattr(error, "issues", None)
    if issues:
        details["issues"] = [i.as_extensions() for i in issues]
    return details
