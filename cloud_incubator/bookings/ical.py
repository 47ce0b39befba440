"""iCalendar (RFC 5545) output through the ``icalendar`` package (escaping, folding and the VTIMEZONE are
its job).

Every booking is one VEVENT whose UID never changes (``booking-<id>@incubench``); a reschedule raises
SEQUENCE, a cancellation sets STATUS:CANCELLED with a higher SEQUENCE, so calendar clients update the
event they already hold instead of adding a new one. Times are written in the park's zone
(``DTSTART;TZID=Asia/Shanghai``) with its VTIMEZONE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from icalendar import Calendar, Event, Timezone

from cloud_incubator.bookings.rules import PARK_TZ

PRODID = "-//incubench//IP workstation bookings//ZH"
UID_DOMAIN = "incubench"
TZID = "Asia/Shanghai"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    status: str             # CONFIRMED | CANCELLED
    start: datetime         # aware
    end: datetime           # aware
    stamp: datetime         # aware: when this version of the event was written
    summary: str
    description: str = ""
    location: str = ""
    categories: tuple[str, ...] = ()


def booking_uid(booking_id: str) -> str:
    return f"booking-{booking_id}@{UID_DOMAIN}"


def _vevent(event: CalendarEvent) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", event.stamp.astimezone(UTC))
    vevent.add("dtstart", event.start.astimezone(PARK_TZ))
    vevent.add("dtend", event.end.astimezone(PARK_TZ))
    vevent.add("sequence", event.sequence)
    vevent.add("status", event.status)
    vevent.add("summary", event.summary)
    if event.description:
        vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    if event.categories:
        vevent.add("categories", list(event.categories))
    vevent.add("transp", "TRANSPARENT" if event.status == "CANCELLED" else "OPAQUE")
    return vevent


def calendar(events: Iterable[CalendarEvent], name: str) -> bytes:
    """A complete VCALENDAR (METHOD:PUBLISH) as UTF-8 bytes with CRLF line ends."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZID)
    # The park's zone from tzdata, since 1992 (UTC+8, no daylight saving): short, and true for every booking.
    cal.add_component(Timezone.from_tzid(TZID, first_date=date(1992, 1, 1), last_date=date(2100, 1, 1)))
    for event in events:
        cal.add_component(_vevent(event))
    return cal.to_ical()
