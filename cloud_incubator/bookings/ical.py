"""iCalendar (RFC 5545) output, written by hand: CRLF lines folded at 75 octets, escaped TEXT values.

Every booking is one VEVENT whose UID never changes (``booking-<id>@incubench``); a reschedule raises
SEQUENCE, a cancellation sets STATUS:CANCELLED with a higher SEQUENCE, so calendar clients update the
event they already hold instead of adding a new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.core.clock import PARK_TZ

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


def escape_text(value: str) -> str:
    """TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets (never inside a UTF-8 character)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74   # continuation lines start with one space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(value: datetime) -> str:
    return value.astimezone(PARK_TZ).strftime("%Y%m%dT%H%M%S")


def _vtimezone() -> list[str]:
    # Asia/Shanghai: UTC+8 all year since 1991 (no daylight saving).
    return ["BEGIN:VTIMEZONE", f"TZID:{TZID}", "BEGIN:STANDARD", "DTSTART:19910915T000000",
            "TZOFFSETFROM:+0800", "TZOFFSETTO:+0800", "TZNAME:CST", "END:STANDARD", "END:VTIMEZONE"]


def _event_lines(event: CalendarEvent) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{_utc(event.stamp)}",
             f"DTSTART;TZID={TZID}:{_local(event.start)}", f"DTEND;TZID={TZID}:{_local(event.end)}",
             f"SEQUENCE:{event.sequence}", f"STATUS:{event.status}", f"SUMMARY:{escape_text(event.summary)}"]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in event.categories))
    lines.append("TRANSP:OPAQUE" if event.status != "CANCELLED" else "TRANSP:TRANSPARENT")
    lines.append("END:VEVENT")
    return lines


def calendar(events: Iterable[CalendarEvent], name: str) -> bytes:
    """A complete VCALENDAR (METHOD:PUBLISH) as UTF-8 bytes with CRLF line ends."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(name)}", f"X-WR-TIMEZONE:{TZID}", *_vtimezone()]
    for event in events:
        lines.extend(_event_lines(event))
    lines.append("END:VCALENDAR")
    return ("".join(fold(line) + "\r\n" for line in lines)).encode("utf-8")
