"""/ws/v1 actions of IP-workstation bookings (``booking.*``): watch a workstation's slots live, book, cancel, wait.

Events: ``slot.taken`` / ``slot.freed`` / ``slots.changed`` (an advisor's availability changed: reload
the range shown) on ``bookings:<workstation_id>``; ``booking.promoted``, ``booking.waitlist_skipped``,
``booking.cancelled`` (by the advisor, a manager, or the system with a ``reason``) and
``booking.waitlist_closed`` (the slot was removed) on ``user:<user_id>``. Service errors become dotted codes such as
``booking.slot_taken``, ``booking.slot_in_past``, ``booking.booking_limit_reached``, ``booking.cutoff_passed``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloud_incubator.bookings.models import Booking, WaitEntry
from cloud_incubator.bookings.schemas import BookPayload
from cloud_incubator.bookings.service import bookings
from cloud_incubator.registry import ActionContext, ActionSpec


class WatchPayload(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    workstation_id: str = Field(min_length=1, max_length=64)
    from_date: date | None = Field(default=None, alias="from")
    to_date: date | None = Field(default=None, alias="to")


class UnwatchPayload(BaseModel):
    workstation_id: str = Field(min_length=1, max_length=64)


class BookingIdPayload(BaseModel):
    booking_id: str = Field(min_length=1, max_length=64)


class ReschedulePayload(BaseModel):
    booking_id: str = Field(min_length=1, max_length=64)
    start: datetime
    advisor_id: str | None = Field(default=None, max_length=64)


def booking_data(b: Booking) -> dict[str, Any]:
    return {"id": b.id, "workstation_id": b.workstation_id, "advisor_id": b.advisor_id, "startup_id": b.startup_id,
            "start": b.start.isoformat(), "end": b.end.isoformat(), "topic": b.topic, "mode": b.mode,
            "status": b.status.value, "sequence": b.sequence, "from_waitlist": b.from_waitlist,
            "cancel_reason": b.cancel_reason}


def wait_data(e: WaitEntry, position: int | None) -> dict[str, Any]:
    return {"id": e.id, "workstation_id": e.workstation_id, "advisor_id": e.advisor_id, "start": e.start.isoformat(),
            "status": e.status.value, "position": position, "booking_id": e.booking_id}


async def watch(ctx: ActionContext, payload: WatchPayload) -> dict[str, Any]:
    """Subscribe to live slot updates of a workstation; with ``from``/``to`` (park-local dates) the answer
    carries the current slots of that range."""
    service = bookings(ctx.state)
    if payload.from_date is not None and payload.to_date is not None:
        views = await service.search_slots(payload.from_date, payload.to_date,
                                           workstation_id=payload.workstation_id)
    else:
        await service.workstation_or_404(payload.workstation_id, field="workstation_id")
        views = []
    topic = f"bookings:{payload.workstation_id}"
    await ctx.connection.subscribe(topic)
    return {"topic": topic, "slots": [{"advisor_id": v.slot.advisor_id, "start": v.slot.start.isoformat(),
                                       "end": v.slot.end.isoformat(), "taken": v.taken, "waitlist_length": v.waiting}
                                      for v in views]}


async def unwatch(ctx: ActionContext, payload: UnwatchPayload) -> dict[str, Any]:
    topic = f"bookings:{payload.workstation_id}"
    await ctx.connection.unsubscribe(topic)
    return {"topic": topic}


async def book(ctx: ActionContext, payload: BookPayload) -> dict[str, Any]:
    booking = await bookings(ctx.state).book(ctx.user, payload.workstation_id, payload.advisor_id, payload.start,
                                             payload.topic, payload.mode, payload.question)
    return {"booking": booking_data(booking)}


async def cancel(ctx: ActionContext, payload: BookingIdPayload) -> dict[str, Any]:
    booking = await bookings(ctx.state).cancel(ctx.user, payload.booking_id)
    return {"booking": booking_data(booking)}


async def reschedule(ctx: ActionContext, payload: ReschedulePayload) -> dict[str, Any]:
    booking = await bookings(ctx.state).reschedule(ctx.user, payload.booking_id, payload.start,
                                                   payload.advisor_id)
    return {"booking": booking_data(booking)}


async def join_waitlist(ctx: ActionContext, payload: BookPayload) -> dict[str, Any]:
    service = bookings(ctx.state)
    entry = await service.join_waitlist(ctx.user, payload.workstation_id, payload.advisor_id, payload.start,
                                        payload.topic, payload.mode, payload.question)
    return {"entry": wait_data(entry, await service.waitlist_position(entry))}


# Registered by the composition root (backend/app.py).
BOOKING_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("booking.watch", WatchPayload, watch, errors="booking"),
    ActionSpec("booking.unwatch", UnwatchPayload, unwatch, errors="booking"),
    ActionSpec("booking.book", BookPayload, book, errors="booking"),
    ActionSpec("booking.cancel", BookingIdPayload, cancel, errors="booking"),
    ActionSpec("booking.reschedule", ReschedulePayload, reschedule, errors="booking"),
    ActionSpec("booking.join_waitlist", BookPayload, join_waitlist, errors="booking"),
)
